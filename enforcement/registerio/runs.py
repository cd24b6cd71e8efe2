"""One import from start to end: read the file, preview it, then apply it in one transaction.

The command line runs these in one process with a progress bar; the upload page keeps the file
and its progress in an `import_runs` row and runs the preview and the confirmation in the
background, the page following the row (docs/register.md).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import ImportRun
from enforcement.register import licences
from enforcement.registerio.area import council_area
from enforcement.registerio.importing import (
    Options,
    Plan,
    Progress,
    Result,
    apply_plan,
    plan_import,
    refused_rows,
)
from enforcement.registerio.sources import FORMATS, ImportFileError, every_row_refused, read_file
from enforcement.spreadsheet import safe_cell


class Status:
    QUEUED = "queued"
    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"


STATUS_LABELS = {
    Status.QUEUED: "Waiting to be read",
    Status.PREVIEWING: "Being read and matched",
    Status.PREVIEWED: "Waiting for you to confirm",
    Status.APPLYING: "Being imported",
    Status.DONE: "Imported",
    Status.FAILED: "Failed: nothing was imported",
    Status.DISCARDED: "Discarded: nothing was imported",
}
log = logging.getLogger(__name__)
WORKING = (Status.QUEUED, Status.PREVIEWING, Status.APPLYING)
MAX_FILENAME = 200
# A run whose row has not moved for this long is no longer being worked on: its server stopped
# (a restart, a deployment, a crash) part way. A run writes its progress about once a second on
# PostgreSQL; on SQLite an import holds the write lock to the end, and 50,000 rows take under a
# minute there (benchmarks/README.md), so half an hour leaves a wide margin.
STALLED_AFTER = timedelta(minutes=30)
STALLED_MESSAGE = (
    "The import stopped part way, when the server running it was restarted. Nothing was written."
    " Upload the file again to import it."
)


def upload_name(filename: str | None) -> str:
    """An uploaded file's name as it is kept and shown: its last part (a browser may send the
    whole path), without control or format characters (a NUL; a right-to-left override, which
    can make "exe.csv" read as "vsc.exe"), spaces collapsed, at most MAX_FILENAME characters."""
    last = re.split(r"[\\/]", filename or "")[-1]
    kept = "".join(ch for ch in last if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    return " ".join(kept.split())[:MAX_FILENAME] or "upload"


def _none(_done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Area:
    """Who the council is, for a national file: its name(s) and optional postcode districts."""

    council_name: str
    authority_names: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()


def preview(
    session: Session,
    now: datetime,
    kind: str,
    data: bytes,
    options: Options,
    area: Area,
    progress: Progress = _none,
) -> Plan:
    """Read and match a file, changing nothing. Raises ImportFileError for an unusable file."""
    filt = (
        council_area(session, area.council_name, area.authority_names, area.districts)
        if kind == "gambling"
        else None
    )
    read = read_file(kind, data, filt)
    if not read.records and read.refused:
        raise every_row_refused(read.refused)
    plan = plan_import(session, read, options, now=now, progress=progress)
    if not plan.items and plan.refused:
        raise every_row_refused(plan.refused)
    return plan


def import_now(
    session: Session,
    actor: Actor,
    now: datetime,
    kind: str,
    data: bytes,
    options: Options,
    area: Area,
    *,
    source: str,
    progress: Progress = _none,
) -> tuple[Plan, Result]:
    """Preview and apply in one go (the command line, the demo loader); the caller commits."""
    require(actor, Permission.REGISTER_IMPORT)
    plan = preview(session, now, kind, data, options, area, progress)
    return plan, apply_plan(session, actor, now, plan, options, source=source, progress=progress)


# ---------------------------------------------------------------------------------------------
# Import runs, for the upload page
# ---------------------------------------------------------------------------------------------


def start_run(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    kind: str,
    filename: str,
    data: bytes,
    options: Options,
) -> ImportRun:
    """Keep an uploaded file for a background preview; the caller commits, then starts the work."""
    require(actor, Permission.REGISTER_IMPORT)
    errors = {}
    if kind not in FORMATS:
        errors["format"] = "Select the kind of file"
    if not data:
        errors["upload"] = "The selected file is empty"
    if errors:
        raise ValidationFailed(errors)
    run = ImportRun(
        format=kind,
        filename=upload_name(filename),
        content=data,
        options=json.dumps(options.__dict__),
        status=Status.QUEUED,
        total=0,
        processed=0,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="register.import_upload",
        entity_type="import_run",
        entity_id=run.id,
        summary=f"Uploaded {run.filename} to import ({kind})",
    )
    return run


def get_run(session: Session, actor: Actor, run_id: int) -> ImportRun:
    require(actor, Permission.REGISTER_IMPORT)
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("There is no such import.")
    return run


def recent_runs(session: Session, actor: Actor, limit: int = 20) -> list[ImportRun]:
    require(actor, Permission.REGISTER_IMPORT)
    return list(
        session.scalars(
            select(ImportRun)
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc())
            .limit(limit)
        )
    )


def fail_stalled(session: Session, now: datetime) -> int:
    """Mark as failed every run still working whose row has not moved for `STALLED_AFTER`
    (the scheduler's tick runs this; the caller commits). An import is one transaction, so a
    run that stopped part way wrote nothing, and the page says so instead of waiting for ever."""
    stalled = list(
        session.scalars(
            select(ImportRun)
            .where(ImportRun.status.in_(WORKING), ImportRun.updated_at < now - STALLED_AFTER)
            .order_by(ImportRun.id)
        )
    )
    for run in stalled:
        run.status = Status.FAILED
        run.stage = None
        run.error = STALLED_MESSAGE
        run.content = None
        run.updated_at = run.finished_at = now
    return len(stalled)


def options_of(run: ImportRun) -> Options:
    raw = json.loads(run.options or "{}")
    return Options(
        skip_outside=bool(raw.get("skip_outside")),
        take_conflicts=bool(raw.get("take_conflicts")),
        leave_out_refused=bool(raw.get("leave_out_refused")),
    )


def report_of(run: ImportRun) -> dict[str, Any]:
    return dict(json.loads(run.report)) if run.report else {}


#: How a change to a field the reader may not read is shown in a preview.
WITHHELD = "withheld"


def report_for(actor: Actor, run: ImportRun) -> dict[str, Any]:
    """A run's report as `actor` may read it: the home addresses of holders and supervisors in
    its changes withheld unless the access policy lets them read those (as on the premises
    page and in the exports: `licences.may_read_addresses`)."""
    report = report_of(run)
    if licences.may_read_addresses(actor):
        return report
    hidden = set(licences.ADDRESS_FIELDS)
    for kind in ("new", "changed", "conflict"):
        for entry in report.get(kind, []):
            for change in entry.get("changes", []):
                if change.get("record") == "licence" and change.get("field") in hidden:
                    change["before"] = change["after"] = WITHHELD
    return report


def refused_rows_csv(report: dict[str, Any]) -> str:
    """Every row a run's preview refused, with its line and reason, as a CSV to correct the file
    by (a byte order mark for spreadsheets; a reason quoting a formula is guarded)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Line", "Reason"])
    for entry in report.get("refused", []):
        writer.writerow([entry["line"], safe_cell(str(entry["reason"]))])
    return out.getvalue()


def refused_count(report: dict[str, Any]) -> int:
    """How many rows of the file a run's report refused (0 before its preview)."""
    return int(report.get("counts", {}).get("refused", 0))


def request_confirm(
    session: Session,
    actor: Actor,
    now: datetime,
    run_id: int,
    *,
    take_conflicts: bool,
    leave_out_refused: bool = False,
) -> ImportRun:
    """Mark a previewed run to be applied; the caller commits, then starts the work. A preview
    with refused rows is applied only when the person chose to leave them out."""
    run = get_run(session, actor, run_id)
    if run.status != Status.PREVIEWED:
        raise ValidationFailed({"run": "This import is not waiting to be confirmed."})
    refused = refused_count(report_of(run))
    if refused and not leave_out_refused:
        raise ValidationFailed(
            {
                "leave_out_refused": f"Choose to leave out {refused_rows(refused)} and import the"
                " rest, or correct the file and upload it again"
            }
        )
    options = options_of(run)
    run.options = json.dumps(
        {
            **options.__dict__,
            "take_conflicts": take_conflicts,
            "leave_out_refused": leave_out_refused and bool(refused),
        }
    )
    run.status = Status.APPLYING
    run.processed = 0
    run.updated_at = now
    return run


def discard(session: Session, actor: Actor, now: datetime, run_id: int) -> ImportRun:
    run = get_run(session, actor, run_id)
    if run.status != Status.PREVIEWED:
        raise ValidationFailed({"run": "Only an import waiting to be confirmed can be discarded."})
    run.status = Status.DISCARDED
    run.content = None
    run.updated_at = run.finished_at = now
    audit.record(
        session,
        actor,
        now,
        action="register.import_discard",
        entity_type="import_run",
        entity_id=run.id,
        summary=f"Discarded the import of {run.filename}",
    )
    return run


# ---------------------------------------------------------------------------------------------
# The background work of a run (a thread of the web process, or inline in the tests)
# ---------------------------------------------------------------------------------------------

Sessions = Callable[[], Session]
Clock = Callable[[], datetime]
PROGRESS_EVERY_SECONDS = 1.0


def _progress_writer(
    sessions: Sessions, run_id: int, clock: Clock, stage: str, *, enabled: bool = True
) -> Progress:
    """A progress callback that stores (done, total) on the run row in its own transaction, at
    most about once a second."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        moment = time.monotonic()
        if not enabled or (moment - last[0] < PROGRESS_EVERY_SECONDS and done < total):
            return
        last[0] = moment
        with sessions() as session:
            session.execute(
                update(ImportRun)
                .where(ImportRun.id == run_id)
                .values(processed=done, total=total, stage=stage, updated_at=clock())
            )
            session.commit()

    return progress


def failure_report(kind: str, exc: ImportFileError) -> dict[str, Any] | None:
    """What a run refused whole keeps to show: every row refused, when that is why (the page,
    and the refused rows' CSV, list each with its line and reason); else nothing."""
    if not exc.refused:
        return None
    return {
        "format": kind,
        "counts": {"refused": len(exc.refused)},
        "refused": [{"line": r.line, "reason": r.reason} for r in exc.refused],
    }


def _fail(
    sessions: Sessions,
    run_id: int,
    clock: Clock,
    message: str,
    report: dict[str, Any] | None = None,
) -> None:
    with sessions() as session:
        run = session.get_one(ImportRun, run_id)
        run.status = Status.FAILED
        run.error = message[:4000]
        run.content = None
        if report is not None:
            run.report = json.dumps(report)
        run.updated_at = run.finished_at = clock()
        session.commit()


def work(
    sessions: Sessions,
    run_id: int,
    actor: Actor,
    clock: Clock,
    area: Area,
    *,
    readers: Sessions | None = None,
) -> None:
    """Do what a run is waiting for: its preview (queued) or its import (applying).

    `sessions` write (on SQLite they take the write lock at once); `readers` (default: the
    same) only read, so the preview can store its progress as it goes. Each step commits its
    own transactions; an import is one transaction, so a failure part way leaves nothing
    written, and the run says why.
    """
    readers = readers or sessions
    with sessions() as session:
        run = session.get(ImportRun, run_id)
        if run is None or run.status not in (Status.QUEUED, Status.APPLYING) or not run.content:
            return
        applying = run.status == Status.APPLYING
        kind, data, options, filename = run.format, run.content, options_of(run), run.filename
        if not applying:
            run.status = Status.PREVIEWING
        run.updated_at = clock()
        run.stage = "Writing the changes" if applying else "Reading and matching the file"
        session.commit()
        dialect = session.get_bind().dialect.name
    try:
        if applying:
            _apply_run(sessions, run_id, actor, clock, area, dialect, kind, data, options, filename)
        else:
            with readers() as session:
                reading = _progress_writer(sessions, run_id, clock, "Reading and matching the file")
                plan = preview(session, clock(), kind, data, options, area, reading)
                session.rollback()
            _finish(
                sessions,
                run_id,
                clock,
                {"format": kind, **plan.report()},
                len(plan.items),
                done=False,
            )
    except ImportFileError as exc:
        _fail(sessions, run_id, clock, exc.nothing_written(), failure_report(kind, exc))
    except Exception:
        log.exception("import run %s failed", run_id)
        _fail(sessions, run_id, clock, "The import stopped with an error. Nothing was written.")


def _apply_run(
    sessions: Sessions,
    run_id: int,
    actor: Actor,
    clock: Clock,
    area: Area,
    dialect: str,
    kind: str,
    data: bytes,
    options: Options,
    filename: str,
) -> None:
    # On SQLite the import holds the write lock: its progress cannot be stored until it ends,
    # so the page says only that it is writing.
    progress = _progress_writer(
        sessions, run_id, clock, "Writing the changes", enabled=dialect != "sqlite"
    )
    with sessions() as session:
        plan = preview(session, clock(), kind, data, options, area, progress)
        result = apply_plan(
            session, actor, clock(), plan, options, source=filename, progress=progress
        )
        report = {"format": kind, **plan.report(), "result": result.as_dict()}
        _store(session, run_id, clock, report, len(plan.items), done=True)
        session.commit()


def _store(
    session: Session, run_id: int, clock: Clock, report: dict[str, Any], items: int, *, done: bool
) -> None:
    run = session.get_one(ImportRun, run_id)
    run.report = json.dumps(report)
    run.processed = run.total = items
    run.stage = None
    run.updated_at = clock()
    if done:
        run.status, run.content, run.finished_at = Status.DONE, None, clock()
    else:
        run.status = Status.PREVIEWED


def _finish(
    sessions: Sessions, run_id: int, clock: Clock, report: dict[str, Any], items: int, *, done: bool
) -> None:
    with sessions() as session:
        _store(session, run_id, clock, report, items, done=done)
        session.commit()
