"""The realtime benchmark's report (bench/results/realtime.md): every figure measured,
each target's verdict stated as met or missed with the number."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from datetime import UTC, datetime
from typing import Any

from bench import realtime_stalls

TARGET_RATIO = 1.5
TARGET_KIB_PER_SUB = 32.0
TARGET_P95_MS = 50.0


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ratio(api: float, floor: float) -> float:
    return api / floor if floor > 0 else float("inf")


def side_line(label: str, side: Any) -> str:
    return (
        f"| {label} | {side.expected} | {side.delivered} | {side.lost} | {side.duplicated} | "
        f"{side.errors} | {side.silent} | {side.pct(50):.1f} | {side.pct(99):.1f} | "
        f"{side.pct(100):.1f} | {side.failed} | {side.closed} |"
    )


SIDE_HEAD = [
    "| side | expected | delivered | lost | duplicated | error frames | silent subscribers "
    "| p50 ms | p99 ms | max ms | failed to open | closed by server |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def tenants(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    api, floor = r["api"], r["floor"]
    p99 = ratio(api.pct(99), floor.pct(99))
    per_sub = {k: v / max(1, r["measured_subs"]) for k, v in r["rss_kib"].items()}
    at_open = {k: v / max(1, r["measured_subs"]) for k, v in r["rss_open_kib"].items()}
    k = r.get("per_socket", 1)
    cpu = {
        "api": r["cpu_s"]["api"] * 1000 / max(1, api.delivered),
        "floor": r["cpu_s"]["floor"] * 1000 / max(1, floor.delivered),
    }
    return [
        f"## Many tenants ({r.get('kind', args.kind)})",
        "",
        f"{r['subscriptions']} subscriptions ({r['filtered']} filtered by customer) over "
        f"{r['processes']} API processes and {r['businesses']} businesses, opened in "
        f"{r['opened_s']:.1f} s. "
        f"{r['events']} events committed at {r['rate']:.1f}/s (asked {args.rate:g}/s).",
        "",
        *SIDE_HEAD,
        side_line("API", api),
        side_line("floor", floor),
        "",
        f"- p99 commit → receipt: API {api.pct(99):.1f} ms, floor {floor.pct(99):.1f} ms: "
        f"{p99:.2f}x the floor (target ≤ {TARGET_RATIO}x): {verdict(p99 <= TARGET_RATIO)}",
        "- p99 by fifth of the phase (events committed in each fifth), ms: API "
        + ", ".join(f"{v:.0f}" for v in api.pct_by_part(99))
        + "; floor "
        + ", ".join(f"{v:.0f}" for v in floor.pct_by_part(99)),
        f"- server CPU per delivered event: API {cpu['api']:.3f} ms, floor "
        f"{cpu['floor']:.3f} ms ({r['cpu_s']['api']:.1f} s and {r['cpu_s']['floor']:.1f} s "
        "of CPU over the phase)",
        *([realtime_stalls.line(r["stalls"])] if "stalls" in r else []),
        f"- memory per open subscription: API {per_sub['api']:.1f} KiB, floor "
        f"{per_sub['floor']:.1f} KiB (RSS growth over {r['measured_subs']} subscriptions, "
        "from after a first wave had received events to after the phase; "
        f"target ≤ {TARGET_KIB_PER_SUB:g} KB): {verdict(per_sub['api'] <= TARGET_KIB_PER_SUB)}; "
        f"right after opening, before the phase: API {at_open['api']:.1f} KiB, floor "
        f"{at_open['floor']:.1f} KiB",
        *(multiplexed(r, per_sub["api"], at_open["api"]) if k > 1 else []),
        "",
    ]


def multiplexed(r: dict[str, Any], per_socket: float, at_open: float) -> list[str]:
    """`--per-socket` > 1: the figures above are per API socket (its measured subscription
    and the others); per subscription they are divided by the subscriptions per socket."""
    k = r["per_socket"]
    return [
        f"- with {k} subscriptions per API socket (the measured one and {k - 1} other staff "
        f"stream(s) of the business; {r['other_frames']} frames reached those in the run), "
        f"the API figures above are per socket; per subscription: {at_open / k:.1f} KiB "
        f"right after opening, {per_socket / k:.1f} KiB after the phase (target ≤ "
        f"{TARGET_KIB_PER_SUB:g} KB: {verdict(per_socket / k <= TARGET_KIB_PER_SUB)}); the "
        "floor has one stream per socket"
    ]


def fanout(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    api, floor = r["api"], r["floor"]
    last_api, last_floor = sorted(api.last_ms.values()), sorted(floor.last_ms.values())
    worst_api = last_api[-1] if last_api else float("nan")
    worst_floor = last_floor[-1] if last_floor else float("nan")
    p99 = ratio(api.pct(99), floor.pct(99))
    last = ratio(worst_api, worst_floor)
    return [
        f"## Broad fan-out ({r.get('kind', args.kind)})",
        "",
        f"{r['subscribers']} subscribers of one business over {r['processes']} API processes "
        f"({r['cold']} never received the warm-up event); {r['events']} single changes, "
        "each committed by a writer process of its own, a few seconds apart (when the API "
        "takes longer, the deliveries of consecutive changes overlap).",
        "",
        *SIDE_HEAD,
        side_line("API", api),
        side_line("floor", floor),
        "",
        "- commit → last receipt per change (ms): API "
        + ", ".join(f"{v:.1f}" for v in last_api)
        + "; floor "
        + ", ".join(f"{v:.1f}" for v in last_floor),
        f"- p99 commit → receipt: {p99:.2f}x the floor; worst commit → last receipt: "
        f"{last:.2f}x the floor (target ≤ {TARGET_RATIO}x): {verdict(last <= TARGET_RATIO)}",
        "",
    ]


def resume(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    clean = r["lost"] == 0 and r["duplicated"] == 0 and r["out_of_order"] == 0
    if r["caught_up_s"] is not None:
        took = f"all caught up in {r['caught_up_s']:.2f} s"
    else:
        took = (
            f"not caught up within {r['limit_s']:g} s: {r['arrived']} of the {r['want']} "
            "missed events had arrived by then"
        )
    return [
        "## Resume after a Redis restart",
        "",
        f"{r['clients']} clients over {r['businesses']} businesses; the benchmark's own "
        f"redis-server killed (by pid): {r['told']} of them were told RESUBSCRIBE; restarted; "
        f"{r['behind']} events committed per business while they were away; all reconnect at "
        f"once with `after: <their last cursor>`.",
        "",
        f"- {took} (every socket reconnected and subscribed after {r['reconnected_s']:.2f} s, "
        f"{r['retries']} attempts refused or dropped and retried); "
        f"{'lost' if r['caught_up_s'] is not None else 'still missing'} {r['lost']}, "
        f"duplicated {r['duplicated']}, "
        f"out of order {r['out_of_order']}, error frames {r['errors']}"
        f"{codes(r.get('error_codes') or {})}: "
        f"{verdict(clean and r['caught_up_s'] is not None and not r['not_back'])}",
        f"- clients that never opened before the restart: {r['failed']}; that could not "
        f"reconnect in 5 attempts (not in the figures above, counted lost): {r['not_back']}",
        "",
    ]


def codes(counts: dict[str, int]) -> str:
    """` (CODE n, ...)` for a non-empty count of error frames by code."""
    if not counts:
        return ""
    return " (" + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) + ")"


def http(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    cap, paced = r["capacity"], r["paced"]
    from bench.http_client import percentile

    def p(load: Any, q: float) -> float:
        return percentile(load.latencies_ms, q)

    cap_rate = len(cap.latencies_ms) / cap.wall_s
    paced_rate = len(paced.latencies_ms) / paced.wall_s
    return [
        f"## Mutation over HTTP ({r.get('kind', args.kind)})",
        "",
        f"{r['clients']} clients over {r['clients']} businesses, alternating between "
        f"{r['processes']} API processes; each business has one live subscriber "
        f"({r['subscriber_events']} events reached them).",
        "",
        "| load | requests | per s | p50 ms | p95 ms | p99 ms | API CPU ms/request |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| capacity (closed loop) | {len(cap.latencies_ms)} | {cap_rate:.1f} | "
        f"{p(cap, 50):.1f} | {p(cap, 95):.1f} | {p(cap, 99):.1f} | {r['capacity_cpu_ms']:.2f} |",
        f"| open loop at 70 % ({r['rate']:.1f}/s asked) | {len(paced.latencies_ms)} | "
        f"{paced_rate:.1f} | {p(paced, 50):.1f} | {p(paced, 95):.1f} | {p(paced, 99):.1f} | "
        f"{r['paced_cpu_ms']:.2f} |",
        "",
        f"- p95 at 70 % of capacity: {p(paced, 95):.1f} ms (target < {TARGET_P95_MS:g} ms, "
        f"the publish to subscribers included): {verdict(p(paced, 95) < TARGET_P95_MS)}; "
        f"at most {paced.max_connections} connection(s) per client",
        "",
    ]


SECTIONS = {"tenants": tenants, "fanout": fanout, "resume": resume, "http": http}


def section(name: str, result: dict[str, Any], args: argparse.Namespace) -> str:
    return "\n".join(SECTIONS[name](result, args))


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    head = [
        "# Realtime benchmark (`python -m bench.realtime`)",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}; {os.cpu_count()} CPU "
        f"cores shared by the servers, PostgreSQL, Redis and the clients; Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end",
        f"- {backend}, pool {args.pool} per process; the benchmark's own redis-server; "
        f"collector {getattr(args, 'collector', 'default')} (schema/stalls.py); "
        f"kind per section; method: bench/realtime.py's docstring",
        "",
    ]
    body = [section(name, result, args) for name, result in results.items()]
    return "\n".join(head + body)
