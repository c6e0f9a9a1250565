"""The notification benchmark's report (bench/results/notifications.md): every figure
measured, the p95 target's verdict stated with the number."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import UTC, datetime
from typing import Any


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def render(
    args: argparse.Namespace, rows: list[dict[str, Any]], loads: list[str], target: float
) -> str:
    out = [
        "# Notifications: transactional latency and a 1,000-send burst (issue 19 §7)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.notify_latency "
        f"--singles {args.singles} --warm {args.warm} --burst {args.burst} "
        f"--workers {args.workers} --rows {args.rows}`.",
        "",
        f"Host: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores. **Shared host**: other agents were building and "
        "testing on the same cores during the run; load average (1/5/15 min) "
        + "; ".join(loads)
        + ". Numbers are therefore pessimistic and noisy; compare rows of one run.",
        "",
        "Commit -> provider call, ms, stamped at the fake Twilio/SendGrid server on arrival "
        "of the request. Bracketed: *upper* from the `sendInvoice` request leaving the "
        "client (includes the mutation itself), *lower* from its response arriving (the "
        f"commit was before it). Target: p95 <= {target:.0f} ms.",
        "",
        "| row | channel | sends | lower p50 | lower p95 | upper p50 | upper p95 | upper max "
        "| target (upper p95) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lat = row["latency"]
        for channel in ("sms", "email"):
            req, resp = lat[f"{channel}_req"], lat[f"{channel}_resp"]
            verdict = "met" if pct(req, 95) <= target else "**missed**"
            label = "SMS" if channel == "sms" else "email (+ PDF)"
            out.append(
                f"| {row['row']} | {label} | {len(req)} | {pct(resp, 50):.1f} | "
                f"{pct(resp, 95):.1f} | {pct(req, 50):.1f} | {pct(req, 95):.1f} | "
                f"{max(req):.1f} | {verdict} |"
            )
    out += [
        "",
        "Background load during the single sends: a customer or an invoice created in "
        "another business about every 200 ms ("
        + ", ".join(f"{r['row']}: {r['background_ops']} operations" for r in rows)
        + ").",
        "",
        "CPU per single send (SMS + email with PDF), from /proc over the counted sends: "
        + ", ".join(f"{r['row']} {r.get('cpu_ms', 0):.0f} ms" for r in rows)
        + " (arq: the worker processes, the job alone; embedded: the API process, which "
        "also ran the mutation and the background load).",
        "",
        "From the database (single sends after the warm-up): ms from the "
        "`invoice.send_requested` row's `created_at` (in the mutation's transaction, just "
        "before its commit) to each stage: arq's enqueue and start of the job (arq's own "
        "times), the ledger rows, and each channel's first attempt (recorded just before "
        "the provider call).",
        "",
        "| row | span | sends | p50 | p95 | max |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        for span, label in (
            ("relay", "event -> arq enqueue (mutation's end, commit, relay)"),
            ("queue", "arq enqueue -> job start (arq's own times)"),
            ("start_sms", "job start -> SMS attempt (the job's steps before the call)"),
            ("job", "event -> ledger rows (made by sendInvoice, or by the job before)"),
            ("sms", "event -> SMS attempt"),
            ("email", "event -> email attempt"),
        ):
            values = (row.get("spans") or {}).get(span) or []
            if values:
                out.append(
                    f"| {row['row']} | {label} | {len(values)} | {pct(values, 50):.1f} | "
                    f"{pct(values, 95):.1f} | {max(values):.1f} |"
                )
    out += [
        "",
        f"Burst: {args.burst} `sendInvoice` (SMS) requests issued at once (20 in flight over "
        "20 connections, the rest queued in the client), each to its own recipient; counted "
        "at the fake Twilio server. *Lost* counts accepted requests whose SMS never arrived; "
        "*refused* requests (an error answer) owe no SMS.",
        "",
        "| row | requests | refused | delivered | lost | duplicated | other messages "
        "| all answered (s) | last delivery (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        b = row["burst"]
        if b is None:
            out.append(f"| {row['row']} | (burst not finished) | | | | | | | |")
            continue
        out.append(
            f"| {row['row']} | {b['sent']} | {b['failed']} | {b['delivered']} | {b['lost']} | "
            f"{b['duplicated']} | {b['other']} | {b['answered_s']:.1f} | {b['last_s']:.1f} |"
        )
    for row in rows:
        for failure in (row["burst"] or {}).get("failures", []):
            out.append(f"\nA refusal ({row['row']}): `{failure}`")
    out += [
        "",
        "Rows: *arq* = PostgreSQL + the bench's own redis-server, one `khata serve` and "
        f"{args.workers} `khata worker` processes; *embedded* = `khata serve` on SQLite, "
        "jobs in the API process. Provider rates raised to 1,000/s so the limiter does not "
        "set the burst's pace.",
        "",
    ]
    return "\n".join(out)
