"""Parsers for published open data (FSA food hygiene XML, LGA premises licence CSV); no database."""
