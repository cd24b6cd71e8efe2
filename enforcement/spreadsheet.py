"""CSV as spreadsheets write and read it: a value that would start a formula (CSV injection) is
written with a leading apostrophe, and an import takes that apostrophe off again; a file is
decoded in the encodings spreadsheets save in, its separator found from its header row, and
its header cells compared by their letters and digits alone."""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable

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
    """Decode a CSV file as spreadsheets and councils' systems save one: UTF-16 when it starts with its byte order mark (Excel's
    "Unicode Text"), else UTF-8 (with or without BOM), else Windows-1252.

    Councils export from Excel, so Windows-1252 is common (the esd example file is in it).
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
    # Five byte values are undefined in cp1252: each is read as the control character Latin-1
    # gives it, so only a row holding one is refused (naming it), and the rest of the file keeps
    # its curly quotes and euro signs rather than all turning into Latin-1's controls.
    return data.decode("cp1252", errors=_AS_LATIN1)


def _as_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


_AS_LATIN1 = "csv-undefined-as-latin1"
codecs.register_error(_AS_LATIN1, _as_latin1)
