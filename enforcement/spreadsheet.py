"""CSV as spreadsheets write and read it: a value that would start a formula (CSV injection) is
written with a leading apostrophe, and an import takes that apostrophe off again; a file is
decoded in the encodings spreadsheets save in, its separator found from its header row, and
its header cells compared by their letters and digits alone."""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# What a spreadsheet may read as the start of a formula: =, +, -, @, and a tab or carriage
# return before one of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The value as a cell no spreadsheet runs: an apostrophe before a formula's first sign."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def unguarded(value: str) -> str:
    """A cell as `safe_cell` wrote it, read back: the guarding apostrophe removed."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def column_key(cell: str) -> str:
    """A header cell as it is compared with a column's name: its letters and digits alone, in
    lower case, so "Case Reference", "case_reference" and "CASE-REFERENCE" are CaseReference
    (and spaces, a byte order mark or a zero-width space around or inside it do not matter)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", cell).lower() if ch.isalnum())


def schema_names(cells: Iterable[str], columns: Iterable[str]) -> list[str]:
    """Each header cell as the name of the column it matches (compared by `column_key`), or as
    itself, trimmed, when it matches none."""
    canonical = {column_key(name): name for name in columns}
    return [canonical.get(column_key(cell), cell.strip()) for cell in cells]


# The separators a spreadsheet writes between values: commas; semicolons where the decimal mark
# is a comma (Excel in many European locales); tabs ("Text (Tab delimited)" and Excel's
# "Unicode Text").
DELIMITERS = (",", ";", "\t")


def delimiter_of(text: str, columns: tuple[str, ...]) -> str:
    """The separator the file's header row uses: the one that splits it into the most of the
    given column names (compared by `column_key`). A comma when none names more
    than a comma does, so that the header's problems are reported as for any CSV."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    wanted = {column_key(name) for name in columns}

    def named(delimiter: str) -> int:
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:  # a NUL byte, say: the parse proper reports it
            return 0
        return sum(column_key(cell) in wanted for cell in cells)

    return max(DELIMITERS, key=named)  # max keeps the first of equals: the comma


def decode_csv(data: bytes) -> str:
    """Decode a CSV file as spreadsheets and councils' systems save one: UTF-16 when it starts
    with its byte order mark (Excel's "Unicode Text"), else UTF-8 (with or without BOM), else
    line by line: each line that is UTF-8 as UTF-8, any other as Windows-1252.

    Councils export from Excel, so Windows-1252 is common (the esd example file is in it), and
    so is a UTF-8 file with a row pasted in from another program in Windows-1252: read whole as
    Windows-1252, its UTF-8 "Café" would become "CafÃ©". Line by line, both read as written
    (a line of Windows-1252 that is also valid UTF-8 would need a letter such as "Ã" followed by
    a sign such as "©", which no register writes).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read on as the other encodings
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Neither byte of a line end (CR, LF) occurs inside a character of UTF-8 or Windows-1252.
    text = "".join(_decode_line(line) for line in data.splitlines(keepends=True))
    return text.removeprefix("\ufeff")


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # Five byte values are undefined in cp1252: each is read as the control character
        # Latin-1 gives it, so only a row holding one is refused (naming it), and the rest of
        # the line keeps its curly quotes and euro signs rather than all turning into Latin-1's
        # controls.
        return line.decode("cp1252", errors=_AS_LATIN1)


def _as_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


_AS_LATIN1 = "csv-undefined-as-latin1"
codecs.register_error(_AS_LATIN1, _as_latin1)


# ---------------------------------------------------------------------------------------------
# Reading the records of a CSV file, each with the lines it spans
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One record of a CSV file: the physical lines it spans (the first line is 1) and its
    cells, or why it could not be read (`problem`, with no cells)."""

    first: int
    last: int
    cells: list[str]
    problem: str | None = None


class UnclosedQuote(ValueError):
    """A quoted value opens on line `first` and is not closed where a value ends: the lines
    after it, to `last`, were read into it, so nothing after it can be read reliably."""

    def __init__(self, first: int, last: int, *, at_end: bool) -> None:
        self.first, self.last, self.at_end = first, last, at_end
        one = last == first + 1
        swallowed = f"line {last}" if one else f"lines {first + 1} to {last}"
        where = " (the quote runs on to the end of the file)" if at_end else ""
        super().__init__(
            f"Line {first} opens a quoted value (it starts with a double quote) that is not "
            f"closed where it should be{where}, so {swallowed} {'was' if one else 'were'} read "
            "as part of that one value. The rows after it cannot be read reliably: close the "
            f"quote on line {first}, or remove it, and import the file again."
        )


class _Lines:
    """The physical lines of a text (ended by CR, LF or CR LF), counting those handed out."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self.count = 0
        self.last = ""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        self.last = next(self._lines)
        self.count += 1
        return self.last


_LIMIT = threading.Lock()


def _next_record(reader: Iterator[list[str]], length: int) -> list[str]:
    """The reader's next record, read with the csv module's cell limit raised to `length`.

    A file in memory needs no other limit than its own length, and the module's default
    (131,072 characters) is less than a licence's conditions may hold (500 of 4,000 characters).
    The limit belongs to the whole process, so it is raised for this one read and put back,
    under a lock: nothing else that reads CSV (a partner's submission, a staff list) finds it
    changed."""
    with _LIMIT:
        before = csv.field_size_limit(length)
        try:
            return next(reader)
        finally:
            csv.field_size_limit(before)


def records(text: str, delimiter: str) -> Iterator[Record]:
    """Each record of a CSV text, with the lines it spans, as spreadsheets write CSV.

    Quoting is read strictly, so that a quote opened and never closed (or closed in the middle
    of a value) cannot quietly swallow the rows after it: that raises `UnclosedQuote`, naming
    the line it opens on and the lines it took. A quoting slip within one line (`"4" y`) is
    read leniently, as a spreadsheet would show it; a line that cannot be read at all is a
    record with its `problem` and no cells, and reading goes on after it.
    """
    length = max(len(text) + 1, csv.field_size_limit())
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        first = lines.count + 1
        try:
            cells = _next_record(reader, length)
        except StopIteration:
            return
        except csv.Error as exc:
            if lines.count > first:
                raise UnclosedQuote(
                    first, lines.count, at_end="unexpected end of data" in str(exc)
                ) from exc
            yield _lenient(first, lines.last, delimiter)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            continue
        yield Record(first, lines.count, cells)


def _lenient(line_number: int, line: str, delimiter: str) -> Record:
    try:
        cells = _next_record(csv.reader([line], delimiter=delimiter), len(line) + 1)
    except StopIteration:
        cells = []
    except csv.Error as exc:
        return Record(line_number, line_number, [], problem=f"unreadable CSV: {exc}")
    return Record(line_number, line_number, cells)
