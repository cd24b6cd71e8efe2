"""Enforcement cases and the statutory clock: the rule table, the engine, working days, the case list."""
