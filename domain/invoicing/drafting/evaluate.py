"""Accuracy of the offline engine on the prompt corpus.

    python -m domain.invoicing.drafting.evaluate [corpus.json] [--misses]

A prompt matches when it yields the expected number of lines and every line's quantity,
unit price and currency are equal (as Decimals) and its description contains the expected
keyword. Field-level accuracy compares each field of each expected line (a missing or
extra line counts as wrong on every field). `strict` also requires unit and discounts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .engine import parse_prompt
from .models import DraftProposal, ProposedLine

CORPUS = Path(__file__).with_name("corpus.json")
FIELDS = ("description", "quantity", "unit", "unit_price", "currency", "discount_percent")


@dataclass
class Miss:
    id: str
    prompt: str
    reasons: list[str]


@dataclass
class Report:
    total: int
    exact: int
    strict: int
    field_correct: dict[str, int]
    field_total: int
    misses: list[Miss] = field(default_factory=list)

    @property
    def prompt_accuracy(self) -> float:
        return self.exact / self.total if self.total else 0.0

    @property
    def strict_accuracy(self) -> float:
        return self.strict / self.total if self.total else 0.0

    @property
    def field_accuracy(self) -> dict[str, float]:
        if not self.field_total:
            return dict.fromkeys(FIELDS, 0.0)
        return {name: self.field_correct[name] / self.field_total for name in FIELDS}

    @property
    def overall_field_accuracy(self) -> float:
        if not self.field_total:
            return 0.0
        return sum(self.field_correct.values()) / (self.field_total * len(FIELDS))

    def render(self, *, misses: bool = True) -> str:
        out = [
            f"prompts: {self.total}",
            f"prompt-level exact match: {self.exact}/{self.total} = {self.prompt_accuracy:.1%}",
            f"strict (also unit and discounts): {self.strict}/{self.total} "
            f"= {self.strict_accuracy:.1%}",
            f"field-level accuracy: {self.overall_field_accuracy:.1%} over "
            f"{self.field_total} expected lines",
        ]
        out += [f"  {name:<17} {acc:.1%}" for name, acc in self.field_accuracy.items()]
        if misses and self.misses:
            out.append("misses:")
            for miss in self.misses:
                out.append(f"  [{miss.id}] {miss.prompt!r}")
                out += [f"      {reason}" for reason in miss.reasons]
        return "\n".join(out)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _field_ok(name: str, exp: Mapping[str, Any], got: ProposedLine) -> bool:
    if name == "description":
        return str(exp["keyword"]).lower() in got.description.lower()
    if name == "quantity":
        return _dec(exp["quantity"]) == got.quantity
    if name == "unit":
        return exp.get("unit") == got.unit
    if name == "unit_price":
        return _dec(exp.get("unit_price")) == got.unit_price
    if name == "currency":
        return exp["currency"] == got.currency
    return _dec(exp.get("discount_percent")) == got.discount_percent


def _show(line: ProposedLine) -> str:
    price = "None" if line.unit_price is None else f"{line.unit_price}"
    disc = f" -{line.discount_percent}%" if line.discount_percent is not None else ""
    return f"{line.description!r} {line.quantity} {line.unit} @ {price} {line.currency}{disc}"


def score_entry(
    entry: Mapping[str, Any], proposal: DraftProposal
) -> tuple[bool, bool, dict[str, int], int, list[str]]:
    expected = entry["lines"]
    got = proposal.lines
    correct = dict.fromkeys(FIELDS, 0)
    reasons: list[str] = []
    if len(expected) != len(got):
        reasons.append(f"expected {len(expected)} lines, got {len(got)}")
    exact = len(expected) == len(got)
    strict = exact
    for i, exp in enumerate(expected):
        if i >= len(got):
            continue
        line = got[i]
        bad = [name for name in FIELDS if not _field_ok(name, exp, line)]
        for name in FIELDS:
            if name not in bad:
                correct[name] += 1
        if set(bad) & {"description", "quantity", "unit_price", "currency"}:
            exact = False
        if bad:
            strict = False
            reasons.append(f"line {i + 1}: wrong {', '.join(bad)}; got {_show(line)}")
    for line in got[len(expected) :]:
        reasons.append(f"extra line: {_show(line)}")
    if _dec(entry.get("invoice_discount_percent")) != proposal.invoice_discount_percent:
        strict = False
        reasons.append(
            f"invoice discount expected {entry.get('invoice_discount_percent')}, "
            f"got {proposal.invoice_discount_percent}"
        )
    return exact, strict, correct, len(expected), reasons


def load_corpus(corpus_path: str | Path = CORPUS) -> list[dict[str, Any]]:
    data = json.loads(Path(corpus_path).read_text(encoding="utf-8"))
    prompts: list[dict[str, Any]] = data["prompts"]
    return prompts


def evaluate(corpus_path: str | Path = CORPUS) -> Report:
    report = Report(0, 0, 0, dict.fromkeys(FIELDS, 0), 0)
    for entry in load_corpus(corpus_path):
        history = {k: Decimal(v) for k, v in entry.get("history", {}).items()}
        proposal = parse_prompt(
            entry["prompt"],
            currency=entry["currency"],
            history=history or None,
            known_items=entry.get("known_items", ()),
        )
        exact, strict, correct, n, reasons = score_entry(entry, proposal)
        report.total += 1
        report.exact += exact
        report.strict += strict
        report.field_total += n
        for name in FIELDS:
            report.field_correct[name] += correct[name]
        if reasons:
            report.misses.append(Miss(entry["id"], entry["prompt"], reasons))
    return report


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    show_misses = "--misses" in args
    paths = [a for a in args if not a.startswith("--")]
    report = evaluate(paths[0] if paths else CORPUS)
    print(report.render(misses=show_misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
