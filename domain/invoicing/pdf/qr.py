"""The payment link as a QR code PNG for the PDF."""

from __future__ import annotations

import io
from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def _qr_png_bytes(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=1, border=2)
    return out.getvalue()


def qr_png(link: str) -> io.BytesIO:
    """The link as a QR code PNG, one pixel per module (PDF viewers scale it without
    smoothing, so it stays crisp); cached, as an invoice is rendered for preview, sending
    and download."""
    return io.BytesIO(_qr_png_bytes(link))
