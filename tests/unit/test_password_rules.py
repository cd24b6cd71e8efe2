"""A new password: long enough is not enough when it is among the first any attacker tries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.accounts.users import MIN_PASSWORD_LENGTH, password_problem

HARDER = "Choose a password that is harder to guess"


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",  # one character
        "abcabcabcabc",  # one short unit, repeated
        "121212121212",
        "123456789012",  # a run of digits
        "098765432109",  # backwards
        "abcdefghijkl",  # the alphabet
        "qwertyuiop12",  # a row of the keyboard
        "zxcvbnm12345",
        "Password2026!",  # a common word dressed up
        "password1234",
        "P@ssw0rd2026",  # with the usual stand-ins for letters
        "Passw0rd!!!!",
        "Welc0me2026!",
        "letmein-letmein",
    ],
)
def test_a_long_but_guessable_password_is_refused_saying_what_works(password: str) -> None:
    assert len(password) >= MIN_PASSWORD_LENGTH
    problem = password_problem(password)
    assert problem is not None and problem.startswith(HARDER)
    assert "random words" in problem


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Secret-Garden-Walk",  # a common word among others is fine
        "a much better passphrase",
        "licensing-demo-2026",  # the demo's, which the README lists
        "admin-demo-2026!",
        "Tr0ub4dor&3xx",
    ],
)
def test_passphrases_and_mixed_passwords_are_accepted(password: str) -> None:
    assert password_problem(password) is None


@settings(deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["tidal", "copper", "lantern", "orchard", "velvet"]),
        min_size=3,
        max_size=5,
        unique=True,
    )
)
def test_three_or_more_different_words_are_always_accepted(words: list[str]) -> None:
    assert password_problem(" ".join(words)) is None
    assert password_problem("-".join(words) + "7") is None


JANE = ("jane.smith@example.gov.uk", "Jane Smith")


@pytest.mark.parametrize(
    "password",
    [
        "JaneSmith1985!",
        "smith-jane-2026",  # the parts in another order
        "J@ne.5mith#4242",  # with stand-ins for letters
        "janesmith2026xy",  # two letters more change nothing
        "Smith.2026.2027",
    ],
)
def test_a_password_made_of_the_owners_own_names_is_refused(password: str) -> None:
    problem = password_problem(password, about=JANE)
    assert (
        problem is not None and "not made of the account holder's name or email address" in problem
    )
    # The same password is no worse than any other for someone else.
    assert password_problem(password, about=("lee@example.gov.uk", "Lee Oakes")) is None


@pytest.mark.parametrize(
    "password",
    [
        "jane-walks-the-long-canal",  # a name among words of its own
        "smithy orchard lantern",
        "example-gov-2026!",  # the address's domain is the council's, not the person's
    ],
)
def test_a_name_among_other_words_is_accepted(password: str) -> None:
    assert password_problem(password, about=JANE) is None


def test_name_parts_are_the_runs_of_letters_of_the_names_and_the_address_before_its_at() -> None:
    from enforcement.accounts.users import name_parts

    assert name_parts(*JANE) == {"jane", "smith", "janesmith"}
    assert name_parts("jo@x.gov.uk", "Jo") == set()  # too short to count
    assert name_parts("al.ng@x.gov.uk") == {"alng"}  # too short apart, not together
