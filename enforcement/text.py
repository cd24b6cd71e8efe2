"""Text as people type or paste it: characters no record should hold.

Control characters (C0 other than tab, line feed and carriage return, DEL, and the C1 range that
text decoded with the wrong code page leaves behind), and U+FFFE and U+FFFF, which are not
characters at all and which XML (so a Word paper) cannot hold, cannot be shown, printed or
written into a document, and PostgreSQL refuses NUL where SQLite stores it. Every web form
refuses them (`app/forms.py`), and so do the accounts workflows, which `flask users create`
reaches without a form, and the register's imports (each cell holding one refuses its row,
naming the characters: `control_characters_in`), with the same rule, so the two databases hold
the same (docs/architecture.md). The ward import reports them with a rule of its own.

What a record already holds is written into a Word document through `xml_safe`, so no stored
text, whatever reached the database before this rule did, can stop a document being made.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_RULE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"  # a character class's ranges
CONTROL_CHARACTERS = re.compile(f"[{_RULE}]")
CONTROL_CHARACTER_MESSAGE = (
    "{label} must not contain hidden control characters (they can come from pasted text)."
    " Delete them or type it again"
)


#: The control characters that are spacing (a vertical tab, a form feed, the information
#: separators, the next-line sign): a file another system wrote may hold them where a space is
#: meant, and an import reads each as a space (`as_spaces`) before the rule is applied.
SPACING_CONTROLS = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
#: The rule's characters, and the one other kind XML 1.0 (so a Word document) cannot hold: lone
#: surrogates.
_NOT_XML = re.compile(rf"[{_RULE}\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def control_characters_in(value: str) -> str:
    """The rule's characters a value holds, each named once in order of code ("U+0001, U+FFFF"),
    or "" for none: what an import says when it refuses a cell."""
    found = sorted(set(CONTROL_CHARACTERS.findall(value)))
    return ", ".join(f"U+{ord(ch):04X}" for ch in found)


def as_spaces(value: str) -> str:
    """The value with each spacing control character (`SPACING_CONTROLS`) read as a space."""
    return SPACING_CONTROLS.sub(" ", value)


def xml_safe(value: str) -> str:
    """The value as XML (a Word document) can hold it: spacing control characters become spaces
    and any other character XML cannot hold the replacement sign U+FFFD, so that a reader sees
    something was there. Text the rule let in is returned as it is."""
    return _NOT_XML.sub("\ufffd", as_spaces(value))


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
