"""The key a device encrypts its offline copy with: one per signed-in session, never stored.

It is derived (HMAC-SHA256) from the service's secret and the server-side session's id and
token hash, so every call within one session gives the same key, a new sign-in gives another,
and once the session is revoked (sign-out, deactivation, expiry) nobody can be handed it again:
the API hands it out only to a live session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

#: Separates this use of the secret from any other (the session cookie's signature, CSRF).
_PURPOSE = b"offline-device-key/v1"


def session_key(secret: str | bytes, session_id: int, token_hash: str) -> str:
    """Return the session's 32-byte key, base64url without padding."""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    message = _PURPOSE + b"\x00" + str(session_id).encode() + b"\x00" + token_hash.encode()
    digest = hmac.new(secret_bytes, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
