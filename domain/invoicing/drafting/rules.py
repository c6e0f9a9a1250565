"""The offline rule engine: prompt -> raw lines (description, quantity, unit, price).

Pipeline: normalise the text and split it into item segments (`text`) -> tokenise each
segment (`tokens`) -> give each number a role (price, quantity, pack size, discount, tax)
from the words around it and build the description from what is left (`interpret`,
`quantity`) -> join the segments' lines here. History, catalogue checks, warnings and
confidence come afterwards in `checks.finalize`, shared with the LLM parser.
"""

from __future__ import annotations

from domain.core.money import minor_units

from .interpret import SegmentResult, interpret
from .raw import AMBIGUOUS_NUMBER, PRICE_GUESSED, QTY_GUESSED, ParseResult, RawLine
from .text import normalise, split_segments, strip_filler
from .tokens import Tok, split_runs, tokenise

# (tokens, their text, joined to the part before by a weak "and", ... to the part after)
Piece = tuple[list[Tok], str, bool, bool]


def extract(prompt: str, default_currency: str) -> ParseResult:
    """Prompt -> raw lines plus prompt-level notes. No history, no confidence yet."""
    text = strip_filler(normalise(prompt))
    three = minor_units(default_currency) == 3
    result = ParseResult(lines=[])
    previous: RawLine | None = None
    for toks, seg_text, _, _ in _join_weak_parts(_pieces(text, three)):
        res = interpret(toks, default_currency, seg_text)
        line = _line_of(result, res, seg_text)
        if line is None:
            continue
        # a part without a name completes the item before it:
        # "Hosting 12 months, KES 1,500 per month", "Mabati gauge 30, 20 pcs @ 780"
        if (
            not line.description
            and previous is not None
            and previous.unit_price is None
            and (QTY_GUESSED in line.flags or QTY_GUESSED in previous.flags)
        ):
            _complete(previous, line)
            continue
        result.lines.append(line)
        previous = line

    if result.invoice_discount_percent is not None and len(result.lines) == 1:
        only = result.lines[0]
        if only.discount_percent is None:
            only.discount_percent = result.invoice_discount_percent
            result.invoice_discount_percent = None
    return result


def _pieces(text: str, three_decimals: bool) -> list[Piece]:
    """Each segment's runs of tokens ("2 bag urea@266 1 bag DAP@1350" is two runs)."""
    pieces: list[Piece] = []
    for seg in split_segments(text):
        runs = split_runs(tokenise(seg.text, three_decimals))
        for n, run in enumerate(runs):
            text_of_run = " ".join(t.text for t in run)
            pieces.append(
                (
                    run,
                    text_of_run,
                    seg.weak_before and n == 0,
                    seg.weak_after and n == len(runs) - 1,
                )
            )
    return pieces


def _join_weak_parts(pieces: list[Piece]) -> list[Piece]:
    """A part with no number joined by a weak "and" is part of its neighbour's name
    ("salt and pepper 2 kg"); a bare price part belongs to the item before it."""
    merged: list[Piece] = []
    i = 0
    while i < len(pieces):
        toks, seg_text, weak_before, weak_after = pieces[i]
        has_num = any(t.kind in {"NUM", "NUMWORD", "PCT", "TAX", "DISC"} for t in toks)
        if not has_num and weak_after and i + 1 < len(pieces):
            nt, ntext, _, nweak_after = pieces[i + 1]
            joiner = Tok("WORD", "and")
            pieces[i + 1] = (
                [*toks, joiner, *nt],
                f"{seg_text} and {ntext}",
                weak_before,
                nweak_after,
            )
            i += 1
            continue
        merged.append((toks, seg_text, weak_before, weak_after))
        i += 1
    return merged


def _line_of(result: ParseResult, res: SegmentResult, seg_text: str) -> RawLine | None:
    """The segment's line; a tax, an invoice discount or an unreadable part is noted on
    the result instead."""
    if res.tax_note is not None:
        result.suggestions.append(
            f"tax mentioned in the prompt ({res.tax_note}) is not added as a line: "
            "taxes come from the business's tax rules"
        )
    if res.discount_only:
        result.invoice_discount_percent = res.discount
        return None
    if res.line is None and res.tax_note is None and seg_text.strip():
        result.unparsed.append(seg_text)
    return res.line


def _complete(previous: RawLine, line: RawLine) -> None:
    """`line` (no name) gives the item before it its price or its quantity."""
    if line.unit_price is not None:
        previous.unit_price = line.unit_price
        previous.currency = line.currency
        previous.flags.discard(PRICE_GUESSED)
        previous.flags |= line.flags & {PRICE_GUESSED, AMBIGUOUS_NUMBER}
    if QTY_GUESSED in previous.flags and QTY_GUESSED not in line.flags:
        previous.quantity, previous.unit = line.quantity, line.unit
        previous.flags.discard(QTY_GUESSED)
    previous.unit = previous.unit or line.unit
    previous.discount_percent = previous.discount_percent or line.discount_percent
    previous.notes.extend(line.notes)
    previous.warnings.extend(line.warnings)
    previous.segment = f"{previous.segment}, {line.segment}"
