"""The A4 canvas every document draws on: our fonts installed, text helpers that are fast
for plain text, a repeated header and footer, and the output."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import PDFResourceType, XPos, YPos
from fpdf.fonts import TTFFont

from domain.invoicing.documents import PartyBlock
from domain.invoicing.pdf.fonts import (
    FALLBACK_FAMILIES,
    HAS_SHAPING,
    NEEDS_SHAPING,
    SANS,
    install_fonts,
)
from domain.invoicing.pdf.subsetting import prepare_embedding

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
ZEBRA = (246, 248, 250)


class KhataPDF(FPDF):
    """A4 document in millimetres with our fonts installed and a page footer."""

    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_left = footer_left
        self.continued = ""  # header line on pages after the first
        self._footer_done = False
        self._footer_note: list[str] = []
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=18)
        self.set_creator("Khata")
        self._ours = install_fonts(self)  # cloned font key -> font file bytes
        self._sans_cmap: dict[int, str] = self.fonts[SANS].cmap  # type: ignore[union-attr]
        self._plain = True  # fallback fonts and shaping off: fpdf2's fast path
        self.set_font(SANS, "", 9)
        self.set_text_color(*INK)
        self.c_margin = 1.4

    def normalize_text(self, text: str) -> str:
        """fpdf2 calls this first in cell, multi_cell, get_string_width...: switch fallback
        fonts and HarfBuzz shaping on only for text the main font cannot show alone
        (fpdf2's per-character fallback and shaping paths are several times slower)."""
        cmap = self._sans_cmap
        plain = text.isascii() or all(ord(c) in cmap for c in text)
        if plain != self._plain:
            self._plain = plain
            if plain:
                self.set_fallback_fonts([])
                self.set_text_shaping(False)
            else:
                self.set_fallback_fonts(list(FALLBACK_FAMILIES), exact_match=False)
        if not plain:
            shape = HAS_SHAPING and NEEDS_SHAPING.search(text) is not None
            if shape != bool(self.text_shaping):
                self.set_text_shaping(shape)
        return super().normalize_text(text)

    def header(self) -> None:
        if self.page_no() > 1 and self.continued:
            self.set_font(SANS, "", 7.5)
            self.set_text_color(*MUTED)
            self.set_xy(self.l_margin, 7)
            self.cell(self.epw, 4, self.continued, align="R")
            self.set_text_color(*INK)
            self.set_y(self.t_margin)

    def footer(self) -> None:
        if self._footer_done:
            return
        self.set_font(SANS, "", 7)
        self.set_text_color(*MUTED)
        for n, line in enumerate(self._footer_note):
            y = self.h - 13 - 3.2 * (len(self._footer_note) - n)
            self.put_text(self.l_margin, y, self.epw, 3.2, line, "C")
        self.set_y(-12)
        self.set_font(SANS, "", 7.5)
        width = self.epw / 2
        self.cell(width, 5, self.footer_left, align="L")
        self.cell(width, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    def set_footer_note(self, text: str | None) -> None:
        """Small centred lines above the footer of every page (a template's footer terms);
        the body's bottom margin grows to make room. Call before ``add_page``."""
        if not text:
            return
        self.set_font(SANS, "", 7)
        self._footer_note = self.wrap(text, self.epw)[:4]
        self.set_auto_page_break(True, margin=18 + 3.2 * len(self._footer_note))

    def render(self) -> bytes:
        """The PDF bytes. Cloned fonts the document never used are dropped (fpdf2 would
        embed them); used ones are embedded through the subset cache."""
        # Draw the last page's footer now (fpdf2 would draw it inside output()), so that
        # every font the document uses is known before unused ones are dropped.
        self.in_footer = True
        self.footer()
        self.in_footer = False
        self._footer_done = True
        used = self._resource_catalog.get_used_resources(PDFResourceType.FONT)
        for key, data in self._ours.items():
            font = self.fonts[key]
            assert isinstance(font, TTFFont)
            if font.i not in used:
                del self.fonts[key]
            else:
                prepare_embedding(font, key, data)
        return bytes(self.output())

    # ---- small layout helpers

    def ensure_space(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def text_line(
        self,
        width: float,
        text: str,
        size: float = 9,
        style: str = "",
        color: tuple[int, int, int] = INK,
        align: str = "L",
        height: float | None = None,
    ) -> None:
        """A paragraph that wraps inside ``width`` from the current x; ends on the next line
        at the same x."""
        x = self.get_x()
        self.set_font(SANS, style, size)
        self.set_text_color(*color)
        h = height or size * 0.47
        for line in self.wrap(text, width):
            self.cell(width, h, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_x(x)
        self.set_text_color(*INK)

    def plain_width(self, text: str) -> float | None:
        """Width of ``text`` in the current font when that font alone shows it without
        shaping (the common case), computed from its advance widths; else None."""
        font = self.current_font
        if not isinstance(font, TTFFont):
            return None
        cmap, widths = font.cmap, font.cw
        total = 0.0
        for char in text:
            code = ord(char)
            if code not in cmap:
                return None
            total += widths[code]
        return total * self.font_size_pt * 0.001 / self.k

    def measure(self, text: str) -> float:
        width = self.plain_width(text)
        return self.get_string_width(text) if width is None else width

    def put_text(self, x: float, y: float, w: float, h: float, text: str, align: str) -> None:
        """One line of text in the box (x, y, w, h), aligned like ``cell`` would, without
        moving the cursor. Plain text goes straight to ``FPDF.text`` (~10x cheaper than
        ``cell``); anything needing fallback fonts or shaping goes through ``cell``."""
        width = self.plain_width(text)
        if width is None:
            self.set_xy(x, y)
            self.cell(w, h, text, align=align)
            return
        if align == "R":
            x += w - self.c_margin - width
        elif align == "C":
            x += (w - width) / 2
        else:
            x += self.c_margin
        self.text(x, y + 0.5 * h + 0.3 * self.font_size, text)

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines that fit a cell of ``width`` in the current font:
        at newlines, then greedily between words (a word wider than the cell is split).
        Much faster than fpdf2's ``multi_cell`` line breaking, which re-measures the line
        for every character."""
        room = width - 2 * self.c_margin + 0.01
        measure = self.measure
        lines: list[str] = []
        for paragraph in text.split("\n"):
            if measure(paragraph) <= room:
                lines.append(paragraph)
                continue
            space = measure(" ")
            current, current_w = "", 0.0
            for word in paragraph.split():
                word_w = measure(word)
                if word_w > room:
                    if current:
                        lines.append(current)
                    current = ""
                    for char in word:
                        if current and measure(current + char) > room:
                            lines.append(current)
                            current = char
                        else:
                            current += char
                    current_w = measure(current)
                elif not current:
                    current, current_w = word, word_w
                elif current_w + space + word_w <= room:
                    current, current_w = f"{current} {word}", current_w + space + word_w
                else:
                    lines.append(current)
                    current, current_w = word, word_w
            lines.append(current)
        return lines

    def party(self, block: PartyBlock, width: float, name_size: float) -> None:
        self.text_line(width, block.name, size=name_size, style="B")
        if block.name_alt:
            self.text_line(width, block.name_alt, size=name_size - 1.5)
        for line in block.lines:
            self.text_line(width, line, size=8.5, color=MUTED)
        contact = [c for c in (block.phone, block.email) if c]
        if contact:
            self.text_line(width, "  ·  ".join(contact), size=8.5, color=MUTED)
        if block.tax_id:
            self.text_line(width, f"Tax ID: {block.tax_id}", size=8.5, color=MUTED)

    def label(self, width: float, text: str, accent: tuple[int, int, int]) -> None:
        self.text_line(width, text.upper(), size=7.5, style="B", color=accent)

    def key_values(
        self,
        x: float,
        width: float,
        rows: Sequence[tuple[str, str]],
        key_width: float,
        size: float = 8.5,
        align_value: str = "R",
    ) -> None:
        for key, value in rows:
            self.set_x(x)
            self.set_font(SANS, "", size)
            self.set_text_color(*MUTED)
            y = self.get_y()
            self.cell(key_width, size * 0.5, key)
            self.set_text_color(*INK)
            self.set_font(SANS, "B", size)
            self.set_xy(x + key_width, y)
            self.text_line(width - key_width, value, size=size, style="B", align=align_value)
            self.set_x(x)
