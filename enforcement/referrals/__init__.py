"""Licensing Committee referrals: drafting, evidence, the clerk's process, queries and papers."""
