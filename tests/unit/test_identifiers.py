"""The identifier checker: obvious personal identifiers in free text are found, ordinary notes pass."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from enforcement import identifiers
from enforcement.identifiers import IdentifierKind, Plural, find_identifiers, kinds_in, problem

TODAY = date(2026, 3, 2)
KIND = IdentifierKind


def kinds(text: str) -> list[IdentifierKind]:
    return kinds_in(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asked us to call her on 07700 900123 next week", [KIND.PHONE]),
        ("mobile 07700900123", [KIND.PHONE]),
        ("+44 7700 900 123", [KIND.PHONE]),
        ("0044 7700 900123", [KIND.PHONE]),
        # The international form without its "+", as messaging apps write it.
        ("whatsapp 447700900123", [KIND.PHONE]),
        ("44 7700 900123", [KIND.PHONE]),
        ("wa.me/447700900123", [KIND.PHONE]),
        ("WhatsApp: 447911123456", [KIND.PHONE]),
        ("44 20 7946 0000", [KIND.PHONE]),
        ("landline (020) 7946 0000", [KIND.PHONE]),
        ("+44 (0)20 7946 0000", [KIND.PHONE]),
        ("01632 960001", [KIND.PHONE]),
        ("a French number +33 6 12 34 56 78", [KIND.PHONE]),
        ("2 07700900123", [KIND.PHONE]),
        ("DOB 12/03/1998", [KIND.DATE_OF_BIRTH]),
        ("said she was born on 3 March 2004", [KIND.DATE_OF_BIRTH]),
        ("born in 2001", [KIND.DATE_OF_BIRTH]),
        ("12.03.98", [KIND.DATE_OF_BIRTH]),
        ("1998-03-12", [KIND.DATE_OF_BIRTH]),
        ("March 12th, 1990", [KIND.DATE_OF_BIRTH]),
        ("d.o.b. 1/2/2020", [KIND.DATE_OF_BIRTH]),
        ("passport number 123456789", [KIND.DOCUMENT_NUMBER]),
        ("passport AB1234567 held by the manager", [KIND.DOCUMENT_NUMBER]),
        ("NI AB 12 34 56 C", [KIND.DOCUMENT_NUMBER]),
        ("her email is someone.name+x@example.co.uk", [KIND.EMAIL]),
        ("07700 900123 or someone@example.com", [KIND.PHONE, KIND.EMAIL]),
        # Document numbers written in groups, after the name of the document.
        ("passport 123 456 789", [KIND.DOCUMENT_NUMBER]),
        ("Passport: 1234 5678 9", [KIND.DOCUMENT_NUMBER]),
        ("ID card RX 123456", [KIND.DOCUMENT_NUMBER]),
        ("identity document 1234-5678", [KIND.DOCUMENT_NUMBER]),
        ("residence permit ZU 123 4567", [KIND.DOCUMENT_NUMBER]),
        ("visa number 12345678", [KIND.DOCUMENT_NUMBER]),
        ("NI no. AB 123 456 C", [KIND.DOCUMENT_NUMBER]),
        ("NINO JE-12-34-56-A", [KIND.DOCUMENT_NUMBER]),
        # Online accounts.
        ("her advert is under @maria_97", [KIND.ONLINE_ACCOUNT]),
        ("snapchat: maria.x97", [KIND.ONLINE_ACCOUNT]),
        ("IG @rosie.nails", [KIND.ONLINE_ACCOUNT]),
        ("telegram user anna2004x", [KIND.ONLINE_ACCOUNT]),
    ],
)
def test_obvious_identifiers_are_found(text: str, expected: list[IdentifierKind]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Three women present, two spoke through an interpreter.",
        "Visited 1/3/2026 with PC 123; return on 14/03/2026.",
        "Left leaflets; the Modern Slavery Helpline is 08000 121 700.",
        "Aged about 25, 3 rooms, 12-13 visitors an hour.",
        "Crime reference 5212345/26 already recorded above.",
        "Price list seen on the wall: not recorded.",
        # A count or a reference after a document's or a service's name is not a number of one.
        "Visa status not discussed; 2 weeks until the next visit.",
        "ID checked for 3 workers; incident ID 5212345 given by the police.",
        "The shop's facebook page advertises 24 hour opening; snap 2 rooms.",
        "Advertised on Facebook 24hr; a snap inspection on the 2nd floor, fb 3rd post.",
        "Leaflets left @ the counter, 40 of them @ 2 languages.",
        "",
    ],
)
def test_ordinary_notes_are_not_refused(text: str) -> None:
    assert kinds(text) == []


def test_the_message_names_the_field_and_every_kind_once() -> None:
    message = problem("Feedback", "call 07700900123 or 07700900456, email a@b.co", today=TODAY)
    assert message == (
        "Feedback seems to contain a phone number and an email address. Remove them: do not "
        "record names or details that could identify the people present"
    )
    assert problem("Feedback", "no identifiers here", today=TODAY) is None


def test_a_date_is_a_date_of_birth_by_its_age_or_the_words_beside_it() -> None:
    assert kinds("seen 02/03/2016") == [KIND.DATE_OF_BIRTH]  # ten years ago
    assert kinds("seen 02/03/2017") == []
    assert kinds("birthday 02/03/2017") == [KIND.DATE_OF_BIRTH]
    assert kinds("31/02/1990") == []  # not a real date


def test_a_phone_number_is_reported_by_the_digits_that_make_it() -> None:
    [found] = find_identifiers("ring 3 07700 900123 now", today=TODAY)
    assert found.text == "07700 900123" and found.start == 7


# --- Properties ------------------------------------------------------------------------------

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.;:'!?()-", max_size=60)


def _spaced(digits: str, cuts: list[int], sep: str) -> str:
    out, last = [], 0
    for cut in sorted(set(cuts)):
        if 0 < cut < len(digits):
            out.append(digits[last:cut])
            last = cut
    out.append(digits[last:])
    return sep.join(out)


@settings(deadline=None)
@given(
    before=words,
    after=words,
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    cuts=st.lists(st.integers(1, 10), max_size=2),
    sep=st.sampled_from([" ", "-", ".", ""]),
    international=st.booleans(),
)
def test_any_uk_mobile_number_in_any_layout_is_found(
    before: str, after: str, rest: str, cuts: list[int], sep: str, international: bool
) -> None:
    national = "07" + rest
    number = (
        "+44 " + _spaced(national[1:], cuts, sep) if international else _spaced(national, cuts, sep)
    )
    assert KIND.PHONE in kinds(f"{before} {number} {after}")


@settings(deadline=None)
@given(
    before=words,
    area=st.sampled_from(["020", "0113", "01632", "0121"]),
    rest=st.text(alphabet="0123456789", min_size=6, max_size=8),
)
def test_any_uk_landline_is_found(before: str, area: str, rest: str) -> None:
    digits = area + rest
    assume(len(digits) in (10, 11))
    assert KIND.PHONE in kinds(f"{before} {area} {rest}")


@settings(deadline=None)
@given(
    born=st.dates(min_value=date(1940, 1, 1), max_value=date(2016, 3, 1)),
    layout=st.sampled_from(
        ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d %b %Y"]
    ),
    before=words,
)
def test_any_date_ten_or_more_years_ago_is_taken_for_a_date_of_birth(
    born: date, layout: str, before: str
) -> None:
    assert KIND.DATE_OF_BIRTH in kinds(f"{before} {born.strftime(layout)}")


@settings(deadline=None)
@given(
    day=st.dates(min_value=date(2025, 3, 3), max_value=date(2026, 3, 2)),
    layout=st.sampled_from(["%d/%m/%Y", "%d %B %Y", "%Y-%m-%d"]),
)
def test_a_recent_date_alone_is_not_a_date_of_birth(day: date, layout: str) -> None:
    assert kinds(f"return visit after {day.strftime(layout)}") == []


@settings(deadline=None)
@given(
    local=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=20),
    domain=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
    tld=st.sampled_from(["com", "co.uk", "org", "net"]),
    before=words,
)
def test_any_email_address_is_found(local: str, domain: str, tld: str, before: str) -> None:
    assume(local[0] not in "._")
    assert KIND.EMAIL in kinds(f"{before} {local}@{domain}.{tld} ")


@settings(deadline=None)
@given(
    letters=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=0, max_size=2),
    digits=st.text(alphabet="0123456789", min_size=6, max_size=9),
    before=words,
)
def test_passport_like_numbers_are_found(letters: str, digits: str, before: str) -> None:
    # Nine digits alone, or one or two letters and six to eight digits.
    assume((letters == "" and len(digits) == 9) or (letters and len(digits) <= 8))
    assert KIND.DOCUMENT_NUMBER in kinds(f"{before} {letters}{digits} ")


@settings(deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Nd",), blacklist_characters="@")))
def test_text_without_digits_or_at_signs_is_never_refused(text: str) -> None:
    assert kinds(text) == []


@settings(deadline=None)
@given(
    counts=st.lists(
        st.tuples(st.integers(0, 999), st.sampled_from(["people", "rooms", "phones", "visitors"])),
        max_size=6,
    )
)
def test_small_counts_are_never_refused(counts: list[tuple[int, str]]) -> None:
    assert kinds(", ".join(f"{n} {what}" for n, what in counts)) == []


# --- long, repetitive text costs time in proportion to its length -------------------------------

# The address pattern before it was anchored at the start of a run of local-part characters.
_UNANCHORED_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1.-_+%@ \ncomuk", max_size=60))
def test_the_anchored_email_pattern_finds_exactly_what_the_unanchored_one_did(text: str) -> None:
    spans = [m.span() for m in identifiers._EMAIL.finditer(text)]
    assert spans == [m.span() for m in _UNANCHORED_EMAIL.finditer(text)]


def _phones_trying_every_stretch(text: str) -> list[str]:
    """The phone search as it was: every stretch of neighbouring groups, however long."""
    found = []
    for run in identifiers._NUMBER_RUN.finditer(text):
        groups = [g.group(0) for g in identifiers._GROUP.finditer(run.group(0))]
        stretches = (groups[i:j] for i in range(len(groups)) for j in range(i + 1, len(groups) + 1))
        if any(identifiers._as_uk_number(s) is not None for s in stretches):
            found.append(run.group(0))
    return found


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["07700", "900123", "020", "7946", "0000", "+44", "(0)", "0044", "1"]),
        max_size=12,
    ),
    st.sampled_from([" ", "-", ".", " - "]),
)
def test_capping_a_stretch_at_a_phone_numbers_digits_finds_the_same_numbers(
    parts: list[str], separator: str
) -> None:
    text = "call " + separator.join(parts) + " now"
    runs = [f.text for f in identifiers._phones(text)]
    assert len(runs) == len(_phones_trying_every_stretch(text))
    assert all(any(r in run for run in _phones_trying_every_stretch(text)) for r in runs)


def test_a_long_run_of_digit_groups_is_tried_a_few_times_per_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "1-1-1-..." over a 4,000-character note once took minutes (a try for every pair of groups,
    each joining the groups between): now at most one try per digit a phone number can have."""
    calls = 0
    real = identifiers._as_uk_number

    def counted(groups: list[str]) -> str | None:
        nonlocal calls
        calls += 1
        return real(groups)

    monkeypatch.setattr(identifiers, "_as_uk_number", counted)
    groups = 2_000
    assert find_identifiers("(" + "1-" * groups, today=TODAY) == []
    assert calls <= groups * identifiers.MAX_PHONE_DIGITS


def test_a_plural_subject_seems_plural() -> None:
    message = problem(Plural("The comments"), "call 07700900123", today=TODAY)
    assert message is not None and message.startswith(
        "The comments seem to contain a phone number."
    )
    assert Plural("The comments") == "The comments"  # still the caller's text elsewhere
