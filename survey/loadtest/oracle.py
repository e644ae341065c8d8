"""The load test's pass/fail rules, as pure functions over counts (no Django, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# p95 targets in ms, reliability-checklist (c): page GETs, saves, the submit.
TARGETS_MS = {"get": 300, "save": 500, "submit": 800}
# Gunicorn's access line (survey/gunicorn.py): host "METHOD path" status bytes Nms …
_ACCESS = re.compile(r'" (\d{3}) \S+ \d+ms(?:\s|$)')
# The whole-run bounds of the design profile: every request's p99 and the slowest one.
DESIGN_ALL_MS = {"p99": 1500, "max": 5000}
# (c)'s other profiles, per database: p95 and p99 bounds (ms, None: no bound) and the
# share of failed requests allowed (SQLite's stress may shed load; PostgreSQL may not).
PROFILE_TARGETS = {
    "stress": {"sqlite": (1000, 3000, 0.001), "postgresql": (800, 2000, 0.0)},
    "spike": {"sqlite": (None, 3000, 0.0), "postgresql": (None, 2000, 0.0)},
}
# The soak: worker memory may grow by less than this, the WAL stays under this size.
SOAK_RSS_GROWTH = 0.10
SOAK_WAL_MB = 64


def kind(endpoint: str) -> str:
    """Which target an endpoint's name (the Locust client's "METHOD what") is held to."""
    method, _space, what = endpoint.partition(" ")
    if what == "submit":
        return "submit"
    return "get" if method == "GET" else "save"


def submission_problems(
    receipts: Mapping[str, int], submissions: Mapping[str, int]
) -> list[str]:
    """Lost and duplicate submissions: every response whose user got a receipt has
    exactly one Submission, none has two, and none has one its user was not told of."""
    problems = []
    for response in sorted(set(receipts) | set(submissions)):
        got, rows = receipts.get(response, 0), submissions.get(response, 0)
        if rows > 1:
            problems.append(f"{response}: {rows} submissions (duplicate)")
        elif got and not rows:
            problems.append(f"{response}: receipt shown but no submission (lost)")
        elif rows and not got:
            problems.append(f"{response}: a submission no client was told of")
    return problems


def version_problems(
    saves: Mapping[str, int], versions: Mapping[str, int], base: int = 1
) -> list[str]:
    """Every response's edit version is its seeded version plus its successful saves,
    as the client counted them: a save acknowledged but not kept, or kept twice, shows."""
    return [
        f"{response}: version {versions.get(response)}, expected {base + count}"
        for response, count in sorted(saves.items())
        if versions.get(response) != base + count
    ]


@dataclass(frozen=True)
class LogCounts:
    server_errors: int
    locked: int
    timeouts: int = 0


def scan_log(lines: Iterable[str]) -> LogCounts:
    """5xx access lines, "database is locked" anywhere in the server's log, and the
    workers gunicorn killed for taking longer than its timeout."""
    errors = locked = timeouts = 0
    for line in lines:
        found = _ACCESS.search(line.rstrip())
        if found and found.group(1).startswith("5"):
            errors += 1
        if "database is locked" in line:
            locked += 1
        if "WORKER TIMEOUT" in line:
            timeouts += 1
    return LogCounts(errors, locked, timeouts)


def latency_misses(p95_by_endpoint: Mapping[str, float]) -> list[str]:
    """Endpoints whose p95 passes their target."""
    return [
        f"{name}: p95 {p95:.0f} ms > {TARGETS_MS[kind(name)]} ms"
        for name, p95 in sorted(p95_by_endpoint.items())
        if p95 > TARGETS_MS[kind(name)]
    ]


@dataclass(frozen=True)
class Step:
    users: int
    rps: float
    failures: int
    p95_by_endpoint: Mapping[str, float]


def sustainable(step: Step) -> bool:
    """No error and every p95 within target, over a step that measured something."""
    return (
        bool(step.p95_by_endpoint)
        and step.failures == 0
        and not latency_misses(step.p95_by_endpoint)
    )


def max_sustainable_rps(steps: Iterable[Step]) -> float:
    """The highest rate a step reached without errors and within every p95 target
    (0 when none did)."""
    return max((s.rps for s in steps if sustainable(s)), default=0.0)


def design_misses(
    p95_by_endpoint: Mapping[str, float], p99: float, slowest: float
) -> list[str]:
    """The design profile's targets: each endpoint's p95, every request's p99 and max."""
    misses = latency_misses(p95_by_endpoint)
    if p99 > DESIGN_ALL_MS["p99"]:
        misses.append(f"all requests: p99 {p99:.0f} ms > {DESIGN_ALL_MS['p99']} ms")
    if slowest > DESIGN_ALL_MS["max"]:
        misses.append(f"all requests: max {slowest:.0f} ms > {DESIGN_ALL_MS['max']} ms")
    return misses


def profile_misses(
    profile: str, database: str, p95: float, p99: float, error_rate: float
) -> list[str]:
    """The stress or spike profile's targets on this database ("sqlite"/"postgresql")."""
    most_p95, most_p99, most_errors = PROFILE_TARGETS[profile][database]
    misses = []
    if most_p95 is not None and p95 > most_p95:
        misses.append(f"{profile}: p95 {p95:.0f} ms > {most_p95} ms")
    if p99 > most_p99:
        misses.append(f"{profile}: p99 {p99:.0f} ms > {most_p99} ms")
    if error_rate > most_errors:
        misses.append(
            f"{profile}: {error_rate:.2%} of requests failed > {most_errors:.1%}"
        )
    return misses


def soak_misses(
    rss_mb: Sequence[float], wal_mb: Sequence[float], connections: Sequence[float]
) -> list[str]:
    """The soak's targets, over readings taken through it: worker memory grows by less
    than 10 % after the first tenth (the warm-up: a fresh worker compiles templates and
    fills its caches on its first requests), the SQLite WAL stays checkpointed, and
    PostgreSQL's connections do not grow (the second half never holds more than the
    first did)."""
    misses = []
    if rss_mb:
        warm = rss_mb[len(rss_mb) // 10]
        if rss_mb[-1] > warm * (1 + SOAK_RSS_GROWTH):
            misses.append(
                f"soak: worker memory grew {rss_mb[-1] / warm - 1:.0%} "
                f"({warm:.0f} → {rss_mb[-1]:.0f} MB)"
            )
    if wal_mb and max(wal_mb) >= SOAK_WAL_MB:
        misses.append(f"soak: WAL reached {max(wal_mb):.0f} MB")
    half = len(connections) // 2
    if half and max(connections[half:]) > max(connections[:half]):
        misses.append(
            f"soak: connections grew from {max(connections[:half]):.0f} to "
            f"{max(connections[half:]):.0f}"
        )
    return misses


def connection_problems(peak: float, max_connections: int) -> list[str]:
    """LD-2: the connections the run held stay under the server's max_connections."""
    if peak >= max_connections:
        return [
            f"{peak:.0f} PostgreSQL connections reached max_connections ({max_connections})"
        ]
    return []
