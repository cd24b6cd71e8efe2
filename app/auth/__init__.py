"""Signing in and out, the signed-in user, default-deny and permission checks."""
