"""Text as people type or paste it: characters no record should hold.

Control characters (C0 other than tab, line feed and carriage return, DEL, and the C1 range that
text decoded with the wrong code page leaves behind), and U+FFFE and U+FFFF, which are not
characters at all and which XML (so a Word paper) cannot hold, cannot be shown, printed or
written into a document, and PostgreSQL refuses NUL where SQLite stores it. Every web form
refuses them (`app/forms.py`), and so do the accounts workflows, which `flask users create`
reaches without a form, with the same rule, so the two databases hold the same
(docs/architecture.md). The register and ward imports report them per cell with rules of their
own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
CONTROL_CHARACTER_MESSAGE = (
    "{label} must not contain hidden control characters (they can come from pasted text)."
    " Delete them or type it again"
)


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def folded(name: str) -> str:
    """A name as compared for sameness: compatibility-normalised and case-folded by Python.

    A list that refuses a name already on it ("Tigrinya" and "tigrinya ") compares folded names
    here, never with SQL's lower(): SQLite's folds only A to Z and PostgreSQL's follows the
    locale (a final capital sigma, a dotted capital I), so a name the SQL check let through
    could then break the unique index."""
    return unicodedata.normalize("NFKC", name).casefold()


def is_taken(name: str, names: Iterable[str]) -> bool:
    """Say whether `name` is one of `names`, as `folded` compares them."""
    wanted = folded(name)
    return any(folded(other) == wanted for other in names)


def contains_pattern(words: str) -> str:
    """A LIKE pattern finding `words` anywhere in a value, with LIKE's own signs (%, _ and the
    escape sign itself) taken literally: use it with escape="\\"."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
