"""The load harness's processes and readings (no Django): gunicorn for the length of a
`with`, a child command watched for its peak memory, samplers, the Locust runs and
their figures, PostgreSQL's connection counts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.error import URLError

import psutil
import psycopg

from survey.loadtest import oracle

LOGIN = ("GET login", "POST login")
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"
POSTGRES = "postgres://postgres@127.0.0.1:5432"


class HarnessError(Exception):
    """A process of the harness did not start or failed."""


class Server:
    """Gunicorn for the length of a `with`: ready when /healthz answers, then stopped."""

    def __init__(
        self, command: list[str], env: dict[str, str], log: Path, health: str
    ) -> None:
        self.command, self.env, self.log, self.health = command, env, log, health

    def __enter__(self) -> Server:
        self.output = self.log.open("w")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=self.output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.health, timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except (URLError, OSError):
                time.sleep(0.5)
        self.__exit__()
        raise HarnessError(f"gunicorn did not answer {self.health}; see {self.log}")

    def processes(self) -> list[psutil.Process]:
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers so far (user and system), the workers
        it has already replaced included (gunicorn recycles them, GUNICORN_MAX_REQUESTS)."""
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
            if process.pid == self.process.pid:
                total += times.children_user + times.children_system
        return total

    def rss_mb(self) -> float:
        """Resident memory of the master and its workers together."""
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


class Child:
    """A command run beside the load (the export, the backup): its time, its exit code
    and its peak resident memory (the kernel's high-water mark, read until it exits)."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.output = log.open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, env=env, stdout=self.output, stderr=subprocess.STDOUT
        )
        self.peak_kb = 0
        self.ended = self.started
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self) -> None:
        status = Path(f"/proc/{self.process.pid}/status")
        while self.process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        self.ended = time.monotonic()

    def kill(self) -> None:
        """Ends the command now, for a run that failed around it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.watcher.join()
        self.output.close()

    def finish(self, timeout: float = 3600) -> dict[str, Any]:
        """Waits for the command; its figures (its own run time, not the wait's)."""
        code = self.process.wait(timeout=timeout)
        self.watcher.join()
        seconds = self.ended - self.started
        self.output.close()
        return {
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(self.peak_kb / 1024, 1),
            "returncode": code,
        }


class Sampler:
    """Calls `read` every `every` seconds in a thread until stopped; keeps the values."""

    def __init__(self, read: Callable[[], float], every: float = 1.0) -> None:
        self.read, self.every = read, every
        self.values: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            # A missed reading (a worker respawning, say) is not a failed run.
            with contextlib.suppress(Exception):
                self.values.append(self.read())
            self._stop.wait(self.every)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        values = self.values or [0.0]
        return {"first": values[0], "last": values[-1], "max": max(values)}


def stats(counts: dict[str, Any], users: int) -> dict[str, Any]:
    """The endpoints' p50/p95/p99 and the rate, from the client's final figures, without
    the logins (one per user, each a deliberate PBKDF2 hash, which would make every step
    look CPU-bound on logins; the client reset its figures once all had logged in)."""
    rows = {n: e for n, e in counts["stats"].items() if n not in LOGIN}
    requests = sum(e["requests"] for e in rows.values())
    failures = sum(e["failures"] for e in rows.values())
    total = counts["total"]
    return {
        "users": users,
        "rps": sum(e["rps"] for e in rows.values()),
        "failures": failures,
        "error_rate": failures / requests if requests else 0.0,
        "p95_by_endpoint": {n: e["p95"] for n, e in rows.items()},
        "p50": {n: e["p50"] for n, e in rows.items()},
        "p95": {n: e["p95"] for n, e in rows.items()},
        "p99": {n: e["p99"] for n, e in rows.items()},
        "requests": {n: e["requests"] for n, e in rows.items()},
        # Every request after the logins: the checklist's all-request p99 and max.
        "all": {"p95": total["p95"], "p99": total["p99"], "max": total["max"]},
    }


def as_step(figures: dict[str, Any]) -> oracle.Step:
    return oracle.Step(
        users=figures["users"],
        rps=figures["rps"],
        failures=figures["failures"],
        p95_by_endpoint=figures["p95_by_endpoint"],
    )


def file_mb(path: Path) -> float:
    """A file's size; 0 when it is not there (SQLite removes its WAL file when the last
    connection closes, which happens between requests)."""
    try:
        return path.stat().st_size / 2**20
    except FileNotFoundError:
        return 0.0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Run:
    """One target's gunicorn and the Locust runs against it."""

    def __init__(
        self,
        write: Callable[[str], Any],
        env: dict[str, str],
        folder: Path,
        options: dict[str, Any],
        plan: Path,
    ) -> None:
        self.write, self.env, self.folder = write, env, folder
        self.options, self.plan = options, plan
        self.server: Server | None = None

    def child(self, *args: str) -> Child:
        """A manage.py command beside the load, on the same database."""
        return Child(
            [sys.executable, str(MANAGE_PY), *args],
            self.env,
            self.folder / f"{args[0]}.log",
        )

    def locust(
        self,
        name: str,
        users: int,
        *,
        extra: dict[str, str],
        first: int = 0,
        run_time: str | None = None,
        during: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """One headless Locust run; its figures per endpoint, from the client's counts, and
        the server's CPU time per request once every user has logged in (when `during`
        starts too)."""
        assert self.server is not None
        options, prefix = self.options, self.folder / name
        self.write(f"-- {name}: {users} users, load average {load_average()}")
        client_env = self.env | extra
        client_env |= {
            "LOADTEST_PLAN": str(self.plan),
            "LOADTEST_COUNTS": f"{prefix}.counts.json",
            "LOADTEST_FIRST_USER": str(first),
            "LOADTEST_USERS": str(users),
        }
        ready = Path(f"{prefix}.counts.json.ready")
        log = Path(f"{prefix}.locust.log").open("w")  # noqa: SIM115 - closed below
        client = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("locust")),
                f"--locustfile={LOCUSTFILE}",
                "--headless",
                "--only-summary",
                f"--users={users}",
                f"--spawn-rate={min(users, options['spawn_rate'])}",
                f"--run-time={run_time or options['run_time']}",
                "--stop-timeout=10",
                f"--host=http://127.0.0.1:{options['port']}",
                f"--csv={prefix}",
                "--exit-code-on-error=0",
            ],
            env=client_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 900
            while not ready.exists() and client.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            cpu = self.server.cpu_seconds()
            if during is not None:
                during()
            failed = client.wait(timeout=4 * 3600)
            cpu = self.server.cpu_seconds() - cpu
        finally:
            # Interrupted or timed out: no client outlives the run.
            if client.poll() is None:
                client.kill()
                client.wait()
            log.close()
        if failed:
            raise HarnessError(f"locust failed: see {prefix}.locust.log")
        counts = json.loads(Path(f"{prefix}.counts.json").read_text(encoding="utf-8"))
        figures = stats(counts, users)
        # The server's CPU per request: on an idle machine of N cores, about
        # N × 1000 / this many requests a second at most, whatever else ran here.
        requests = sum(figures["requests"].values())
        figures["cpu_ms_per_request"] = cpu * 1000 / requests if requests else 0.0
        figures["logins"] = counts["logins"]
        return figures


def pg_connections(database: str) -> float:
    """Connections to `database` now (the sampler's own connection is to another)."""
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchone()
    return float(row[0]) if row else 0.0


def pg_max_connections() -> int:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
    return int(row[0]) if row else 0
