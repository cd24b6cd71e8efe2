"""Inspections by licensing officers, the anti-trafficking poster rule and evidence files."""
