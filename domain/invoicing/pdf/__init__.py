"""Invoice and statement PDFs (fpdf2) and the HTML draft preview.

* ``invoice`` and ``statement`` lay out the two PDFs, ``preview`` the HTML page of a draft;
  ``page`` is the A4 canvas they draw on (text helpers, footer, output), ``tables`` its
  paginated grid and ``qr`` the payment link's QR code.
* Amounts are formatted with babel per the document's locale (``formatting``): ``en_IN``,
  ``en_KE``, ``sw_KE``, ``ar_OM``, ``en_ZA``...; a locale babel does not know (``en_OM``)
  falls back to its language, then to ``en``.
* Text uses the Noto fonts shipped in ``domain/invoicing/fonts/`` (SIL OFL 1.1): Noto Sans
  for Latin, Greek, Cyrillic and ₹, with Noto Sans Arabic and Noto Sans Devanagari as
  fallbacks. Text in a script that needs shaping (Arabic, Devanagari...) goes through
  HarfBuzz (uharfbuzz), which also lays out right-to-left runs; other text skips it.
* Speed (see bench/invoice_pdf.py): fonts are parsed once per thread and cloned into each
  document (``fonts``); fonts a document did not use are not embedded; subsetted font
  programs are cached by glyph set (``subsetting``, reached through a delegating wrapper
  installed as ``fpdf.output.ftsubset`` that only intercepts our fonts); plain text is
  measured from advance widths and drawn with ``FPDF.text``; fallback fonts and shaping
  are switched on only for text that needs them (``KhataPDF.normalize_text``). These lean
  on fpdf2 2.8 internals: keep fpdf2 pinned; the tests exercise every path.
"""
