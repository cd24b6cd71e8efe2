"""The approved words (docs/terminology.md) in everything the service says: no page template,
mail template, label, message or script text uses a word the terminology rules out."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The words docs/terminology.md rules out, and American spellings of the British ones.
RULED_OUT = re.compile(
    r"\b("
    r"brothels?|rescue[ds]?|rescuing|raids?|raided|punters?|johns?|clients?"
    r"|prostitutes?|child prostitution|the trafficked|the vulnerable|vulnerable people"
    r"|enforcement visits?|organiz\w*|authoriz\w*"
    # "license" is the verb; as a noun it is "licence".
    r"|(?:a|an|the|this|that|its|their|your|premises|personal|new)\s+licenses?"
    r"|licenses?\s+(?:holder|number|type|status|condition|reference|expir)\w*"
    r")\b",
    re.IGNORECASE,
)
# Text that is not the service's own words: values it recognises in councils' files.
NOT_OUR_WORDS = frozenset(
    {
        ("enforcement/register/public.py", "organization"),
        ("enforcement/accounts/staff.py", "organization"),  # a staff list's column, as headed
    }
)
SCRIPT_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\]|\\.)*`")


def _docstrings(tree: ast.AST) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def python_strings(source: str) -> Iterator[tuple[int, str]]:
    """Every string a module could show or send (its docstrings and comments aside)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def script_strings(source: str) -> Iterator[tuple[int, str]]:
    """Every quoted string of a script (its code and comments aside)."""
    for number, line in enumerate(source.splitlines(), 1):
        for match in SCRIPT_STRING.finditer(line):
            yield number, match.group(0)


def template_lines(source: str) -> Iterator[tuple[int, str]]:
    yield from enumerate(source.splitlines(), 1)


def _sources() -> Iterator[tuple[Path, Iterator[tuple[int, str]]]]:
    for package in ("app", "enforcement"):
        for path in sorted((ROOT / package).rglob("*")):
            if "dist" in path.parts or "vendor" in path.parts or not path.is_file():
                continue
            text = (
                path.read_text(encoding="utf-8")
                if path.suffix in {".py", ".html", ".txt", ".js"}
                else None
            )
            if text is None:
                continue
            if path.suffix == ".py":
                yield path, python_strings(text)
            elif path.suffix == ".js":
                yield path, script_strings(text)
            else:
                yield path, template_lines(text)


def ruled_out_words() -> list[str]:
    found = []
    for path, strings in _sources():
        name = path.relative_to(ROOT).as_posix()
        for number, text in strings:
            for match in RULED_OUT.finditer(text):
                if (name, match.group(0).lower()) not in NOT_OUR_WORDS:
                    found.append(f"{name}:{number}: {match.group(0)!r} in {text.strip()[:90]!r}")
    return found


def test_no_screen_mail_label_or_script_uses_a_word_the_terminology_rules_out() -> None:
    found = ruled_out_words()
    assert not found, "Words docs/terminology.md rules out:\n" + "\n".join(found)


def test_the_sources_read_are_the_services_own_words() -> None:
    read = {path.relative_to(ROOT).as_posix() for path, _ in _sources()}
    # Templates of both kinds, the vocabularies, the mail and the offline script are all read.
    assert "app/templates/base.html" in read
    assert "enforcement/welfare/vocab.py" in read
    assert any(name.startswith("enforcement/") and name.endswith(".txt") for name in read)
    assert "app/static/offline/ui.js" in read
    assert not any("/dist/" in name or "/vendor/" in name for name in read)


@pytest.mark.parametrize(
    ("reader", "source", "caught"),
    [
        (python_strings, 'LABEL = "Premises raided by police"\n', True),
        (python_strings, '"""A module about a brothel closure."""\nX = 1\n', False),
        (python_strings, "# rescue\nX = 'intervention'\n", False),
        (script_strings, "show('The client paid');\n", True),
        (script_strings, "self.clients.claim();\n", False),
        (template_lines, "<p>Organize the visit</p>\n", True),
        (template_lines, "<p>Premises selling sexual services</p>\n", False),
        (template_lines, "<p>The license holder</p>\n", True),
        (template_lines, "<p>The council may license the premises</p>\n", False),
    ],
)
def test_the_readers_find_the_words_in_text_and_skip_docstrings_comments_and_code(
    reader: object, source: str, caught: bool
) -> None:
    assert callable(reader)
    found = [m for _, text in reader(source) for m in RULED_OUT.finditer(text)]
    assert bool(found) is caught, found
