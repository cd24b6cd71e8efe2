"""The access policy for restricted records, as pure rules: levels by role, ward and narrowing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import Integer, String, literal
from sqlalchemy.orm import Mapped, declarative_base, mapped_column

from enforcement import policy
from enforcement.access import Actor
from enforcement.models.welfare import WelfareVisit
from enforcement.policy import Grant, Narrowing, RecordPolicy, Scope, Visibility
from enforcement.vocab import Role

WEST, EAST = "E05999901", "E05999902"


def actor(*roles: str, wards: frozenset[str] = frozenset()) -> Actor:
    return Actor(user_id=1, label="someone", roles=frozenset(roles), ward_codes=wards)


# The table the issue sets out: who sees what of a welfare visit in the West ward.
MATRIX = [
    (
        "ward officer covering the ward",
        actor("ward_officer", wards=frozenset({WEST})),
        Visibility.CONTENT,
    ),
    (
        "ward officer elsewhere",
        actor("ward_officer", wards=frozenset({EAST})),
        Visibility.EXISTENCE,
    ),
    ("supervisor", actor("supervisor"), Visibility.CONTENT),
    ("intelligence analyst", actor("intel_analyst"), Visibility.CONTENT),
    ("licensing officer", actor("licensing_officer"), Visibility.EXISTENCE),
    (
        "licensing officer covering the ward",
        actor("licensing_officer", wards=frozenset({WEST})),
        Visibility.EXISTENCE,
    ),
    ("committee clerk", actor("committee_clerk"), Visibility.EXISTENCE),
    ("partner", actor("partner"), Visibility.NONE),
    ("administrator", actor("admin"), Visibility.NONE),
    ("administrator covering the ward", actor("admin", wards=frozenset({WEST})), Visibility.NONE),
    ("no role", actor(), Visibility.NONE),
    (
        "administrator and licensing officer",
        actor("admin", "licensing_officer"),
        Visibility.EXISTENCE,
    ),
    ("system", Actor.system("tests"), Visibility.CONTENT),
]


@pytest.mark.parametrize(("who", "someone", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_who_sees_what_of_a_welfare_visit(who: str, someone: Actor, expected: Visibility) -> None:
    visit = WelfareVisit(ward_code=WEST)
    assert policy.visibility(someone, visit) is expected


def test_the_most_anyone_could_see_decides_whether_they_get_a_list() -> None:
    assert policy.most_visible(actor("ward_officer"), "welfare_visit") is Visibility.CONTENT
    assert policy.most_visible(actor("licensing_officer"), "welfare_visit") is Visibility.EXISTENCE
    assert policy.most_visible(actor("admin"), "welfare_visit") is Visibility.NONE


def test_released_visits_may_be_used_as_evidence_and_others_may_not() -> None:
    assert policy.may_use_as_evidence(WelfareVisit(ward_code=WEST, released=True))
    assert not policy.may_use_as_evidence(WelfareVisit(ward_code=WEST, released=False))


def test_a_ward_officer_without_wards_gets_no_content_clause() -> None:
    clause = policy.visible_visits_clause(actor("ward_officer"))
    assert str(clause.compile(compile_kwargs={"literal_binds": True})) in {"false", "0 = 1"}


def test_refusing_says_not_found_to_those_who_may_not_know_it_exists() -> None:
    from enforcement.errors import Forbidden, NotFound

    visit = WelfareVisit(ward_code=WEST)
    with pytest.raises(NotFound):
        policy.require_visibility(actor("admin"), visit, Visibility.EXISTENCE)
    with pytest.raises(Forbidden):
        policy.require_visibility(actor("licensing_officer"), visit, Visibility.CONTENT)
    assert (
        policy.require_visibility(actor("supervisor"), visit, Visibility.CONTENT)
        is Visibility.CONTENT
    )


# --- A new restricted type plugs in ----------------------------------------------------------

_Base: Any = declarative_base()


class Note(_Base):
    """A stand-in for a later restricted record (an intelligence flag, say)."""

    __tablename__ = "policy_test_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(12))
    handling: Mapped[str] = mapped_column(String(1))


@dataclass(frozen=True)
class _Registered:
    policy: RecordPolicy


@pytest.fixture(scope="module")
def notes() -> Iterator[_Registered]:
    """The stand-in type registered for this module's tests only: the registry is the process's,
    and a worker's later tests (the audit log's, say) expect only the service's own types."""

    def check(someone: Actor, note: Any) -> Visibility:
        # Conditional handling: only analysts see the content, others no more than existence.
        if note.handling == "C" and "intel_analyst" not in someone.roles:
            return Visibility.EXISTENCE
        return Visibility.CONTENT

    with patch.dict(policy._POLICIES), patch.dict(policy._BY_MODEL):
        yield _Registered(_register_notes(check))


def _register_notes(check: Any) -> RecordPolicy:
    return policy.register(
        RecordPolicy(
            record_type="policy_test_note",
            model=Note,
            grants=(
                Grant(Role.INTEL_ANALYST, Visibility.CONTENT),
                Grant(Role.WARD_OFFICER, Visibility.CONTENT, Scope.COVERED_WARDS),
            ),
            view_action="policy_test_note.view",
            narrowing=Narrowing(check=check, clause=lambda someone: literal(True)),
        )
    )


def test_a_new_record_type_plugs_in_with_its_own_grants_and_narrowing(notes: _Registered) -> None:
    assert policy.policy_for(Note(ward_code=WEST, handling="P")) is notes.policy
    assert "policy_test_note" in policy.registered_types()
    officer = actor("ward_officer", wards=frozenset({WEST}))
    assert policy.visibility(officer, Note(ward_code=WEST, handling="P")) is Visibility.CONTENT
    assert policy.visibility(officer, Note(ward_code=WEST, handling="C")) is Visibility.EXISTENCE
    assert policy.visibility(officer, Note(ward_code=EAST, handling="P")) is Visibility.NONE
    analyst = actor("intel_analyst")
    assert policy.visibility(analyst, Note(ward_code=EAST, handling="C")) is Visibility.CONTENT
    with pytest.raises(ValueError, match="already has a policy"):
        policy.register(notes.policy)
