"""The public register of licences, open without signing in (docs/register.md)."""
