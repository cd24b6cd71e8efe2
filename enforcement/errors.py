"""Errors the domain raises; the web layer turns each into a clear message and status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can be told about."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """Input broke a rule; ``errors`` maps each field to its message."""

    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class StaleEdit(DomainError):
    """Somebody else changed the record since the form was opened."""

    status = 409


class AccountLocked(DomainError):
    status = 429
