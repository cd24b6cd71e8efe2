"""One import from start to end: read the file, preview it, then apply it in one transaction.

The command line runs these in one process with a progress bar; the upload page keeps the file
and its progress in an `import_runs` row and runs the preview and the confirmation in the
background, the page following the row (docs/register.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import ImportRun
from enforcement.registerio.area import council_area
from enforcement.registerio.importing import (
    Options,
    Plan,
    Progress,
    Result,
    apply_plan,
    plan_import,
)
from enforcement.registerio.sources import FORMATS, ImportFileError, read_file


class Status:
    QUEUED = "queued"
    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"


WORKING = (Status.QUEUED, Status.PREVIEWING, Status.APPLYING)
MAX_FILENAME = 200


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
        raise ImportFileError(
            f"Every row of the file was refused ({len(read.refused):,}); nothing was imported. "
            f"The first: line {read.refused[0].line}: {read.refused[0].reason}"
        )
    plan = plan_import(session, read, options, now=now, progress=progress)
    if not plan.items and plan.refused:
        raise ImportFileError(
            f"Every row of the file was refused ({len(plan.refused):,}); nothing was imported. "
            f"The first: line {plan.refused[0].line}: {plan.refused[0].reason}"
        )
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
        filename=(filename or "upload")[:MAX_FILENAME],
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


def options_of(run: ImportRun) -> Options:
    raw = json.loads(run.options or "{}")
    return Options(
        skip_outside=bool(raw.get("skip_outside")), take_conflicts=bool(raw.get("take_conflicts"))
    )


def report_of(run: ImportRun) -> dict[str, Any]:
    return dict(json.loads(run.report)) if run.report else {}


def request_confirm(
    session: Session, actor: Actor, now: datetime, run_id: int, *, take_conflicts: bool
) -> ImportRun:
    """Mark a previewed run to be applied; the caller commits, then starts the work."""
    run = get_run(session, actor, run_id)
    if run.status != Status.PREVIEWED:
        raise ValidationFailed({"run": "This import is not waiting to be confirmed."})
    options = options_of(run)
    run.options = json.dumps({**options.__dict__, "take_conflicts": take_conflicts})
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
