"""Enforcement cases: the list, opening a case, recording its events, its deadlines."""
