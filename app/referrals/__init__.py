"""Licensing Committee referral screens."""
