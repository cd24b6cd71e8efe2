"""The committee paper model and its two renderers, without a database."""

from __future__ import annotations

import io
import re
from html import unescape

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from enforcement.referrals.papers.model import (
    BulletList,
    Document,
    Paragraph,
    Redacted,
    Section,
    Table,
    text_of,
)
from enforcement.referrals.papers.render import render_docx, render_html

MARK = Redacted("[Withheld]")


def _doc() -> Document:
    return Document(
        version="public",
        title="Review <of> licence PL/1",
        subtitle="Report CR-1",
        banner="Public version. Some things are withheld.",
        details=(("Author", ("A licensing officer",)),),
        sections=(
            Section(
                "1",
                "Summary",
                (
                    Paragraph(("Held by ", MARK, ", a person.")),
                    BulletList((("revoke;",), ("suspend.",))),
                ),
            ),
            Section(
                "Appendix A",
                "Evidence",
                (Table("Evidence", ("Item", "What"), ((("E1",), (MARK,)),)),),
                appendix=True,
            ),
        ),
        file_stem="CR-1-public",
    )


def test_a_table_row_must_have_a_cell_per_column() -> None:
    with pytest.raises(ValueError, match="a row has 1 cells"):
        Table("Broken", ("A", "B"), ((("only one",),),))


def test_both_renderers_lay_out_the_same_words_and_mark_withheld_text() -> None:
    doc = _doc()
    assert text_of(doc.sections[0].blocks[0].runs) == "Held by [Withheld], a person."  # type: ignore[union-attr]
    word = docx.Document(io.BytesIO(render_docx(doc)))
    headings = [
        p.text for p in word.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]
    assert headings == ["1. Summary", "Appendix A: Evidence"]
    marked = [r for p in word.paragraphs for r in p.runs if r.text == "[Withheld]"]
    assert marked and marked[0].bold and marked[0].font.highlight_color == WD_COLOR_INDEX.GRAY_25
    assert word.tables[-1].rows[1].cells[1].text == "[Withheld]"
    assert word.core_properties.author == ""
    html = render_html(doc, stylesheet="/static/paper.css", back_link="/referrals/1")
    assert "<h2>1. Summary</h2>" in html and "<h2>Appendix A: Evidence</h2>" in html
    assert '<strong class="paper__exempt">[Withheld]</strong>' in html
    assert "Review &lt;of&gt; licence PL/1" in html  # escaped, never markup
    assert 'href="/referrals/1"' in html and 'href="/static/paper.css"' in html
    words = unescape(re.sub(r"<[^>]+>", "", html))
    for line in doc.plain_text().splitlines():
        if "|" not in line and not line.startswith("Author: "):
            assert line in words, line


def test_a_word_paper_is_made_whatever_characters_its_text_holds() -> None:
    """Text stored before the imports refused them (U+FFFF, controls) stopped the Word paper:
    "All strings must be XML compatible", a 500 for /referrals/<id>/papers/public.docx."""
    odd = "Bar\uffff\ufffe\x01\x9b\x7f\x0bEnd"
    doc = Document(
        version="exempt",
        title=f"Review of {odd}",
        subtitle=odd,
        banner=f"Exempt version. {odd}",
        details=((odd, (odd, Redacted(odd))),),
        sections=(
            Section(
                "1",
                odd,
                (
                    Paragraph((odd,)),
                    BulletList(((odd,),)),
                    Table(odd, (odd, "B"), (((odd,), (Redacted(odd),)),)),
                ),
            ),
        ),
        file_stem="CR-2-exempt",
    )
    word = docx.Document(io.BytesIO(render_docx(doc)))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "Bar\ufffd\ufffd\ufffd\ufffd\ufffd End" in text
    assert word.tables[1].rows[1].cells[0].text == "Bar\ufffd\ufffd\ufffd\ufffd\ufffd End"
    assert "Review of Bar" in render_html(doc, stylesheet="/paper.css")  # and the print page
