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

    @classmethod
    def changed_meanwhile(cls, thing: str, *, resubmit: bool = True) -> StaleEdit:
        """The one way the service says a `thing` ("case", "licence") changed since it was opened.

        `resubmit` is for a form the page draws again with what the user typed and the current
        version, so submitting again deliberately replaces the other change. An action with
        nothing typed to keep (a button), or a page that does not carry the current version,
        says to look at the record again instead.
        """
        if resubmit:
            return cls(
                f"Someone else changed this {thing} while you were editing. Your changes have"
                " not been saved. Check their changes below, then submit again to replace them"
                " with yours."
            )
        return cls(
            f"Someone else changed this {thing} while you had it open. Nothing has been saved."
            f" Open the {thing} again to see their changes, then try again."
        )


class AccountLocked(DomainError):
    status = 429
