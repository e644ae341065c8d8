"""The load test's pass/fail rules, as pure functions over counts (no Django, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# p95 targets in ms, reliability-checklist (c): page GETs, saves, the submit.
TARGETS_MS = {"get": 300, "save": 500, "submit": 800}
# Gunicorn's access line (survey/gunicorn.py): host "METHOD path" status bytes Nms.
_ACCESS = re.compile(r'" (\d{3}) \S+ \d+ms$')


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


def scan_log(lines: Iterable[str]) -> LogCounts:
    """5xx access lines and "database is locked" anywhere in the server's log."""
    errors = locked = 0
    for line in lines:
        found = _ACCESS.search(line.rstrip())
        if found and found.group(1).startswith("5"):
            errors += 1
        if "database is locked" in line:
            locked += 1
    return LogCounts(errors, locked)


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
