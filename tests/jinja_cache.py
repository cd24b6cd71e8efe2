"""Compiled templates shared by every app the test process makes.

Each test makes its own app (tests/conftest.py), and each app has a Jinja environment of its
own, so every test parsed and compiled every template it drew again: that was most of the time
of a web test. Jinja's bytecode cache is the documented remedy: this one keeps the compiled code
in memory for the process. An entry is keyed by the template's name and file and by every
environment option that changes the compiled code, and is used only while the template's source
checksum is the same, so a changed template or a differently configured environment compiles
afresh.
"""

from __future__ import annotations

from types import CodeType
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


def _compile_options(environment: Environment, name: str) -> str:
    """What the lexer and the code generator read from the environment."""
    autoescape: Any = environment.autoescape
    options = (
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        environment.finalize is not None,
        autoescape(name) if callable(autoescape) else autoescape,
        environment.code_generator_class.__qualname__,
        tuple(sorted(environment.extensions)),
    )
    return repr(options)


class SharedBytecodeCache(BytecodeCache):
    """Compiled template code kept in memory, for every environment of the process."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        keyed = f"{_compile_options(environment, name)}\0{name}"
        return super().get_bucket(environment, keyed, filename, source)

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)


def share_compiled_templates() -> None:
    """Give every Flask app made from now on in this process the shared cache."""
    if "bytecode_cache" not in Flask.jinja_options:
        Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedBytecodeCache()}
