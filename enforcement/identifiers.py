"""Spotting obvious personal identifiers in free text, so they are refused before they are stored.

Names, dates of birth and other identifying details of potential victims
are never stored. Names cannot be recognised reliably, so the forms warn about them; the shapes
below can be, so they are refused: dates of birth, UK phone numbers (and international ones
written with a +), passport and other identity document numbers, email addresses and online
account names (docs/welfare.md, "Identifiers refused").
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from enforcement.vocab import Labelled


class IdentifierKind(Labelled):
    # Each label completes "<field> seems to contain ...", the message the writer is shown.
    DATE_OF_BIRTH = "date_of_birth", "a date of birth"
    PHONE = "phone", "a phone number"
    DOCUMENT_NUMBER = "document_number", "a passport or other identity document number"
    EMAIL = "email", "an email address"
    ONLINE_ACCOUNT = "online_account", "an online account name"


@dataclass(frozen=True)
class Found:
    kind: IdentifierKind
    text: str
    start: int


# A date this many years before today is taken for someone's date of birth: nothing else a
# visit note needs to date is that old. Nearer dates count only beside words like "born".
BIRTH_YEARS_BACK = 10

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = (
    # 12/03/1998, 12-3-98, 12.03.1998 (day first, as written in the UK)
    re.compile(r"(?<!\d)(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})(?!\d)"),
    # 1998-03-12
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    # 12 March 1998, 12th Mar. 1998
    re.compile(
        rf"(?<!\w)(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mn>{_MONTH})\.?,?\s+(?P<y>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
    # March 12, 1998
    re.compile(
        rf"(?<!\w)(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
)
_BIRTH_WORDS = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b|\bbirthday\b)", re.IGNORECASE
)
# "DOB 12/03", "born in 1998", "date of birth: 1998": a birth word followed closely by digits.
_BIRTH_WORD_THEN_DIGITS = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b(?:\s+(?:on|in))?|\bbirthday\b)"
    r"[\s:,\-]{0,4}(?:on\s+|in\s+)?\d",
    re.IGNORECASE,
)
# An address starts where its run of local-part characters starts (the look-behind): tried from
# inside a long run too, the search went over the rest of the run from every position in it,
# which on 20,000 characters of "1-1-1-..." took a third of a second.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# A run of digit groups joined by single separators, optionally starting with + or (.
_NUMBER_RUN = re.compile(r"\+?\(?\d+(?:[ \t().\-]{1,2}\+?\d+)*\)?")
_GROUP = re.compile(r"\+?\d+")
_UK_NUMBER = re.compile(r"^(?:07\d{9}|0[12]\d{8,9})$")
_DOCUMENT_PATTERNS = (
    # Passport numbers: nine digits (UK), or one or two letters and six to eight digits.
    re.compile(r"(?<![\w+])\d{9}(?!\w)"),
    re.compile(r"(?<!\w)[A-Za-z]{1,2}\d{6,8}(?!\w)"),
    # National Insurance numbers: AB 12 34 56 C
    re.compile(
        r"(?<!\w)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?!\w)",
        re.IGNORECASE,
    ),
    # Anything given as a passport number, whatever its shape.
    re.compile(
        r"\bpassport(?:\s+(?:no\.?|number|num))?\s*[:#]?\s*[A-Za-z0-9]*\d[A-Za-z0-9]{4,}",
        re.IGNORECASE,
    ),
    # The number of any identity document named before it, written in groups: "passport 123 456
    # 789", "ID card RX 123456", "residence permit ZU 123 4567", "NI no. AB 123 456 C". Five or
    # more digits, so a count or a duration after the word ("visa 2 weeks") is not one.
    re.compile(
        r"\b(?:passport|id(?:entity)?\s+(?:card|document)|id\s+(?=no\b|number)"
        r"|residence\s+(?:permit|card)|brp|visa|national\s+insurance|nino|ni)"
        r"(?:\s*(?:no\.?|number|num))?\s*[:#.]?\s*"
        r"(?:[A-Za-z]{1,3}[ \-]?)?\d(?:[ \-]?\d){4,}",
        re.IGNORECASE,
    ),
)
# An online account: "@name_97" (not the part of an email address after its local part), or a
# name starting with a letter and holding a digit, given after the service's name ("snapchat:
# maria.x97"). Adverts and accounts identify a person as surely as a phone number; a plain word
# after "facebook" (its page, say) or a number ("facebook 24hr adverts") is not taken for one.
_HANDLE = re.compile(r"(?<![\w@.%+\-])@[A-Za-z0-9_][A-Za-z0-9_.]{1,29}")
_ACCOUNT_AFTER_SERVICE = re.compile(
    r"\b(?:instagram|insta|snapchat|tiktok|facebook|fb|telegram|twitter|onlyfans|wechat|kik)"
    r"(?:\s+(?:name|handle|account|id|username|user))?\s*[:\-]?\s*"
    r"(?=[A-Za-z0-9_.]*\d)[A-Za-z_.][A-Za-z0-9_.]{2,29}(?![\w@])",
    re.IGNORECASE,
)


def _year(raw: str, today: date) -> int:
    if len(raw) == 4:
        return int(raw)
    # Two-digit years: this century up to this year, the last century after it.
    yy = int(raw)
    return 2000 + yy if yy <= today.year % 100 else 1900 + yy


def _real_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1] and year >= 1900


def _dates_of_birth(text: str, today: date) -> list[Found]:
    found: list[Found] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            parts = m.groupdict()
            month = _MONTHS[parts["mn"].lower()] if parts.get("mn") else int(parts["m"])
            year = _year(parts["y"], today)
            if not _real_date(year, month, int(parts["d"])):
                continue
            before = text[max(0, m.start() - 30) : m.start()]
            if year <= today.year - BIRTH_YEARS_BACK or _BIRTH_WORDS.search(before):
                found.append(Found(IdentifierKind.DATE_OF_BIRTH, m.group(0), m.start()))
    for m in _BIRTH_WORD_THEN_DIGITS.finditer(text):
        found.append(Found(IdentifierKind.DATE_OF_BIRTH, m.group(0), m.start()))
    return found


def _as_uk_number(groups: list[str]) -> str | None:
    """Return the national form of digit groups written as a phone number, or None."""
    plus = groups[0].startswith("+")
    digits = "".join(g.lstrip("+") for g in groups)
    if digits.startswith("00"):
        plus, digits = True, digits[2:]
    if plus:
        if not digits.startswith("44"):
            # Another country's number, written internationally: still a phone number.
            return digits if 8 <= len(digits) <= 15 else None
        digits = digits[2:].removeprefix("0")  # +44 (0)20 ...
        digits = "0" + digits
    elif digits.startswith("44") and not _UK_NUMBER.match(digits):
        # The international form without its "+", as messaging apps write it (447700 900123,
        # wa.me/447700900123): a UK number once its 44 is read as the country code.
        digits = "0" + digits[2:].removeprefix("0")
    return digits if _UK_NUMBER.match(digits) else None


# The most digits a phone number can be written with: 15 (the international maximum) after "00".
# "+44 (0)20 ..." and "0044 (0)20 ..." are fewer; `_as_uk_number` accepts nothing longer.
MAX_PHONE_DIGITS = 17


def _phones(text: str) -> list[Found]:
    found: list[Found] = []
    for run in _NUMBER_RUN.finditer(text):
        groups = [(g.group(0), g.start(), g.end()) for g in _GROUP.finditer(run.group(0))]
        phone = _first_phone(groups)
        if phone is not None:
            start, end = run.start() + phone[0], run.start() + phone[1]
            found.append(Found(IdentifierKind.PHONE, text[start:end], start))
    return found


def _first_phone(groups: list[tuple[str, int, int]]) -> tuple[int, int] | None:
    """The start and end (in the run) of the first stretch of groups that is a phone number.

    Every stretch of neighbouring groups is tried, so "2 07700 900123" finds the number in it;
    a stretch stops growing past the digits a phone number can have, so a run of thousands of
    groups ("1-1-1-...") costs a few tries per group, not a try per pair of groups."""
    for i in range(len(groups)):
        digits = 0
        for j in range(i + 1, len(groups) + 1):
            digits += len(groups[j - 1][0].lstrip("+"))
            if digits > MAX_PHONE_DIGITS:
                break
            if _as_uk_number([g for g, _, _ in groups[i:j]]) is not None:
                return groups[i][1], groups[j - 1][2]
    return None


def find_identifiers(text: str | None, *, today: date) -> list[Found]:
    """Return the obvious personal identifiers in a piece of free text, in order of position.

    `today` is the London date the text is checked on: a full date at least ten years before
    it is taken for a date of birth (as is any date or year written beside "born" or "DOB").
    """
    if not text:
        return []
    found = _dates_of_birth(text, today)
    found += [Found(IdentifierKind.EMAIL, m.group(0), m.start()) for m in _EMAIL.finditer(text)]
    found += _phones(text)
    emails = [f for f in found if f.kind is IdentifierKind.EMAIL]
    found += [
        Found(IdentifierKind.ONLINE_ACCOUNT, m.group(0), m.start())
        for pattern in (_HANDLE, _ACCOUNT_AFTER_SERVICE)
        for m in pattern.finditer(text)
    ]
    for pattern in _DOCUMENT_PATTERNS:
        for m in pattern.finditer(text):
            # Digits inside an email address are already reported as the address.
            if not any(e.start <= m.start() < e.start + len(e.text) for e in emails):
                found.append(Found(IdentifierKind.DOCUMENT_NUMBER, m.group(0), m.start()))
    return sorted(found, key=lambda f: (f.start, f.kind))


def kinds_in(text: str | None, *, today: date) -> list[IdentifierKind]:
    """Return the kinds of identifier found in the text, each once, in a fixed order."""
    present = {f.kind for f in find_identifiers(text, today=today)}
    return [k for k in IdentifierKind if k in present]


class Plural(str):
    """A subject that is plural ("The comments"), so a message about it says "seem", not "seems".

    Still a str: a caller's other messages ("The comments must be ...") use it as they are.
    """

    __slots__ = ()


def problem(label: str, text: str | None, *, today: date) -> str | None:
    """Return the message to show against a field whose text holds identifiers, or None.

    `label` is the sentence's subject; pass a Plural for a plural one.
    """
    kinds = kinds_in(text, today=today)
    if not kinds:
        return None
    labels = [k.label for k in kinds]
    what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    it = "it" if len(kinds) == 1 else "them"
    seems = "seem" if isinstance(label, Plural) else "seems"
    return (
        f"{label} {seems} to contain {what}. Remove {it}: do not record names or details "
        "that could identify the people present"
    )
