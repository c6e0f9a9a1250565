"""A paginated table for the PDFs: heading repeated on every page, wrapping cells, zebra
rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.invoicing.pdf.fonts import SANS
from domain.invoicing.pdf.page import INK, RULE, ZEBRA, KhataPDF


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # mm; 0 takes the remaining width
    align: str  # "L" | "R" | "C"


class Grid:
    """A table drawn line by line, fast enough for thousands of rows: the heading row
    repeats at the top of every page, text that does not fit its column wraps (the row
    grows), rows alternate a light fill and are ruled."""

    def __init__(
        self,
        pdf: KhataPDF,
        columns: Sequence[Column],
        accent: tuple[int, int, int],
        size: float = 8.5,
        line_h: float = 4.4,
    ) -> None:
        self.pdf = pdf
        self.columns = columns
        self.accent = accent
        self.size = size
        self.line_h = line_h
        self.pad_y = 1.1
        fixed = sum(c.width for c in columns)
        flexible = [c for c in columns if not c.width]
        rest = (pdf.epw - fixed) / len(flexible) if flexible else 0.0
        self.widths = [c.width or rest for c in columns]
        self.rows_drawn = 0

    def heading(self) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "B", self.size)
        pdf.set_fill_color(*self.accent)
        pdf.set_text_color(255, 255, 255)
        height = self.line_h + 2 * self.pad_y + 0.4
        y = pdf.get_y()
        pdf.rect(pdf.l_margin, y, pdf.epw, height, style="F")
        x = pdf.l_margin
        for column, width in zip(self.columns, self.widths, strict=True):
            pdf.put_text(x, y, width, height, column.title, column.align)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)
        pdf.set_text_color(*INK)

    def row(self, cells: Sequence[str], bold: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(SANS, "B" if bold else "", self.size)
        wrapped = [
            pdf.wrap(text, w) if text else [] for text, w in zip(cells, self.widths, strict=True)
        ]
        height = self.line_h * max(1, *(len(lines) for lines in wrapped)) + 2 * self.pad_y
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            self.heading()
            pdf.set_font(SANS, "B" if bold else "", self.size)
        y = pdf.get_y()
        x = pdf.l_margin
        if self.rows_drawn % 2 == 1:
            pdf.set_fill_color(*ZEBRA)
            pdf.rect(x, y, pdf.epw, height, style="F")
        for lines, column, width in zip(wrapped, self.columns, self.widths, strict=True):
            for n, line in enumerate(lines):
                pdf.put_text(
                    x, y + self.pad_y + n * self.line_h, width, self.line_h, line, column.align
                )
            x += width
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, y + height, pdf.l_margin + pdf.epw, y + height)
        pdf.set_xy(pdf.l_margin, y + height)
        self.rows_drawn += 1
