"""The signed-in user as Flask-Login sees it, and the permission decorator views use."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import abort, current_app, request, session
from flask_login import UserMixin, current_user

from app.database import db
from enforcement.access import Actor, Permission, can
from enforcement.accounts import users
from enforcement.clock import utcnow

F = TypeVar("F", bound=Callable[..., Any])

#: The longest a sign-in session lasts, however busy (the idle limit is a setting).
SESSION_MAX_AGE = timedelta(hours=12)
#: How stale the cookie's "last seen" time may grow before a request renews it. Renewing it on
#: every request signed and sent a new cookie with every page; renewed once a minute, a session
#: idles out up to a minute before its limit, never after it.
SEEN_EVERY_SECONDS = 60


class SignedInUser(UserMixin):  # type: ignore[misc]
    """Whom the request's sign-in session belongs to, for Flask-Login; the domain sees only the
    Actor it yields."""

    def __init__(self, who: users.SignedIn) -> None:
        self.who = who
        self.id = who.user_id
        self.display_name = who.display_name
        self.email = who.email
        self.roles = who.roles
        self.must_change_password = who.must_change_password
        self._actor: Actor | None = None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_active(self) -> bool:
        return True  # live_session refuses a deactivated user's session

    def can(self, permission: str) -> bool:
        return can(self.actor(), Permission(permission))

    def actor(self) -> Actor:
        """The actor this request acts as: built on first use, then the same for the request
        (a signed-in user is loaded afresh for every request)."""
        if self._actor is None:
            self._actor = self.who.actor(client_ip())
        return self._actor


def client_ip() -> str | None:
    """The client's address, or None when what stands for it is not an IP address (behind
    trusted proxies it is read from X-Forwarded-For, which a client may write more of than
    the proxies replace: docs/operations.md, PROXY_HOPS)."""
    found = request.remote_addr if request else None
    try:
        address = str(ipaddress.ip_address(found)) if found else None
    except ValueError:
        return None
    # An IPv6 address may carry a zone ("fe80::1%eth0") of any length: the columns hold 64.
    return address if address is None or len(address) <= IP_ADDRESS_MAX else None


#: The longest address the sign-in, session and audit records keep.
IP_ADDRESS_MAX = 64


def load_user(user_id: str) -> SignedInUser | None:
    """Resolve the session cookie to a user, refusing a revoked, idle or expired session."""
    token = session.get("sid")
    seen = session.get("seen")
    if not token or seen is None:
        return None
    settings = current_app.config["SETTINGS"]
    now = utcnow()
    if now.timestamp() - float(seen) > settings.session_idle_minutes * 60:
        session.clear()
        session["expired"] = True
        return None
    found = users.live_session(db(), token, now, max_age=SESSION_MAX_AGE)
    if found is None or str(found.user_id) != user_id:
        session.clear()
        return None
    if now.timestamp() - float(seen) >= SEEN_EVERY_SECONDS:
        session["seen"] = now.timestamp()
    return SignedInUser(found)


def current_actor() -> Actor:
    return cast(SignedInUser, current_user).actor()


def require(permission: Permission) -> Callable[[F], F]:
    """Refuse the view with 403 unless the signed-in user holds the permission."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return decorator
