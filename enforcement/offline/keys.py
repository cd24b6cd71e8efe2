"""The key a tablet encrypts its offline copy with: one per offline grant, never stored.

A user's grant is issued the first time a signed-in session of theirs asks for the key, and
handed out again to any later signed-in session of the same user until it ends: so an officer
whose web session idled out while they had no signal signs in again and gets the same key, and
what the tablet saved is still readable and is sent. A grant ends when it expires
(OFFLINE_HOURS after it was issued: a working day) and when every session of the account is
revoked (deactivation, a password reset); the next grant gives another key, and a tablet holding
a copy under the old one clears it. Signing out does not end it: the grant is shared by every
device of the user, and a sign-out on one must not make another tablet's unsent records
unreadable (the device signing out clears its own copy).

Only a random nonce is stored (`offline_grants`): the key is HMAC-SHA256 of the service's
secret over a purpose label, the user's id and the nonce, so a copy of the database alone does
not give it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from enforcement.models import OfflineGrant

#: Separates this use of the secret from any other (the session cookie's signature, CSRF).
_PURPOSE = b"offline-device-key/v2"


def derive_key(secret: str | bytes, user_id: int, nonce: str) -> str:
    """Return a grant's 32-byte key, base64url without padding."""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    message = _PURPOSE + b"\x00" + str(user_id).encode() + b"\x00" + nonce.encode()
    digest = hmac.new(secret_bytes, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def current_grant(session: Session, user_id: int, now: datetime, hours: int) -> OfflineGrant:
    """Return the user's live grant, issuing one (and removing an expired one) if there is none."""
    grant = session.scalar(select(OfflineGrant).where(OfflineGrant.user_id == user_id))
    if grant is not None and grant.expires_at > now:
        return grant
    if grant is not None:
        session.delete(grant)
        session.flush()
    grant = OfflineGrant(
        user_id=user_id,
        nonce=secrets.token_hex(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(grant)
    session.flush()
    return grant


def end_grant(session: Session, user_id: int) -> None:
    """End the user's grant: the key can never be handed out again."""
    session.execute(delete(OfflineGrant).where(OfflineGrant.user_id == user_id))
