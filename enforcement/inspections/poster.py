"""Whether an anti-trafficking poster check passes, and exactly what is missing when it does not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PosterCheck:
    """What the officer saw: the poster, where it could be seen, and in which languages."""

    displayed: bool
    visible_to_public: bool
    visible_to_workers: bool
    languages_displayed: frozenset[str]


@dataclass(frozen=True)
class PosterResult:
    compliant: bool
    problems: tuple[str, ...]
    missing_languages: tuple[str, ...]

    @property
    def summary(self) -> str:
        """Say what is wrong in one line, e.g. 'not visible to workers; missing Vietnamese'."""
        return "; ".join(self.problems) if self.problems else "compliant"


NOT_DISPLAYED = "no poster displayed"


def poster_phrase(compliant: bool, shortfall: str | None) -> str:
    """Say how a poster check went, after a colon: 'poster compliant', 'poster not visible to
    workers; missing Thai', or 'no poster displayed'."""
    if compliant:
        return "poster compliant"
    shortfall = (shortfall or "").strip()
    if not shortfall:
        return "poster not compliant"
    return shortfall if shortfall.startswith(NOT_DISPLAYED) else f"poster {shortfall}"


def assess_poster(
    check: PosterCheck, needed: Iterable[str], names: Mapping[str, str] | None = None
) -> PosterResult:
    """Judge a poster check: compliant only when displayed, visible to both, in every needed language.

    ``needed`` holds language codes from the premises record; ``names`` maps codes to the
    names used in the message (codes are shown when a name is unknown).
    """
    names = names or {}
    if not check.displayed:
        return PosterResult(
            False, (NOT_DISPLAYED,), tuple(sorted(needed, key=lambda c: names.get(c, c)))
        )
    problems: list[str] = []
    if not check.visible_to_public and not check.visible_to_workers:
        problems.append("not visible to the public or to workers")
    elif not check.visible_to_public:
        problems.append("not visible to the public")
    elif not check.visible_to_workers:
        problems.append("not visible to workers")
    missing = tuple(
        sorted(
            (c for c in set(needed) if c not in check.languages_displayed),
            key=lambda c: names.get(c, c),
        )
    )
    if missing:
        problems.append("missing " + ", ".join(names.get(c, c) for c in missing))
    return PosterResult(not problems, tuple(problems), missing)
