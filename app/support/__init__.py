"""The support card of a premises (docs/support-directory.md)."""
