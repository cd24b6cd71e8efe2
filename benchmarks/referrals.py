"""Time the committee papers of a referral with 200 evidence items: both versions, Word and HTML.

Builds a fresh SQLite file with the real migrations, then records everything through the real
workflows (inspections, intelligence flags, enforcement cases, a referral drafted, signed off,
its process opened and its hearing listed), and times `enforcement.referrals.papers.committee.produce`
as the download page calls it: read the referral, build the model, render, audit, commit.
Fails (non-zero exit) if any paper takes 3 s or more.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import docx
from sqlalchemy.orm import Session

from benchmarks.generate import migrate
from benchmarks.run import machine
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.cases import casework as cases
from enforcement.clock import LONDON
from enforcement.db import make_engine
from enforcement.inspections import inspections
from enforcement.intelligence import flags
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.referrals.papers import committee as committee_papers
from enforcement.register import licences, premises
from enforcement.vocab import OrganisationKind, PremisesType

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "benchmarks" / "results" / "referrals.db"
RESULTS = ROOT / "benchmarks" / "results" / "referrals.md"
TARGET_SECONDS = 3.0
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SYSTEM = Actor.system("benchmark")


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f}s] {message}", flush=True)


def _user(session: Session, org_id: int, role: str, name: str) -> Actor:
    user = users.create_user(
        session,
        SYSTEM,
        T0,
        users.UserInput(
            email=f"{role}@bench.invalid",
            display_name=name,
            organisation_id=org_id,
            roles=frozenset({role}),
            ward_codes=frozenset(),
        ),
        password="benchmark-password-not-used",  # noqa: S106 - nobody signs in
    )
    return users.actor_for(user)


def build(db_path: Path, *, items: int) -> int:
    """Build the database and a referral with `items` evidence items; return its id."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    migrate(engine)
    calendar, rulebook = cases.default_calendar(None), cases.default_rulebook()
    # Evidence: a third inspections, a third their poster checks, then flags and cases.
    n_inspections = items * 2 // 5
    n_flags = items // 8
    n_cases = items - 2 * n_inspections - n_flags
    with Session(engine, expire_on_commit=False) as session:
        council = users.create_organisation(
            session, SYSTEM, T0, name="Bench Council", kind=OrganisationKind.COUNCIL
        )
        police = users.create_organisation(
            session, SYSTEM, T0, name="Bench Police", kind=OrganisationKind.POLICE
        )
        officer = _user(session, council.id, "licensing_officer", "Olive Oakley")
        supervisor = _user(session, council.id, "supervisor", "Sam Sutherland")
        clerk = _user(session, council.id, "committee_clerk", "Clara Clerkwell")
        analyst = _user(session, police.id, "intel_analyst", "Ash Analyst")
        pub = premises.create_premises(
            session,
            SYSTEM,
            T0,
            premises.PremisesInput(
                name="The Crown", address_line1="1 High Street", premises_type=PremisesType.PUB_BAR
            ),
        )
        licence = licences.create_licence(
            session,
            SYSTEM,
            T0,
            pub.id,
            licences.LicenceInput(
                regime="premises_licence",
                reference="PL/BENCH/1",
                holder_name="Thanh Nguyen",
                status="active",
                conditions=tuple(f"Condition {n} of the licence, in full." for n in range(1, 16)),
            ),
        )
        conditions = sorted(licence.conditions, key=lambda c: c.number)
        first = T0 - timedelta(days=2 * n_inspections + 30)
        for i in range(n_inspections):
            when = first + timedelta(days=2 * i)
            inspections.record_inspection(
                session,
                officer,
                when + timedelta(hours=1),
                pub.id,
                inspections.InspectionInput(
                    inspected_at=when,
                    reason="routine" if i % 3 else "follow_up",
                    idempotency_key=f"bench-{i}",
                    poster_displayed=bool(i % 2),
                    poster_visible_public=bool(i % 2),
                    poster_visible_workers=bool(i % 4 == 1),
                    officer_ids=frozenset({officer.user_id or 0}),
                    other_officers="PC Dunstan Drummond",
                    licence_id=licence.id,
                    findings=tuple(
                        inspections.FindingInput(
                            c.id,
                            "breached" if (c.number + i) % 5 == 0 else "complied",
                            f"Note on condition {c.number} at inspection {i}.",
                        )
                        for c in conditions[:8]
                    ),
                    observations=f"Observations at inspection {i}: Mr Nguyen answered for staff.",
                ),
            )
        for i in range(n_flags):
            flags.raise_flag(
                session,
                analyst,
                first + timedelta(days=3 * i, hours=5),
                flags.FlagInput(
                    reported_at=first + timedelta(days=3 * i),
                    source_type="police",
                    exploitation=frozenset({"forced_labour"}),
                    report_text=f"Intelligence report {i}: workers moved between premises at night.",
                    premises_id=pub.id,
                    grade=flags.GradeInput(
                        "3x5x2",
                        "B",
                        "2",
                        "C" if i % 2 else "P",
                        "Council licensing only." if i % 2 else None,
                        frozenset({council.id}) if i % 2 else frozenset(),
                    ),
                ),
            )
        case_ids = []
        for i in range(n_cases):
            case = cases.open_case(
                session,
                officer,
                first + timedelta(days=5 * i),
                cases.CaseInput(pub.id, "prosecution", council.id, officer.user_id, f"Case {i}"),
            )
            case_ids.append(case.id)
        session.commit()
        log(f"recorded {n_inspections} inspections, {n_flags} flags, {n_cases} cases", started)
        from enforcement.referrals.evidence import choices

        chosen = {
            (kind.value, c.source_id)
            for kind, listed in choices(session, officer, T0, pub.id).items()
            for c in listed
        }
        breached = {
            c.id
            for c in conditions
            if any((c.number + i) % 5 == 0 for i in range(n_inspections)) and c.number <= 8
        }
        r = referrals.create_draft(
            session,
            officer,
            T0,
            pub.id,
            referrals.DraftInput(
                licence_id=licence.id,
                unlicensed_trading=True,
                breach_of_conditions=True,
                condition_ids=frozenset(breached),
                narrative="Inspections over two years found the conditions breached again and"
                " again.\n\nMr Nguyen, the holder, would not let officers speak to staff alone.",
                public_summary="Inspections over two years found the conditions breached again.",
                evidence=frozenset(chosen),
                recommendation="revoke",
                dps_name="Kimberley Tranter",
                support_services=frozenset({"nrm", "specialist_charity", "health"}),
                support_provider="A specialist anti-trafficking charity",
                support_taken_up="not_known",
                support_offered_on=(T0 - timedelta(days=3)).date(),
            ),
        )
        referrals.submit(session, officer, T0, r.id, r.version)
        referrals.sign_off(session, supervisor, T0, r.id, r.version)
        received = datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)
        referral_process.open_process(
            session,
            clerk,
            received + timedelta(hours=2),
            r.id,
            r.version,
            received_at=received,
            calendar=calendar,
            rulebook=rulebook,
        )
        referral_process.list_hearing(
            session,
            clerk,
            received + timedelta(hours=3),
            r.id,
            r.version,
            hearing_at=datetime(2026, 4, 20, 10, 0, tzinfo=LONDON),
            listed_at=received + timedelta(hours=3),
            calendar=calendar,
            rulebook=rulebook,
        )
        for party in ("police", "resident", "business"):
            referral_process.add_representations(
                session,
                clerk,
                datetime(2026, 3, 20, 12, 0, tzinfo=LONDON),
                r.id,
                r.version,
                referral_process.RepresentationInput(
                    party, 3, f"Representations from {party}.", date(2026, 3, 20)
                ),
            )
        session.commit()
        referral_id = r.id
        log(f"referral {r.reference} with {len(chosen)} evidence items", started)
    engine.dispose()
    return referral_id


