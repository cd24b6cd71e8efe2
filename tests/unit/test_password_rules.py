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
