"""The load test's figures as text, and the targets of reliability checklist (c) a run
missed (reported beside the figures; only the oracle fails a run)."""

from __future__ import annotations

from typing import Any

from survey.loadtest import oracle
from survey.loadtest.runner import as_step


def misses(summary: dict[str, Any], database: str) -> list[str]:
    """Targets of (c) the run missed: reported, not an oracle failure."""
    misses = []
    if rush := summary.get("rush"):
        misses += oracle.design_misses(
            rush["p95_by_endpoint"], rush["all"]["p99"], rush["all"]["max"]
        )
    for profile in ("stress", "spike"):
        if figures := summary.get(profile):
            misses += oracle.profile_misses(
                profile,
                database,
                figures["all"]["p95"],
                figures["all"]["p99"],
                figures["error_rate"],
            )
    if soak := summary.get("soak"):
        readings = soak["readings"]
        misses += oracle.soak_misses(
            readings.get("rss_mb", []),
            readings.get("wal_mb", []),
            readings.get("connections", []),
        )
        if soak["failures"]:
            misses.append(f"soak: {soak['failures']} failed requests")
    export = summary.get("export")
    if export and (export["seconds"] > 60 or export["peak_rss_mb"] > 512):
        misses.append(
            f"export: {export['seconds']} s, {export['peak_rss_mb']} MB "
            "(target 60 s, 512 MB)"
        )
    return misses


def text(summary: dict[str, Any]) -> str:
    """The run of one database, beside the targets."""
    lines: list[str] = []
    write = lines.append
    write(f"\n{summary['target']}: p50/p95/p99 ms per endpoint (target p95)")
    for profile in ("rush", "stress", "spike", "soak"):
        if figures := summary.get(profile):
            lines += profile_text(profile, figures)
    for step in summary["capacity"]:
        worst = max(step["p95_by_endpoint"].values(), default=0)
        ok = "ok" if oracle.sustainable(as_step(step)) else "over"
        write(
            f"  step {step['users']:>3} users: {step['rps']:.1f} req/s, "
            f"{step['failures']} failures, worst p95 {worst:.0f} ms, "
            f"CPU {step['cpu_ms_per_request']:.0f} ms/request, {ok}"
        )
    write(f"  max sustainable: {summary['max_sustainable_rps']:.1f} req/s")
    for name in ("export", "backup", "restore"):
        if found := summary.get(name):
            peak = (
                f", peak RSS {found['peak_rss_mb']} MB"
                if "peak_rss_mb" in found
                else ""
            )
            write(
                f"  {name} under load: {found['seconds']} s{peak}, exit {found['returncode']}"
            )
    if connections := summary.get("connections"):
        write(
            f"  PostgreSQL connections: peak {connections['peak']:.0f} "
            f"of max_connections {connections['max_connections']}"
        )
    soak = summary.get("soak")
    if soak and (readings := soak["readings"]):
        for name, values in readings.items():
            if values:
                write(
                    f"  soak {name}: first {values[0]:.1f}, last {values[-1]:.1f}, max {max(values):.1f}"
                )
    for miss in summary["misses"]:
        write(f"  MISS {miss}")
    return "\n".join(lines)


def profile_text(profile: str, figures: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    write = lines.append
    write(f"  {profile}, {figures['users']} users:")
    for name, p95 in figures["p95"].items():
        p50, p99 = figures["p50"][name], figures["p99"][name]
        count = figures["requests"][name]
        target = oracle.TARGETS_MS[oracle.kind(name)]
        note = f"({target}) {'ok' if p95 <= target else 'MISS'}"
        write(f"    {name:<16} {count:>5} {p50:>6.0f} {p95:>6.0f} {p99:>6.0f}  {note}")
    for name, login in figures["logins"].items():
        write(
            f"    {name:<16} {login['requests']:>5} {login['p50']:>6.0f} "
            f"{login['p95']:>6.0f} {login['p99']:>6.0f}  (before the profile)"
        )
    every = figures["all"]
    write(
        f"    all: p95 {every['p95']:.0f}, p99 {every['p99']:.0f}, max "
        f"{every['max']:.0f} ms; {figures['rps']:.1f} req/s, "
        f"{figures['failures']} failures, server CPU "
        f"{figures['cpu_ms_per_request']:.0f} ms per request"
    )
    return lines
