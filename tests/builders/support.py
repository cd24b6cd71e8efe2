"""The support directory: a service with its languages."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM
from enforcement.models import SupportService
from enforcement.register import support

_n = itertools.count(1)


def service_input(**overrides: Any) -> support.ServiceInput:
    data: dict[str, Any] = {
        "name": f"Support service {next(_n)}",
        "kind": "charity",
        "description": "Advice and support for people who may be exploited.",
        "how_to_reach": "Call 0800 000 0000",
        "hours": "Monday to Friday, 9am to 5pm",
        "any_language": False,
        "languages": frozenset({"en"}),
    }
    data.update(overrides)
    return support.ServiceInput(**data)


def make_service(session: Session, *, active: bool = True, **overrides: Any) -> SupportService:
    s = support.create_service(session, SYSTEM, NOW, service_input(**overrides))
    if not active:
        support.set_service_active(session, SYSTEM, NOW, s.id, False)
    return s
