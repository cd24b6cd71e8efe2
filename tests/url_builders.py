"""Werkzeug's URL builders, compiled once per process instead of once per app.

Every `create_app` binds each of the app's ~120 rules to a new URL map, and binding a rule
compiles two builder functions for it (through `ast` and `compile`): that was nine tenths of
the cost of making an app, and the suite makes one per test. A builder is a function of the
rule's text, its parsed parts and its defaults (converters are looked up on the rule when the
builder runs), so two rules that agree on those get the same function, bound to each rule as
Werkzeug binds it. Rules with defaults are compiled as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_Builder = Callable[..., tuple[str, str]]


def reuse_url_builders() -> None:
    """Memoise `Rule._compile_builder` for the process (a no-op if Werkzeug changes it)."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "memoised", False):
        return
    cache: dict[tuple[Any, ...], _Builder] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> _Builder:
        trace = getattr(self, "_trace", None)
        if self.defaults or trace is None:
            return original(self, append_unknown)  # type: ignore[no-any-return]
        key = (self.rule, tuple(trace), append_unknown)
        if key not in cache:
            cache[key] = original(self, append_unknown)
        return cache[key]

    compile_builder.memoised = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
