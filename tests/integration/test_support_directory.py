"""The support directory (docs/support-directory.md): kept by administrators, every change
audited; a premises' support card by the languages its record lists. Both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from builders import NOW, SYSTEM, make_premises, make_user, make_wards
from builders.inspections import make_inspection
from builders.support import make_service, service_input
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.accounts.users import actor_for
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.models import AuditEvent, SupportService, WelfareVisitService
from enforcement.register import support


def _events(session: Session, service_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "support_service")
            .where(AuditEvent.entity_id == str(service_id))
            .order_by(AuditEvent.id)
        )
    )


def test_every_change_to_the_directory_is_audited(session: Session) -> None:
    admin = actor_for(make_user(session, "admin"))
    s = support.create_service(
        session,
        admin,
        NOW,
        service_input(name="  A   helpline ", languages=frozenset({"en", "th"})),
    )
    assert s.name == "A helpline" and s.active
    support.update_service(
        session,
        admin,
        NOW,
        s.id,
        s.version,
        service_input(name="A helpline", hours="24 hours, every day", languages=frozenset({"vi"})),
    )
    support.set_service_active(session, admin, NOW, s.id, False)
    support.set_service_active(session, admin, NOW, s.id, True)
    name = support.delete_service(session, admin, NOW, s.id)
    assert name == "A helpline" and session.get(SupportService, s.id) is None
    events = _events(session, s.id)
    assert [e.action for e in events] == [
        "support_service.create",
        "support_service.update",
        "support_service.withdraw",
        "support_service.reinstate",
        "support_service.delete",
    ]
    assert all(e.actor_id == admin.user_id for e in events)
    created = json.loads(events[0].after_json or "{}")
    assert created["languages"] == ["en", "th"] and created["name"] == "A helpline"
    changed_before = json.loads(events[1].before_json or "{}")
    changed_after = json.loads(events[1].after_json or "{}")
    assert changed_before["languages"] == ["en", "th"] and changed_after["languages"] == ["vi"]
    assert changed_after["hours"] == "24 hours, every day"
    assert json.loads(events[4].before_json or "{}")["name"] == "A helpline"


def test_only_administrators_keep_the_directory(session: Session) -> None:
    s = make_service(session)
    for role in ("supervisor", "licensing_officer", "ward_officer", "partner"):
        who = actor_for(make_user(session, role))
        with pytest.raises(Forbidden):
            support.create_service(session, who, NOW, service_input())
        with pytest.raises(Forbidden):
            support.update_service(session, who, NOW, s.id, s.version, service_input())
        with pytest.raises(Forbidden):
            support.set_service_active(session, who, NOW, s.id, False)
        with pytest.raises(Forbidden):
            support.delete_service(session, who, NOW, s.id)
    assert _events(session, s.id)[-1].action == "support_service.create"


def test_what_a_service_needs(session: Session) -> None:
    existing = make_service(session, name="Existing service")
    before = session.scalar(select(func.count()).select_from(SupportService))
    with pytest.raises(ValidationFailed) as refused:
        support.create_service(
            session,
            SYSTEM,
            NOW,
            service_input(
                name="existing SERVICE",
                kind="police",
                description=" ",
                how_to_reach="",
                hours="",
                languages=frozenset(),
            ),
        )
    assert set(refused.value.errors) == {
        "name",
        "kind",
        "description",
        "how_to_reach",
        "hours",
        "languages",
    }
    with pytest.raises(ValidationFailed) as unknown:
        support.create_service(session, SYSTEM, NOW, service_input(languages=frozenset({"xx"})))
    assert "languages" in unknown.value.errors
    # Interpreting in any language stands for a list of languages.
    support.create_service(
        session, SYSTEM, NOW, service_input(any_language=True, languages=frozenset())
    )
    assert session.scalar(select(func.count()).select_from(SupportService)) == before + 1
    with pytest.raises(StaleEdit):
        support.update_service(
            session, SYSTEM, NOW, existing.id, existing.version - 1, service_input()
        )
    with pytest.raises(NotFound):
        support.update_service(session, SYSTEM, NOW, 2_000_000, 1, service_input())


def test_a_service_a_record_chose_is_withdrawn_not_deleted(session: Session) -> None:
    from builders.welfare import make_world

    world = make_world(session)
    s = make_service(session)
    visit = world.log(session)
    session.add(WelfareVisitService(visit_id=visit.id, service_id=s.id))
    session.flush()
    assert support.is_used(session, s.id)
    with pytest.raises(ValidationFailed) as refused:
        support.delete_service(session, SYSTEM, NOW, s.id)
    assert "withdraw it instead" in refused.value.errors["service"]
    support.set_service_active(session, SYSTEM, NOW, s.id, False)
    assert s.id not in {sid for sid, _ in support.service_choices(session)}
    # A record that already holds it still shows it among its choices.
    assert s.id in {sid for sid, _ in support.service_choices(session, keep=frozenset({s.id}))}
    assert support.check_choice(session, frozenset({s.id})) is not None


def _chosen_on_a_visit(session: Session, service_id: int) -> None:
    from builders.welfare import make_world

    session.add(
        WelfareVisitService(visit_id=make_world(session).log(session).id, service_id=service_id)
    )


def _chosen_at_an_inspection(session: Session, service_id: int) -> None:
    make_wards(session)
    make_inspection(session, make_premises(session).id, services=frozenset({service_id}))


def _chosen_on_a_referral(session: Session, service_id: int) -> None:
    from builders.referrals import full_draft
    from builders.referrals import make_world as referral_world

    from enforcement.referrals import drafting

    world = referral_world(session)
    drafting.create_draft(
        session,
        world.actors["officer"],
        NOW,
        world.premises.id,
        full_draft(world, support_providers=frozenset({service_id})),
    )


@pytest.mark.parametrize(
    "choose", [_chosen_on_a_visit, _chosen_at_an_inspection, _chosen_on_a_referral]
)
def test_a_service_any_record_chose_cannot_be_deleted(session: Session, choose: Any) -> None:
    """A visit, an inspection or a referral: each keeps the service it chose (the service can
    only be withdrawn), and the refusal is a message, not the database's foreign key error."""
    s = make_service(session)
    choose(session, s.id)
    session.flush()
    assert support.is_used(session, s.id)
    with pytest.raises(ValidationFailed) as refused:
        support.delete_service(session, SYSTEM, NOW, s.id)
    assert "withdraw it instead" in refused.value.errors["service"]
    assert session.get(SupportService, s.id) is not None


