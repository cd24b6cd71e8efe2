"""Renderers of the committee paper model: a Word document (python-docx) and a print-ready HTML page.

Both walk the same `enforcement.referrals.papers.model.Document`; neither decides what to show. A
redaction marker is set apart the same way in each (bold, shaded), so a reader sees where
something was withheld. Every piece of text goes into the Word document through
`enforcement.text.xml_safe`: a record may hold a character XML cannot (one stored before the
rule every form and import applies existed), and it must not stop the paper being made.
"""

from __future__ import annotations

import io
from html import escape

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from enforcement.referrals.papers.model import (
    BulletList,
    Document,
    Paragraph,
    ParagraphStyle,
    Redacted,
    Runs,
    Table,
)
from enforcement.text import xml_safe

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Arial"
_RED = RGBColor(0xD4, 0x35, 0x1C)


# ---------------------------------------------------------------------------------------------
# Word


def _runs(paragraph: DocxParagraph, runs: Runs, *, bold: bool = False) -> None:
    for item in runs:
        if isinstance(item, Redacted):
            run = paragraph.add_run(xml_safe(item.marker))
            run.bold = True
            run.font.highlight_color = WD_COLOR_INDEX.GRAY_25
        else:
            run = paragraph.add_run(xml_safe(item))
            run.bold = bold or None


def _docx_table(document: DocxDocument, table: Table) -> DocxTable:
    caption = document.add_paragraph(style="Caption")
    caption.add_run(xml_safe(table.caption))
    grid: DocxTable = document.add_table(rows=len(table.rows) + 1, cols=len(table.columns))
    grid.style = "Table Grid"
    rows = grid.rows
    for cell, name in zip(rows[0].cells, table.columns, strict=True):
        cell.paragraphs[0].add_run(xml_safe(name)).bold = True
    for row, values in zip(rows[1:], table.rows, strict=True):
        for cell, runs in zip(row.cells, values, strict=True):
            _runs(cell.paragraphs[0], runs)
    return grid


def render_docx(doc: Document) -> bytes:
    """Return the paper as a Word document (.docx) the clerk can edit."""
    word = docx.Document()
    normal = word.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    word.core_properties.title = xml_safe(doc.title)
    word.core_properties.subject = xml_safe(doc.banner)
    word.core_properties.author = ""  # never a person's name in the file's properties
    header = word.sections[0].header.paragraphs[0]
    header.add_run(xml_safe(doc.banner.split(".")[0])).bold = True
    banner = word.add_paragraph()
    run = banner.add_run(xml_safe(doc.banner))
    run.bold = True
    if doc.version == "exempt":
        run.font.color.rgb = _RED
    word.add_heading(xml_safe(doc.title), level=0)
    word.add_paragraph(xml_safe(doc.subtitle), style="Subtitle")
    details = word.add_table(rows=len(doc.details), cols=2)
    details.style = "Table Grid"
    for row, (key, value) in zip(details.rows, doc.details, strict=True):
        row.cells[0].paragraphs[0].add_run(xml_safe(key)).bold = True
        _runs(row.cells[1].paragraphs[0], value)
    for section in doc.sections:
        if section.appendix:
            word.add_section(WD_SECTION.NEW_PAGE)
        word.add_heading(xml_safe(section.title), level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                paragraph = word.add_paragraph()
                _runs(paragraph, block.runs, bold=block.style is ParagraphStyle.LEAD)
                if block.style is ParagraphStyle.NOTE:
                    for r in paragraph.runs:
                        r.font.size = Pt(9)
            elif isinstance(block, BulletList):
                for item in block.items:
                    _runs(word.add_paragraph(style="List Bullet"), item)
            else:
                _docx_table(word, block)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# HTML


def _html_runs(runs: Runs) -> str:
    return "".join(
        f'<strong class="paper__exempt">{escape(r.marker)}</strong>'
        if isinstance(r, Redacted)
        else escape(r)
        for r in runs
    )


def _html_table(table: Table) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html_runs(cell)}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    return (
        f'<table class="paper__table"><caption>{escape(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def render_html(doc: Document, *, stylesheet: str, back_link: str | None = None) -> str:
    """Return the paper as a standalone, print-ready HTML page (its stylesheet linked)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)} ({escape(doc.version)} version)</title>",
        f'<link rel="stylesheet" href="{escape(stylesheet)}">',
        "</head>",
        f'<body class="paper paper--{escape(doc.version)}">',
    ]
    if back_link:
        parts.append(
            f'<nav class="paper__nav" aria-label="Back"><a href="{escape(back_link)}">'
            "Back to the referral</a></nav>"
        )
    parts += [
        "<main>",
        f'<p class="paper__banner">{escape(doc.banner)}</p>',
        f"<h1>{escape(doc.title)}</h1>",
        f'<p class="paper__subtitle">{escape(doc.subtitle)}</p>',
        '<table class="paper__details"><caption>About this report</caption><tbody>',
        *(
            f'<tr><th scope="row">{escape(key)}</th><td>{_html_runs(value)}</td></tr>'
            for key, value in doc.details
        ),
        "</tbody></table>",
    ]
    for section in doc.sections:
        css = "paper__section paper__section--appendix" if section.appendix else "paper__section"
        parts.append(f'<section class="{css}"><h2>{escape(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(
                    f'<p class="paper__p paper__p--{block.style.value}">{_html_runs(block.runs)}</p>'
                )
            elif isinstance(block, BulletList):
                items = "".join(f"<li>{_html_runs(item)}</li>" for item in block.items)
                parts.append(f"<ul>{items}</ul>")
            else:
                parts.append(_html_table(block))
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts)
