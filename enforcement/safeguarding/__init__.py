"""Indicators of exploitation and anonymous referral records, shared by inspections and welfare visits."""
