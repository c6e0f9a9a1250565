"""Invoice and statement PDF rendering speed.

    .venv/bin/python -m bench.invoice_pdf [--runs 50] [--statement-runs 10]

Reports mean and p95 (wall clock and CPU time of this process) for:
* an invoice with 10 lines for each country (IN: Devanagari customer, OM: Arabic customer and
  right-to-left amounts), each run with a new number and payment link, so the QR code is
  encoded every time; fonts are parsed once per thread and subsetted fonts are served from
  the subset cache (the Latin glyph set is the same for most invoices);
* the same with the subset cache emptied before every run (worst case: every embedded font
  is subsetted with fontTools);
* the first render in a fresh thread (parses the six fonts);
* a 1,000-entry statement (about 26 pages);
* the HTML preview of the 10-line invoice.
Rendering is CPU-bound: on a busy machine the CPU column is the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from domain.invoicing.pdf.invoice import render_invoice_pdf
from domain.invoicing.pdf.preview import render_invoice_html
from domain.invoicing.pdf.statement import render_statement_pdf
from domain.invoicing.pdf.subsetting import SUBSETS
from tests.invoicing.test_invoicing_pdf import make_invoice, make_statement


def _measure(fn: Callable[[int], object], runs: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for i in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        cpus.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - w0) * 1000)
    return walls, cpus


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(name: str, walls: list[float], cpus: list[float]) -> str:
    return (
        f"| {name} | {len(walls)} | {statistics.mean(walls):.1f} | {_p95(walls):.1f} "
        f"| {statistics.mean(cpus):.1f} | {_p95(cpus):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--statement-runs", type=int, default=10)
    args = parser.parse_args()

    rows = [
        "| scenario | runs | mean ms | p95 ms | mean CPU ms | p95 CPU ms |",
        "|---|---|---|---|---|---|",
    ]
    render_invoice_pdf(make_invoice("KE", 10))  # this thread's fonts

    for country in ("IN", "KE", "OM", "ZA"):
        base = make_invoice(country, 10)

        def invoice(i: int, base=base, country=country) -> bytes:  # type: ignore[no-untyped-def]
            doc = replace(
                base,
                number=f"INV-{i:05d}",
                payment_link=f"https://pay.khata.example/i/{country}{i:08d}",
            )
            return render_invoice_pdf(doc)

        invoice(-1)
        rows.append(_row(f"invoice, 10 lines, {country}", *_measure(invoice, args.runs)))

        def cold(i: int, invoice=invoice) -> bytes:  # type: ignore[no-untyped-def]
            SUBSETS.clear()
            return invoice(i)

        rows.append(
            _row(f"invoice, 10 lines, {country}, no subset cache", *_measure(cold, args.runs))
        )

    def first_in_thread(_: int) -> None:
        thread = threading.Thread(target=render_invoice_pdf, args=(make_invoice("ZA", 10),))
        thread.start()
        thread.join()

    rows.append(_row("first invoice in a new thread (font parsing)", *_measure(first_in_thread, 5)))

    statement = make_statement(1000)
    pages = render_statement_pdf(statement).count(b"/Type /Page\n")
    rows.append(
        _row(
            f"statement, 1,000 entries ({pages or 'many'} pages)",
            *_measure(lambda _: render_statement_pdf(statement), args.statement_runs),
        )
    )
    html_doc = make_invoice("IN", 10)
    rows.append(
        _row("HTML preview, 10 lines", *_measure(lambda _: render_invoice_html(html_doc), 50))
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
