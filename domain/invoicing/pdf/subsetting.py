"""Subsetted font programs, cached by glyph set: fontTools subsetting costs ~8 ms a font
per document, and most documents need the same glyphs. fpdf2 reaches the cache through a
delegating wrapper installed as ``fpdf.output.ftsubset`` that intercepts only our fonts."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Any

import fpdf.output as fpdf_output
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf.fonts import TTFFont

from domain.invoicing.pdf.fonts import BASE_CHARS, SANS

# Tables fpdf2's subsetter drops anyway (shaping has already used them by output time).
_DROPPED_TABLES = ("GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "FFTM")


class _SubsetCache:
    """Subsetted font programs by (font, glyph names): fontTools subsetting costs ~8 ms a
    font per document; identical glyph sets are common (see ``fonts.BASE_CHARS``)."""

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

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


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


SUBSET_CACHE_ON = _install_subset_cache()


def prepare_embedding(font: TTFFont, key: str, data: bytes) -> None:
    """Readies one of our cloned fonts, used by the document, for fpdf2's output: the Latin
    fonts get the ``BASE_CHARS`` glyphs, and the font is embedded through the subset cache,
    or else from a fresh ``TTFont`` (fpdf2 subsets in place)."""
    if SUBSET_CACHE_ON:
        if key.startswith(SANS):
            for cp in BASE_CHARS:
                if cp in font.cmap:
                    font.subset.pick(cp)
        font.ttfont = _EmbeddedFont(key, data)  # type: ignore[assignment]
    else:  # pragma: no cover - fpdf2 no longer imports fontTools.subset as before
        font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