def test_the_support_card_lists_the_services_for_each_language(session: Session) -> None:
    make_wards(session)
    p = make_premises(session, language_codes=frozenset({"th", "vi", "pl"}))
    thai = make_service(session, name="Thai charity", languages=frozenset({"th"}))
    both = make_service(session, name="Two languages", languages=frozenset({"vi", "th", "en"}))
    helpline = make_service(session, name="Helpline", any_language=True, languages=frozenset())
    make_service(session, name="Withdrawn Thai", languages=frozenset({"th"}), active=False)
    make_service(session, name="English only", languages=frozenset({"en"}))
    reader = actor_for(make_user(session, "licensing_officer"))
    card = support.support_card(session, reader, p.id)
    by_language = {name: [e.service.name for e in es] for name, es in card.languages}
    assert by_language == {
        "Polish": [],
        "Thai": [thai.name, both.name],
        "Vietnamese": [both.name],
    }
    assert [name for name, _ in card.languages] == ["Polish", "Thai", "Vietnamese"]
    assert [e.service.name for e in card.any_language] == [helpline.name]
    assert card.uncovered == ["Polish"]
    entry = next(e for e in card.languages[1][1] if e.service.id == both.id)
    assert entry.languages == ["English", "Thai", "Vietnamese"]
    with pytest.raises(Forbidden):
        support.support_card(session, actor_for(make_user(session, "partner")), p.id)
    with pytest.raises(NotFound):
        support.support_card(session, reader, 2_000_000)


def test_a_referral_offers_support_through_services_of_the_directory(session: Session) -> None:
    from builders import BOOK, full_draft, make_referral_world

    from enforcement.referrals import drafting as referrals
    from enforcement.referrals import queries as referral_queries

    world = make_referral_world(session)
    officer = world.actors["officer"]
    charity = make_service(session, name="Anti-trafficking charity")
    withdrawn = make_service(session, name="Old service", active=False)
    with pytest.raises(ValidationFailed) as refused:
        referrals.create_draft(
            session,
            officer,
            NOW,
            world.premises.id,
            full_draft(world, support_providers=frozenset({withdrawn.id})),
        )
    assert "support_providers" in refused.value.errors
    # Chosen from the directory, the free text is only an optional note.
    r = referrals.create_draft(
        session,
        officer,
        NOW,
        world.premises.id,
        full_draft(world, support_provider=None, support_providers=frozenset({charity.id})),
    )
    referrals.submit(session, officer, NOW, r.id, r.version)
    assert r.status == "submitted"
    detail = referral_queries.get_referral(session, world.actors["supervisor"], NOW, r.id, BOOK)
    assert detail.providers == ["Anti-trafficking charity"]
    created = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "referral.create", AuditEvent.entity_id == str(r.id)
        )
    )
    assert created is not None
    assert json.loads(created.after_json or "{}")["support_providers"] == [charity.id]
    # Neither chosen nor named: the referral cannot be submitted.
    bare = referrals.create_draft(
        session, officer, NOW, world.premises.id, full_draft(world, support_provider=None)
    )
    with pytest.raises(ValidationFailed) as incomplete:
        referrals.submit(session, officer, NOW, bare.id, bare.version)
    assert "support directory" in incomplete.value.errors["support_providers"]


def test_the_hundredth_language_of_one_long_prefix_still_gets_a_code_its_column_holds(
    session: Session,
) -> None:
    """Codes are the name's first letters, then -2, -3 ... for the next: the hundredth's "-100"
    made a 21-character code, which PostgreSQL refused."""
    from enforcement.models import Language
    from enforcement.register import languages

    stem = "portuguese-brazilian"  # the code of the name below: its first 20 letters
    session.add(Language(code=stem, name="Taken 1", active=True, sort_order=1000))
    session.add_all(
        Language(code=f"{stem[: 20 - len(f'-{n}')]}-{n}", name=f"Taken {n}", sort_order=1000 + n)
        for n in range(2, 100)
    )
    session.flush()
    added = languages.add_language(session, SYSTEM, NOW, "Portuguese (Brazilian, north)")
    assert added.code == "portuguese-brazi-100"
