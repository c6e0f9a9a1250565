"""Invoice and statement PDFs (fpdf2) and the HTML draft preview.

* Amounts are formatted with babel per the document's locale (``en_IN``, ``en_KE``,
  ``sw_KE``, ``ar_OM``, ``en_ZA``...); a locale babel does not know (``en_OM``) falls back
  to its language, then to ``en``.
* Text uses the Noto fonts shipped in ``fonts/`` (SIL OFL 1.1): Noto Sans for Latin, Greek,
  Cyrillic and ₹, with Noto Sans Arabic and Noto Sans Devanagari as fallbacks. Text in a
  script that needs shaping (Arabic, Devanagari...) goes through HarfBuzz (uharfbuzz),
  which also lays out right-to-left runs; other text skips it (much faster).
* Speed (~20-30 ms CPU for a 10-line invoice, see bench/invoice_pdf.py): fonts are parsed
  once per thread and cloned into each document (``_FontSet``); fonts a document did not
  use are not embedded; subsetted font programs are cached by glyph set (``_SubsetCache``,
  reached through a delegating wrapper installed as ``fpdf.output.ftsubset`` that only
  intercepts our fonts); plain text is measured from advance widths and drawn with
  ``FPDF.text``; fallback fonts and shaping are switched on only for text that needs them
  (``_KhataPDF.normalize_text``). These lean on fpdf2 2.8 internals: keep fpdf2 pinned;
  the tests exercise every path.
* The payment link becomes a QR code (segno) embedded as a PNG image.
"""

from __future__ import annotations