@dataclass(frozen=True)
class Timing:
    version: str
    fmt: str
    seconds: list[float]
    cpu: list[float]
    size: int
    pages_hint: int  # paragraphs + table rows in the Word file, or bytes of HTML

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


def time_papers(db_path: Path, referral_id: int, repeat: int) -> list[Timing]:
    engine = make_engine(f"sqlite:///{db_path}")
    rulebook = cases.default_rulebook()
    now = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
    out = []
    with Session(engine) as session:
        clerk = users.actor_for(
            next(u for u in users.list_users(session, SYSTEM) if u.email.startswith("committee"))
        )
    for version in ("public", "exempt"):
        for fmt in ("docx", "html"):
            seconds, cpu, size, hint = [], [], 0, 0
            for _ in range(repeat + 1):  # the first run warms caches and is not counted
                with Session(engine) as session:
                    t, c = time.perf_counter(), time.process_time()
                    paper = committee_papers.produce(
                        session, clerk, now, referral_id, version, fmt, rulebook
                    )
                    session.commit()
                    seconds.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - c)
                size = len(paper.content)
            if fmt == "docx":
                document = docx.Document(io.BytesIO(paper.content))
                hint = len(document.paragraphs) + sum(len(t.rows) for t in document.tables)
            out.append(Timing(version, fmt, seconds[1:], cpu[1:], size, hint))
    engine.dispose()
    return out


def report(timings: Sequence[Timing], items: int, repeat: int, passed: bool, command: str) -> str:
    lines = [
        "# Committee papers benchmark: latest figures",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`. Each figure is one call of"
        " `enforcement.referrals.papers.committee.produce(session, clerk, now, referral_id, version, format,"
        " rulebook)` as the download page makes it (read the referral and its evidence, build the"
        " document model with its redaction, render it, write the audit event), committed, on a"
        " SQLite file built by the real migrations (`benchmarks/results/referrals.db`).",
        "",
        f"Data: one referral with {items} evidence items (inspections, their poster checks,"
        " intelligence flags of handling code P and C, enforcement cases), 15 licence conditions,"
        f" 3 kinds of representations. {repeat} timed runs per paper after one warm-up run.",
        "",
        "| Paper | Format | Median s | Max s | CPU median s | Size | Paragraphs and table rows |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.version} | {t.fmt} | {t.median:.3f} | {t.worst:.3f} |"
            f" {statistics.median(t.cpu):.3f} | {t.size / 1024:.0f} KB |"
            f" {t.pages_hint if t.fmt == 'docx' else ''} |"
        )
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    lines += [
        "",
        f"Target: every paper under {TARGET_SECONDS:.0f} s for a referral with 200 evidence items."
        f" Result: **{'met' if passed else 'missed'}** (the slowest run is the measure).",
        "",
        f"Load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} at the end.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    referral_id = build(args.db, items=args.items)
    timings = time_papers(args.db, referral_id, args.repeat)
    passed = all(t.worst < TARGET_SECONDS for t in timings)
    for t in timings:
        log(
            f"{t.version} {t.fmt}: median {t.median:.3f} s, max {t.worst:.3f} s,"
            f" {t.size / 1024:.0f} KB",
            started,
        )
    command = "python -m benchmarks.referrals" + (
        " " + " ".join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    if not args.no_write:
        RESULTS.write_text(report(timings, args.items, args.repeat, passed, command))
        log(f"wrote {RESULTS}", started)
    print("target met" if passed else f"target MISSED: a paper took {TARGET_SECONDS} s or more")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
