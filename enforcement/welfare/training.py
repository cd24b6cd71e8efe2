"""Operation Moontwist training: supervisors record it; coverage is measured against one third."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today
from enforcement.errors import ValidationFailed
from enforcement.models import User, UserRole, UserWard
from enforcement.models.welfare import MoontwistTraining
from enforcement.register.wards import wards_in_force
from enforcement.vocab import Role

# The strategy's measure of success for action 1.3: a third of DWOs and SNT officers trained.
TARGET = Fraction(1, 3)
DEFAULT_COURSE = "Operation Moontwist welfare visits"
TRAINABLE_ROLES = (Role.WARD_OFFICER.value, Role.SUPERVISOR.value)
_recorder = aliased(User)


@dataclass(frozen=True)
class TrainingInput:
    user_id: int
    completed_on: date | None
    course: str


def is_trained(session: Session, user_id: int | None) -> bool:
    """Say whether the user has a Moontwist training record."""
    if user_id is None:
        return False
    return bool(session.scalar(select(exists().where(MoontwistTraining.user_id == user_id))))


def trainable_officers(session: Session) -> list[tuple[int, str]]:
    """Return the active ward officers and supervisors, by name, for the training form."""
    rows = session.execute(
        select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(TRAINABLE_ROLES), User.is_active.is_(True))
        .distinct()
        .order_by(User.display_name, User.id)
    ).all()
    return [(uid, name) for uid, name in rows]


def record_training(
    session: Session, actor: Actor, now: datetime, data: TrainingInput
) -> MoontwistTraining:
    """Record that an officer completed a Moontwist course; refuse duplicates and future dates."""
    require(actor, Permission.TRAINING_RECORD)
    errors: dict[str, str] = {}
    course = " ".join((data.course or "").split())
    user = session.get(User, data.user_id)
    if user is None or not user.is_active or not (user.roles & set(TRAINABLE_ROLES)):
        errors["user_id"] = "Select a ward officer or supervisor from the list"
    today = london_today(now)
    if data.completed_on is None:
        errors["completed_on"] = "Enter the date the course was completed"
    elif data.completed_on > today:
        errors["completed_on"] = "The date the course was completed must be today or in the past"
    elif data.completed_on < today - timedelta(days=366 * 15):
        errors["completed_on"] = (
            "The date the course was completed must be within the last 15 years"
        )
    if not course:
        errors["course"] = "Enter the name of the course"
    elif len(course) > 200:
        errors["course"] = "The name of the course must be 200 characters or fewer"
    if not errors:
        clash = session.scalar(
            select(MoontwistTraining.id).where(
                MoontwistTraining.user_id == data.user_id,
                MoontwistTraining.completed_on == data.completed_on,
                MoontwistTraining.course == course,
            )
        )
        if clash is not None:
            errors["course"] = "This training is already recorded for this officer on that date"
    if errors:
        raise ValidationFailed(errors)
    assert user is not None and data.completed_on is not None
    row = MoontwistTraining(
        user_id=user.id,
        completed_on=data.completed_on,
        course=course,
        recorded_by_id=actor.user_id,
        recorded_at=now,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Two supervisors recording the same course at once: the second is told, not crashed.
        raise ValidationFailed(
            {"course": "This training is already recorded for this officer on that date"}
        ) from None
    audit.record(
        session,
        actor,
        now,
        action="training.record",
        entity_type="user",
        entity_id=user.id,
        summary=f"Recorded Moontwist training for {user.display_name} ({course})",
        after={"completed_on": data.completed_on.isoformat(), "course": course},
    )
    return row


@dataclass(frozen=True)
class WardCoverage:
    code: str | None
    name: str
    officers: int
    trained: int

    @property
    def share(self) -> Fraction | None:
        return None if self.officers == 0 else Fraction(self.trained, self.officers)

    @property
    def meets_target(self) -> bool:
        return self.officers > 0 and Fraction(self.trained, self.officers) >= TARGET

    @property
    def still_to_train(self) -> int:
        """How many more officers must be trained to reach the target."""
        needed = -(-self.officers * TARGET.numerator // TARGET.denominator)
        return max(0, needed - self.trained)


@dataclass(frozen=True)
class TrainingRow:
    id: int
    officer: str
    completed_on: date
    course: str
    recorded_by: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class CoverageReport:
    wards: list[WardCoverage]
    overall: WardCoverage
    recent: list[TrainingRow]
    target: Fraction = TARGET


def coverage_report(session: Session, actor: Actor, now: datetime) -> CoverageReport:
    """Per ward in force and overall: ward officers covering it, how many are trained.

    A ward officer is an active user with the ward_officer role; they count in every ward they
    cover, and once overall.
    """
    require(actor, Permission.TRAINING_VIEW)
    trained_ids = set(session.scalars(select(MoontwistTraining.user_id).distinct()))
    cover = session.execute(
        select(UserWard.ward_code, User.id)
        .join(User, User.id == UserWard.user_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.WARD_OFFICER.value, User.is_active.is_(True))
    ).all()
    by_ward: dict[str, set[int]] = {}
    for code, uid in cover:
        by_ward.setdefault(code, set()).add(uid)
    wards = []
    everyone: set[int] = set()
    for ward in wards_in_force(session, london_today(now)):
        officers = by_ward.get(ward.code, set())
        everyone |= officers
        wards.append(WardCoverage(ward.code, ward.name, len(officers), len(officers & trained_ids)))
    overall = WardCoverage(None, "All wards", len(everyone), len(everyone & trained_ids))
    recent = [
        TrainingRow(t.id, officer, t.completed_on, t.course, recorder, t.recorded_at)
        for t, officer, recorder in session.execute(
            select(MoontwistTraining, User.display_name, _recorder.display_name)
            .join(User, User.id == MoontwistTraining.user_id)
            .outerjoin(_recorder, _recorder.id == MoontwistTraining.recorded_by_id)
            .order_by(MoontwistTraining.recorded_at.desc(), MoontwistTraining.id.desc())
            .limit(50)
        )
    ]
    return CoverageReport(wards=wards, overall=overall, recent=recent)