import html
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import fpdf.output as fpdf_output
import segno
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol, parse_pattern
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import PDFResourceType, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from domain.core.money import minor_units, quantize
from domain.invoicing.documents import (
    InvoiceDocument,
    PartyBlock,
    StatementDocument,
    StatementEntry,
)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS = "sans"
_FONT_FILES: tuple[tuple[str, str, str], ...] = (
    (SANS, "", "NotoSans-Regular.ttf"),
    (SANS, "B", "NotoSans-Bold.ttf"),
    ("arabic", "", "NotoSansArabic-Regular.ttf"),
    ("arabic", "B", "NotoSansArabic-Bold.ttf"),
    ("devanagari", "", "NotoSansDevanagari-Regular.ttf"),
    ("devanagari", "B", "NotoSansDevanagari-Bold.ttf"),
)
_FALLBACK_FAMILIES = ("arabic", "devanagari")
# Tables fpdf2's subsetter drops anyway (shaping has already used them by output time).
_DROPPED_TABLES = ("GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "FFTM")

# Hebrew, Arabic, Syriac, Thaana, N'Ko ... and the Indic blocks need HarfBuzz shaping.
_NEEDS_SHAPING = re.compile("[\u0590-\u08ff\u0900-\u0dff\ufb1d-\ufdff\ufe70-\ufefc]")

try:  # text shaping needs uharfbuzz; without it Arabic/Indic text renders unshaped
    import uharfbuzz  # noqa: F401

    HAS_SHAPING = True
except ImportError:  # pragma: no cover - uharfbuzz is a dependency
    HAS_SHAPING = False

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
ZEBRA = (246, 248, 250)
STATUS_COLORS = {
    "paid": (25, 135, 84),
    "overdue": (200, 35, 51),
    "void": (108, 117, 125),
    "draft": (108, 117, 125),
    "partially_paid": (214, 130, 0),
}
COLUMN_TITLES = {
    "description": "Description",
    "quantity": "Qty",
    "unit": "Unit",
    "unit_price": "Unit price",
    "discount": "Discount",
    "tax": "Tax",
    "total": "Amount",
}
COLUMN_WIDTHS = {  # mm; the description takes what is left of 182 mm
    "quantity": 14.0,
    "unit": 15.0,
    "unit_price": 26.0,
    "discount": 22.0,
    "tax": 24.0,
    "total": 28.0,
}
KIND_LABELS = {
    "invoice": "Invoice",
    "payment": "Payment",
    "credit_note": "Credit note",
    "opening": "Opening",
}
AGING_LABELS = {
    "current": "Current",
    "1-30": "1\u201330 days",
    "31-60": "31\u201360 days",
    "61-90": "61\u201390 days",
    "90+": "90+ days",
}


# --------------------------------------------------------------------------- formatting


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """``tag`` as a babel Locale; unknown regions fall back to the language, then ``en``."""
    candidates = [tag.replace("-", "_"), tag.replace("-", "_").split("_")[0], "en"]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("babel always knows 'en'")  # pragma: no cover


class Formatter:
    """Money, dates, quantities and rates as the document's locale writes them."""

    def __init__(self, currency: str, locale: str) -> None:
        self.currency = currency
        self.locale = babel_locale(locale)
        self._plain = parse_pattern(self.locale.decimal_formats[None].pattern)
        digits = minor_units(currency)
        self._plain.frac_prec = (digits, digits)
        self._dates: dict[date, str] = {}

    def money(self, amount: Decimal) -> str:
        """With the currency symbol: ``₹1,23,456.79``, ``Ksh 1,000.00``, ``R1 000,00``."""
        return format_currency(quantize(amount, self.currency), self.currency, locale=self.locale)

    def amount(self, amount: Decimal) -> str:
        """Without the symbol, in the currency's minor units (table cells): ``1,23,456.79``."""
        return str(self._plain.apply(quantize(amount, self.currency), self.locale))

    def caption(self) -> str:
        """``Amounts in INR (₹)``; a right-to-left symbol gets a closing RLM so its final
        dot stays with it inside the left-to-right sentence."""
        symbol = get_currency_symbol(self.currency, locale=self.locale)
        if symbol == self.currency:
            return f"Amounts in {self.currency}"
        if _NEEDS_SHAPING.search(symbol):
            symbol += "\u200f"
        return f"Amounts in {self.currency} ({symbol})"

    def date(self, day: date | None) -> str:
        if day is None:
            return ""
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = format_date(day, "medium", locale=self.locale)
        return text

    def number(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def rate(self, value: Decimal) -> str:
        return f"{format_decimal(value, locale=self.locale)}%"


# --------------------------------------------------------------------------- fonts


@dataclass
class _Proto:
    fontkey: str
    font: TTFFont
    data: bytes


class _FontSet(threading.local):
    """Parsed fonts, built once per thread and cloned into every document.

    ``FPDF.add_font`` parses a TTF with fontTools (~8 ms a font); a clone shares the parsed
    metrics, cmap and HarfBuzz face and only gets its own glyph subset map. Per thread,
    because fpdf2 mutates the HarfBuzz font (``ptem``) while shaping.
    """

    def __init__(self) -> None:
        self.protos: list[_Proto] | None = None

    def load(self) -> list[_Proto]:
        if self.protos is None:
            scratch = FPDF()
            protos = []
            for family, style, filename in _FONT_FILES:
                path = FONT_DIR / filename
                scratch.add_font(family, style, str(path))
                font = scratch.fonts[f"{family}{style}"]
                assert isinstance(font, TTFFont)
                font.ttfont.getGlyphOrder()
                font.ttfont["hmtx"]  # decompiled on first access
                if HAS_SHAPING:
                    _ = font.hbfont
                protos.append(_Proto(f"{family}{style}", font, path.read_bytes()))
            self.protos = protos
        return self.protos


_FONTS = _FontSet()
_CLONING = True  # switched off if fpdf2's font internals ever stop matching


def _clone(proto: TTFFont, index: int) -> TTFFont:
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(proto, name):
            setattr(font, name, getattr(proto, name))
    font.i = index
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


# Characters always embedded with the Latin fonts, used or not: most documents then need
# exactly this glyph set and reuse one cached subset (a few KB more per PDF).
_BASE_CHARS = (
    *range(0x20, 0x7F),
    *(0xA0, 0xA9, 0xAE, 0xB0, 0xB7, 0xD7, 0x200F, 0x2013, 0x2014, 0x2018, 0x2019),
    *(0x201C, 0x201D, 0x2026, 0x202F, 0x20B9),
)


class _SubsetCache:
    """Subsetted font programs by (font, glyph names): fontTools subsetting costs ~8 ms a
    font per document; identical glyph sets are common (see ``_BASE_CHARS``)."""

    def __init__(self, size: int = 128) -> None:
        self._entries: OrderedDict[tuple[str, frozenset[str]], tuple[bytes, dict[str, int]]]
        self._entries = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(
        self, key: str, data: bytes, glyphs: frozenset[str], options: Any
    ) -> tuple[bytes, dict[str, int]]:
        with self._lock:
            entry = self._entries.get((key, glyphs))
            if entry is not None:
                self._entries.move_to_end((key, glyphs))
                self.hits += 1
                return entry
            self.misses += 1
        entry = _subset(data, glyphs, options)
        with self._lock:
            self._entries[(key, glyphs)] = entry
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry


def _subset(data: bytes, glyphs: frozenset[str], options: Any) -> tuple[bytes, dict[str, int]]:
    font = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    for tag in _DROPPED_TABLES:
        if tag in font:
            # fpdf2's options drop these, but fontTools would first decompile all of GSUB
            # and GPOS (most of the subsetting time). Shaping is done by now.
            del font[tag]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(glyphs=sorted(glyphs))
    subsetter.subset(font)
    order = set(font.getGlyphOrder())
    ids = {name: font.getGlyphID(name) for name in glyphs if name in order}
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), ids


SUBSETS = _SubsetCache()


class _EmbeddedFont:
    """Stands in for a fontTools ``TTFont`` during fpdf2's output of one of our fonts:
    fpdf2 subsets it (``_CachingSubsetter``), asks glyph ids and saves it."""

    def __init__(self, key: str, data: bytes) -> None:
        self.key = key
        self.data = data
        self.program = b""
        self.ids: dict[str, int] = {}

    def __contains__(self, tag: str) -> bool:  # fpdf2 asks for "CFF "; ours are TrueType
        return False

    def getGlyphID(self, name: str) -> int:
        return self.ids[name]

    def save(self, file: io.BytesIO) -> None:
        file.write(self.program)

    def close(self) -> None:
        self.program = b""


class _CachingSubsetter(ftsubset.Subsetter):  # type: ignore[misc]
    def subset(self, font: Any) -> None:
        if isinstance(font, _EmbeddedFont):
            glyphs = frozenset(self.glyph_names_requested)
            font.program, font.ids = SUBSETS.get(font.key, font.data, glyphs, self.options)
        else:
            super().subset(font)


class _SubsetModule:
    """What ``fpdf.output`` sees as ``fontTools.subset``: the same module except that its
    Subsetter serves our fonts from the cache (every other font is subset as before)."""

    Subsetter = _CachingSubsetter

    def __getattr__(self, name: str) -> Any:
        return getattr(ftsubset, name)


def _install_subset_cache() -> bool:
    if getattr(fpdf_output, "ftsubset", None) is ftsubset:
        setattr(fpdf_output, "ftsubset", _SubsetModule())  # noqa: B010
    return isinstance(getattr(fpdf_output, "ftsubset", None), _SubsetModule)


_SUBSET_CACHE_ON = _install_subset_cache()


class _KhataPDF(FPDF):
    """A4 document in millimetres with our fonts installed and a page footer."""

    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_left = footer_left
        self.continued = ""  # header line on pages after the first
        self._footer_done = False
        self._footer_note: list[str] = []
        self._ours: dict[str, bytes] = {}  # cloned font key -> font file bytes
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=18)
        self.set_creator("Khata")
        self._install_fonts()
        self._sans_cmap: dict[int, str] = self.fonts[SANS].cmap  # type: ignore[union-attr]
        self._plain = True  # fallback fonts and shaping off: fpdf2's fast path
        self.set_font(SANS, "", 9)
        self.set_text_color(*INK)
        self.c_margin = 1.4

    def _install_fonts(self) -> None:
        global _CLONING
        protos = _FONTS.load()
        if _CLONING:
            try:
                for proto in protos:
                    self.fonts[proto.fontkey] = _clone(proto.font, len(self.fonts) + 1)
                    self._ours[proto.fontkey] = proto.data
                return
            except (AttributeError, TypeError):  # pragma: no cover - fpdf2 internals moved
                _CLONING = False
                self.fonts.clear()
                self._ours.clear()
        for family, style, filename in _FONT_FILES:  # pragma: no cover
            self.add_font(family, style, str(FONT_DIR / filename))

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
                self.set_fallback_fonts(list(_FALLBACK_FAMILIES), exact_match=False)
        if not plain:
            shape = HAS_SHAPING and _NEEDS_SHAPING.search(text) is not None
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
        embed them); used ones get the ``_BASE_CHARS`` glyphs (Latin) and are embedded
        through the subset cache, or else from a fresh ``TTFont`` (fpdf2 subsets in place)."""
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
            elif _SUBSET_CACHE_ON:
                if key.startswith(SANS):
                    for cp in _BASE_CHARS:
                        if cp in font.cmap:
                            font.subset.pick(cp)
                font.ttfont = _EmbeddedFont(key, data)  # type: ignore[assignment]
            else:  # pragma: no cover - fpdf2 no longer imports fontTools.subset as before
                font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
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


@lru_cache(maxsize=256)
def _qr_png_bytes(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=1, border=2)
    return out.getvalue()


def _qr_png(link: str) -> io.BytesIO:
    """The link as a QR code PNG, one pixel per module (PDF viewers scale it without
    smoothing, so it stays crisp); cached, as an invoice is rendered for preview, sending
    and download."""
    return io.BytesIO(_qr_png_bytes(link))


@dataclass(frozen=True)
class _Column:
    title: str
    width: float  # mm; 0 takes the remaining width
    align: str  # "L" | "R" | "C"


class _Grid:
    """A table drawn line by line, fast enough for thousands of rows: the heading row
    repeats at the top of every page, text that does not fit its column wraps (the row
    grows), rows alternate a light fill and are ruled."""

    def __init__(
        self,
        pdf: _KhataPDF,
        columns: Sequence[_Column],
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


# --------------------------------------------------------------------------- invoices


@dataclass(frozen=True)
class _LineTable:
    columns: list[str]
    titles: list[str]
    rows: list[list[str]]


def _line_table(doc: InvoiceDocument, fmt: Formatter) -> _LineTable:
    """Heading and cell texts of the lines table. Amounts go without the currency symbol
    (the caption names the currency); when every line has the same tax rate it moves
    into the heading, otherwise each tax cell shows amount and rate on two lines."""
    columns = doc.template.visible_columns()
    rates = {line.tax_rate for line in doc.lines}
    one_rate = len(rates) == 1
    titles = []
    for c in columns:
        title = COLUMN_TITLES[c]
        if c == "tax" and one_rate:
            title = f"{title} {fmt.rate(next(iter(rates)))}"
        titles.append(title)
    rows = []
    for line in doc.lines:
        row = []
        for c in columns:
            if c == "description":
                row.append(line.description)
            elif c == "quantity":
                row.append(fmt.number(line.quantity))
            elif c == "unit":
                row.append(line.unit or "")
            elif c == "unit_price":
                row.append(fmt.amount(line.unit_price))
            elif c == "discount":
                row.append(fmt.amount(line.discount) if line.discount else "\u2013")
            elif c == "tax":
                tax = fmt.amount(line.tax)
                row.append(tax if one_rate else f"{tax}\n{fmt.rate(line.tax_rate)}")
            else:
                row.append(fmt.amount(line.total))
        rows.append(row)
    return _LineTable(columns, titles, rows)


def _totals(doc: InvoiceDocument, fmt: Formatter) -> list[tuple[str, str, bool]]:
    """(label, formatted amount, emphasised) rows under the lines."""
    totals = [("Subtotal", fmt.money(doc.subtotal), False)]
    if doc.template.show_discount and doc.discount_total:
        totals.append(("Discount", fmt.money(-doc.discount_total), False))
    if doc.template.show_tax_breakdown:
        for tax in doc.taxes:
            totals.append((f"{tax.name} ({fmt.rate(tax.rate)})", fmt.money(tax.amount), False))
    elif doc.taxes:
        totals.append(("Tax", fmt.money(sum((t.amount for t in doc.taxes), Decimal(0))), False))
    totals.append(("Total", fmt.money(doc.total), True))
    if doc.amount_paid:
        totals.append(("Amount paid", fmt.money(-doc.amount_paid), False))
    totals.append(("Balance due", fmt.money(doc.balance_due), True))
    return totals


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as a PDF (A4)."""
    fmt = Formatter(doc.currency, doc.locale)
    accent = doc.template.accent_rgb()
    pdf = _KhataPDF(
        footer_left=f"{doc.business.name} · Invoice {doc.number}",
    )
    pdf.set_title(f"Invoice {doc.number}")
    pdf.set_author(doc.business.name)
    pdf.set_footer_note(doc.template.footer_terms)
    pdf.add_page()
    left, epw = pdf.l_margin, pdf.epw

    # accent band
    pdf.set_fill_color(*accent)
    pdf.rect(0, 0, pdf.w, 4, style="F")

    # business (left) and invoice facts (right)
    top = pdf.t_margin
    right_w = 70.0
    right_x = left + epw - right_w
    pdf.set_xy(left, top)
    pdf.party(doc.business, epw - right_w - 8, 14)
    business_bottom = pdf.get_y()

    pdf.set_xy(right_x, top - 1)
    pdf.text_line(right_w, "INVOICE", size=20, style="B", color=accent, align="R", height=9)
    pdf.set_y(pdf.get_y() + 1)
    facts = [("Invoice no.", doc.number), ("Issue date", fmt.date(doc.issue_date))]
    if doc.due_date:
        facts.append(("Due date", fmt.date(doc.due_date)))
    pdf.key_values(right_x, right_w, facts, key_width=28)
    status = doc.status.replace("_", " ").upper()
    if status:
        pdf.set_font(SANS, "B", 7.5)
        badge_w = pdf.get_string_width(status) + 6
        y = pdf.get_y() + 1.5
        pdf.set_fill_color(*STATUS_COLORS.get(doc.status, accent))
        pdf.set_text_color(255, 255, 255)
        pdf.set_xy(right_x + right_w - badge_w, y)
        pdf.cell(badge_w, 5, status, align="C", fill=True)
        pdf.set_text_color(*INK)
        pdf.set_y(y + 5)
    pdf.set_y(max(business_bottom, pdf.get_y()) + 6)

    # bill to (left) and balance due (right)
    pdf.set_draw_color(*RULE)
    pdf.line(left, pdf.get_y(), left + epw, pdf.get_y())
    block_top = pdf.get_y() + 4
    pdf.set_xy(left, block_top)
    pdf.label(100, "Bill to", accent)
    pdf.party(doc.customer, epw - right_w - 8, 11)
    customer_bottom = pdf.get_y()
    pdf.set_xy(right_x, block_top)
    pdf.label(right_w, "Balance due", accent)
    pdf.set_x(right_x)
    pdf.text_line(right_w, fmt.money(doc.balance_due), size=17, style="B", align="R", height=9)
    if doc.due_date and doc.balance_due > 0:
        pdf.set_x(right_x)
        pdf.text_line(right_w, f"Due {fmt.date(doc.due_date)}", size=8.5, color=MUTED, align="R")
    pdf.set_y(max(customer_bottom, pdf.get_y()) + 6)

    # lines
    table = _line_table(doc, fmt)
    pdf.set_x(left)
    pdf.text_line(epw, fmt.caption(), size=7.5, color=MUTED, align="R")
    grid = _Grid(
        pdf,
        [
            _Column(
                title,
                0.0 if c == "description" else COLUMN_WIDTHS[c],
                "L" if c in ("description", "unit") else "R",
            )
            for c, title in zip(table.columns, table.titles, strict=True)
        ],
        accent,
    )
    pdf.continued = f"Invoice {doc.number} (continued)"
    grid.heading()
    for row in table.rows:
        grid.row(row)
    pdf.set_y(pdf.get_y() + 4)

    # totals (right), beside them how to pay: details and the QR code (left)
    totals = _totals(doc, fmt)
    tot_w, key_w = 80.0, 42.0
    tot_x = left + epw - tot_w
    pay_w = epw - tot_w - 8
    rows = doc.payment.rows() if doc.payment else []
    link = doc.payment_link
    qr = 27.0 if link else 0.0
    totals_h = sum(7 if strong else 6 for _, _, strong in totals)
    pay_h = max(5 + 4.3 * len(rows), qr + 4) + (8 if link else 0) if rows or link else 0
    pdf.ensure_space(max(totals_h, pay_h) + 2)
    top = pdf.get_y()
    for key, value, strong in totals:
        y = pdf.get_y()
        if strong:
            pdf.set_draw_color(*RULE)
            pdf.line(tot_x, y, tot_x + tot_w, y)
            y += 1
        pdf.set_xy(tot_x, y)
        pdf.set_font(SANS, "B" if strong else "", 10 if strong else 9)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(key_w, 6, key)
        pdf.set_text_color(*(accent if key == "Balance due" else INK))
        pdf.cell(tot_w - key_w, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    bottom = pdf.get_y()
    if rows or link:
        pdf.set_xy(left, top)
        pdf.label(pay_w, "How to pay", accent)
        if rows:
            details_w = pay_w - (qr + 4 if qr else 0)
            pdf.key_values(left, details_w, rows, key_width=25, size=8, align_value="L")
        pay_bottom = pdf.get_y()
        if link:
            qr_x = left + pay_w - qr
            pdf.image(_qr_png(link), x=qr_x, y=top, w=qr, h=qr, link=link)
            pdf.set_xy(qr_x - 5, top + qr + 0.3)
            pdf.text_line(qr + 10, "Scan to pay", size=7.5, style="B", align="C", height=3.6)
            pdf.set_xy(left, max(pay_bottom, pdf.get_y()) + 1)
            pdf.set_font(SANS, "", 6.5)
            pdf.set_text_color(*accent)
            for part in pdf.wrap(link, pay_w):
                pdf.set_x(left)
                pdf.cell(pay_w, 3.2, part, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)
            pay_bottom = pdf.get_y()
        bottom = max(bottom, pay_bottom)
    pdf.set_y(bottom + 6)

    # notes and terms, kept together when they fit on a page
    blocks = [(title, body) for title, body in (("Notes", doc.notes), ("Terms", doc.terms)) if body]
    pdf.set_font(SANS, "", 8.5)
    heights = [7 + 4 * len(pdf.wrap(body, epw)) for _, body in blocks]
    if sum(heights) < pdf.page_break_trigger - pdf.t_margin:
        pdf.ensure_space(sum(heights))
    for (title, body), height in zip(blocks, heights, strict=True):
        pdf.ensure_space(min(height, 14))
        pdf.set_x(left)
        pdf.label(epw, title, accent)
        pdf.text_line(epw, body, size=8.5)
        pdf.set_y(pdf.get_y() + 3)
    return pdf.render()


# --------------------------------------------------------------------------- statements

_STATEMENT_COLUMNS = (
    _Column("Date", 21.0, "L"),
    _Column("Type", 19.0, "L"),
    _Column("Reference", 26.0, "L"),
    _Column("Description", 0.0, "L"),
    _Column("Debit", 24.0, "R"),
    _Column("Credit", 24.0, "R"),
    _Column("Balance", 26.0, "R"),
)


def _statement_rows(doc: StatementDocument) -> list[StatementEntry]:
    entries = list(doc.entries)
    if not entries or entries[0].kind != "opening":
        entries.insert(
            0,
            StatementEntry(
                doc.period_start,
                "opening",
                "",
                "Opening balance",
                Decimal(0),
                Decimal(0),
                doc.opening_balance,
            ),
        )
    return entries


def render_statement_pdf(doc: StatementDocument) -> bytes:
    """A customer statement as a PDF: opening balance, every entry with a running balance,
    closing balance and aging buckets."""
    fmt = Formatter(doc.currency, doc.locale)
    accent = (31, 78, 121)
    pdf = _KhataPDF(
        footer_left=f"{doc.business.name} · Statement for {doc.customer.name}",
    )
    pdf.set_title(f"Statement {doc.customer.name}")
    pdf.set_author(doc.business.name)
    pdf.add_page()
    left, epw = pdf.l_margin, pdf.epw
    pdf.set_fill_color(*accent)
    pdf.rect(0, 0, pdf.w, 4, style="F")

    right_w = 78.0
    right_x = left + epw - right_w
    top = pdf.t_margin
    pdf.set_xy(left, top)
    pdf.party(doc.business, epw - right_w - 8, 14)
    business_bottom = pdf.get_y()
    pdf.set_xy(right_x, top - 1)
    pdf.text_line(right_w, "STATEMENT", size=20, style="B", color=accent, align="R", height=9)
    pdf.set_y(pdf.get_y() + 1)
    pdf.key_values(
        right_x,
        right_w,
        [
            ("Period", f"{fmt.date(doc.period_start)} \u2013 {fmt.date(doc.period_end)}"),
            ("Currency", doc.currency),
        ],
        key_width=22,
    )
    pdf.set_y(max(business_bottom, pdf.get_y()) + 6)
    pdf.set_draw_color(*RULE)
    pdf.line(left, pdf.get_y(), left + epw, pdf.get_y())

    block_top = pdf.get_y() + 4
    pdf.set_xy(left, block_top)
    pdf.label(100, "Statement for", accent)
    pdf.party(doc.customer, epw - right_w - 8, 11)
    customer_bottom = pdf.get_y()
    debits = sum((e.debit for e in doc.entries), Decimal(0))
    credits = sum((e.credit for e in doc.entries), Decimal(0))
    pdf.set_xy(right_x, block_top)
    pdf.label(right_w, "Summary", accent)
    pdf.key_values(
        right_x,
        right_w,
        [
            ("Opening balance", fmt.money(doc.opening_balance)),
            ("Invoiced", fmt.money(debits)),
            ("Paid and credited", fmt.money(credits)),
            ("Closing balance", fmt.money(doc.closing_balance)),
        ],
        key_width=36,
    )
    pdf.set_y(max(customer_bottom, pdf.get_y()) + 6)

    pdf.set_x(left)
    pdf.text_line(epw, fmt.caption(), size=7.5, color=MUTED, align="R")
    table = _Grid(pdf, _STATEMENT_COLUMNS, accent, size=8, line_h=4.0)
    pdf.continued = (
        f"Statement {fmt.date(doc.period_start)} \u2013 {fmt.date(doc.period_end)} (continued)"
    )
    table.heading()
    for entry in _statement_rows(doc):
        table.row(
            [
                fmt.date(entry.date),
                KIND_LABELS.get(entry.kind, entry.kind),
                entry.reference,
                entry.description,
                fmt.amount(entry.debit) if entry.debit else "",
                fmt.amount(entry.credit) if entry.credit else "",
                fmt.amount(entry.balance),
            ]
        )
    table.row(
        [
            fmt.date(doc.period_end),
            "",
            "",
            "Closing balance",
            "",
            "",
            fmt.amount(doc.closing_balance),
        ],
        bold=True,
    )

    if doc.aging:
        pdf.set_y(pdf.get_y() + 6)
        pdf.ensure_space(22)
        pdf.set_x(left)
        pdf.label(epw, "Aging of the outstanding balance", accent)
        keys = list(doc.aging)
        width = epw / len(keys)
        pdf.set_font(SANS, "B", 8)
        pdf.set_fill_color(*ZEBRA)
        for key in keys:
            pdf.cell(width, 6, AGING_LABELS.get(key, key), align="C", fill=True)
        pdf.ln(6)
        pdf.set_font(SANS, "", 9)
        for key in keys:
            pdf.cell(width, 7, fmt.money(doc.aging[key]), align="C", border="B")
        pdf.ln(7)
    return pdf.render()


# --------------------------------------------------------------------------- HTML


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _party_html(block: PartyBlock) -> str:
    parts = [f'<div class="name" dir="auto">{_e(block.name)}</div>']
    if block.name_alt:
        parts.append(f'<div dir="auto">{_e(block.name_alt)}</div>')
    parts.extend(f'<div class="muted" dir="auto">{_e(line)}</div>' for line in block.lines)
    contact = [c for c in (block.phone, block.email) if c]
    if contact:
        parts.append(f'<div class="muted">{_e(" · ".join(contact))}</div>')
    if block.tax_id:
        parts.append(f'<div class="muted">Tax ID: {_e(block.tax_id)}</div>')
    return "".join(parts)


def render_invoice_html(doc: InvoiceDocument) -> str:
    """A self-contained HTML preview (drafts); every value is escaped."""
    fmt = Formatter(doc.currency, doc.locale)
    accent = _e(doc.template.accent_color)
    table = _line_table(doc, fmt)
    aligns = ["l" if c in ("description", "unit") else "r" for c in table.columns]
    head = "".join(
        f'<th class="{a}">{_e(t)}</th>' for a, t in zip(aligns, table.titles, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{a}" dir="auto">{_e(text).replace(chr(10), "<br>")}</td>'
            for a, text in zip(aligns, row, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    totals = [(k, v) for k, v, _ in _totals(doc, fmt)]
    totals_html = "".join(
        f'<tr><td>{_e(k)}</td><td class="r" dir="auto">{_e(v)}</td></tr>' for k, v in totals
    )
    pay_rows = doc.payment.rows() if doc.payment else []
    pay_html = "".join(
        f"<div><span class='muted'>{_e(k)}:</span> {_e(v)}</div>" for k, v in pay_rows
    )
    qr_html = ""
    if doc.payment_link:
        qr_uri = segno.make(doc.payment_link, error="m", micro=False).svg_data_uri(scale=3)
        qr_html = (
            f'<div class="qr"><img alt="Payment QR code" src="{_e(qr_uri)}">'
            f'<div><a href="{_e(doc.payment_link)}">{_e(doc.payment_link)}</a></div></div>'
        )
    extras = "".join(
        f'<h4>{_e(title)}</h4><p dir="auto">{_e(text)}</p>'
        for title, text in (("Notes", doc.notes), ("Terms", doc.terms))
        if text
    )
    if doc.template.footer_terms:
        extras += f'<p class="muted" dir="auto">{_e(doc.template.footer_terms)}</p>'
    due = f"<div>Due date: {_e(fmt.date(doc.due_date))}</div>" if doc.due_date else ""
    balance = _e(fmt.money(doc.balance_due))
    how_to_pay = f"<h4>How to pay</h4>{pay_html}" if pay_html else ""
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{_e(doc.locale.replace("_", "-"))}"><head><meta charset="utf-8">',
            f"<title>Invoice {_e(doc.number)}</title>",
            f"<style>{_CSS.replace('ACCENT', accent)}</style></head><body>",
            '<div class="band"></div>',
            f'<div class="row"><div>{_party_html(doc.business)}</div>',
            '<div class="right"><h1>INVOICE</h1>',
            f"<div>Invoice no. <b>{_e(doc.number)}</b></div>",
            f"<div>Issue date: {_e(fmt.date(doc.issue_date))}</div>{due}",
            f'<div class="status">{_e(doc.status.replace("_", " ").upper())}</div></div></div>',
            f'<div class="row"><div><h4>Bill to</h4>{_party_html(doc.customer)}</div>',
            '<div class="right"><h4>Balance due</h4>',
            f'<div class="name" dir="auto">{balance}</div></div></div>',
            f'<div class="muted right">{_e(fmt.caption())}</div>',
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
            f'<table class="totals">{totals_html}</table>',
            f'<div class="row"><div>{how_to_pay}</div>{qr_html}</div>',
            extras,
            "</body></html>",
            "",
        ]
    )


_CSS = " ".join(
    [
        'body{font-family:"Noto Sans","Noto Sans Arabic","Noto Sans Devanagari",sans-serif;',
        "color:#212529;margin:0;padding:24px;font-size:13px}",
        ".band{height:6px;background:ACCENT;margin:-24px -24px 16px}",
        ".row{display:flex;justify-content:space-between;gap:24px;margin-bottom:16px}",
        ".right{text-align:right} .name{font-weight:bold;font-size:16px}",
        ".muted{color:#6c757d} h1{color:ACCENT;margin:0}",
        "h4{color:ACCENT;margin:12px 0 4px;text-transform:uppercase;font-size:11px}",
        "table{border-collapse:collapse;width:100%}",
        "th{background:ACCENT;color:#fff;padding:6px}",
        "td{padding:6px;border-bottom:1px solid #ced4da;vertical-align:top}",
        ".l{text-align:left} .r{text-align:right}",
        ".totals{width:auto;margin-left:auto;margin-top:12px}",
        ".totals tr:last-child td{font-weight:bold;color:ACCENT}",
        ".status{display:inline-block;padding:2px 8px;background:ACCENT;color:#fff;font-size:11px}",
        ".qr img{width:120px;height:120px}",
    ]
)
