"""The fonts every document uses: parsed once per thread, cloned into each document."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
SANS = "sans"
FONT_FILES: tuple[tuple[str, str, str], ...] = (
    (SANS, "", "NotoSans-Regular.ttf"),
    (SANS, "B", "NotoSans-Bold.ttf"),
    ("arabic", "", "NotoSansArabic-Regular.ttf"),
    ("arabic", "B", "NotoSansArabic-Bold.ttf"),
    ("devanagari", "", "NotoSansDevanagari-Regular.ttf"),
    ("devanagari", "B", "NotoSansDevanagari-Bold.ttf"),
)
FALLBACK_FAMILIES = ("arabic", "devanagari")

# Hebrew, Arabic, Syriac, Thaana, N'Ko ... and the Indic blocks need HarfBuzz shaping.
NEEDS_SHAPING = re.compile("[\u0590-\u08ff\u0900-\u0dff\ufb1d-\ufdff\ufe70-\ufefc]")

try:  # text shaping needs uharfbuzz; without it Arabic/Indic text renders unshaped
    import uharfbuzz  # noqa: F401

    HAS_SHAPING = True
except ImportError:  # pragma: no cover - uharfbuzz is a dependency
    HAS_SHAPING = False

# Characters always embedded with the Latin fonts, used or not: most documents then need
# exactly this glyph set and reuse one cached subset (a few KB more per PDF).
BASE_CHARS = (
    *range(0x20, 0x7F),
    *(0xA0, 0xA9, 0xAE, 0xB0, 0xB7, 0xD7, 0x200F, 0x2013, 0x2014, 0x2018, 0x2019),
    *(0x201C, 0x201D, 0x2026, 0x202F, 0x20B9),
)


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
            for family, style, filename in FONT_FILES:
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


def install_fonts(pdf: FPDF) -> dict[str, bytes]:
    """Puts our fonts into `pdf`: clones of this thread's parsed fonts, or (if fpdf2's font
    internals no longer match) fonts parsed afresh. Answers the cloned fonts' keys with
    their file bytes, which the document embeds through the subset cache; nothing when
    parsed afresh (fpdf2 then embeds them itself)."""
    global _CLONING
    protos = _FONTS.load()
    ours: dict[str, bytes] = {}
    if _CLONING:
        try:
            for proto in protos:
                pdf.fonts[proto.fontkey] = _clone(proto.font, len(pdf.fonts) + 1)
                ours[proto.fontkey] = proto.data
            return ours
        except (AttributeError, TypeError):  # pragma: no cover - fpdf2 internals moved
            _CLONING = False
            pdf.fonts.clear()
            ours.clear()
    for family, style, filename in FONT_FILES:  # pragma: no cover
        pdf.add_font(family, style, str(FONT_DIR / filename))
    return ours
