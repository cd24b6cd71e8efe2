"""CSV cells a spreadsheet will open: a value that would start a formula (CSV injection) is
written with a leading apostrophe, and an import takes that apostrophe off again."""

from __future__ import annotations

# What a spreadsheet may read as the start of a formula: =, +, -, @, and a tab or carriage
# return before one of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The value as a cell no spreadsheet runs: an apostrophe before a formula's first sign."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def unguarded(value: str) -> str:
    """A cell as `safe_cell` wrote it, read back: the guarding apostrophe removed."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value
