"""Inspections, poster checks, evidence photos and the compliance view."""
