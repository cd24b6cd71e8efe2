"""The document model of committee papers: one structure that every renderer (Word, HTML) walks.

Redaction is decided when the model is built (enforcement.referrals.papers.committee): a withheld
detail is a `Redacted` run carrying the visible marker, never text hidden by a renderer. The
renderers only lay out what is here, so the Word document and the print page cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from enforcement.vocab import Labelled


@dataclass(frozen=True)
class Redacted:
    """A detail withheld from this version: shown as its marker, the detail never stored here."""

    marker: str


#: A run of a paragraph or cell: plain text, or a redaction marker in its place.
Run = str | Redacted
Runs = tuple[Run, ...]


class ParagraphStyle(Labelled):
    BODY = "body"
    LEAD = "lead"  # a paragraph that stands out (the version banner, a recommendation)
    NOTE = "note"  # small print under a table or section


@dataclass(frozen=True)
class Paragraph:
    runs: Runs
    style: ParagraphStyle = ParagraphStyle.BODY


@dataclass(frozen=True)
class BulletList:
    items: tuple[Runs, ...]


@dataclass(frozen=True)
class Table:
    """A table with a caption and a header row; each cell is a sequence of runs."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Runs, ...], ...]
    # Relative column widths (renderers may use them), one per column.
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table '{self.caption}': a row has {len(row)} cells")


Block = Paragraph | BulletList | Table


@dataclass(frozen=True)
class Section:
    """A numbered section ('3', 'Legal framework ...') or an appendix ('Appendix A', ...)."""

    label: str
    heading: str
    blocks: tuple[Block, ...]
    appendix: bool = False

    @property
    def title(self) -> str:
        return f"{self.label}: {self.heading}" if self.appendix else f"{self.label}. {self.heading}"


@dataclass(frozen=True)
class Document:
    """A committee paper in one version (public or exempt)."""

    version: str
    title: str
    subtitle: str
    banner: str
    details: tuple[tuple[str, Runs], ...]
    sections: tuple[Section, ...]
    file_stem: str

    def blocks(self) -> Iterator[Block]:
        for section in self.sections:
            yield from section.blocks

    def plain_text(self) -> str:
        """Return every word of the paper, markers included, one line per paragraph or cell."""
        lines = [self.banner, self.title, self.subtitle]
        lines += [f"{key}: {text_of(value)}" for key, value in self.details]
        for section in self.sections:
            lines.append(section.title)
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    lines.append(text_of(block.runs))
                elif isinstance(block, BulletList):
                    lines += [text_of(item) for item in block.items]
                else:
                    lines.append(block.caption)
                    lines.append(" | ".join(block.columns))
                    lines += [" | ".join(text_of(cell) for cell in row) for row in block.rows]
        return "\n".join(lines)


def text_of(runs: Runs) -> str:
    """Return the visible text of some runs (a marker reads as its marker)."""
    return "".join(run.marker if isinstance(run, Redacted) else run for run in runs)
