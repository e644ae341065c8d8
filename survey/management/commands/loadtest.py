"""python manage.py loadtest: the deadline-rush load test (LD-1/LD-2), run by `make loadtest`.

For each target (SQLite, PostgreSQL without and with Django's connection pool) it makes
a scratch database (a file under /tmp, or a PostgreSQL database it creates and drops),
migrates and seeds it (loadtest_seed), starts gunicorn on 127.0.0.1 with the production
settings and survey/gunicorn.py, runs the rush scenario in Locust, headless, then steps
of a no-think-time page-and-autosave loop to find the highest sustainable rate, stops
gunicorn and checks the oracle (loadtest_check). Prints p50/p95/p99 per endpoint beside
the targets; exits non-zero when an oracle fails. Never touches DATABASE_URL's database.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import URLError

import psutil
import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.loadtest import oracle

LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtest" / "locustfile.py"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
TARGETS = {
    "sqlite": {},
    "postgres": {"DB_POOL": "0"},
    "postgres-pool": {"DB_POOL": "1"},
}
LOGIN = ("GET login", "POST login")


class Command(BaseCommand):
    help = "Run the deadline-rush load test on scratch databases; exit 1 when it fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS)
        )
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--spawn-rate", type=float, default=5)
        parser.add_argument("--think", type=float, default=1.0)
        parser.add_argument("--autosaves", type=int, default=3)
        parser.add_argument(
            "--run-time", default="10m", help="Upper bound of the rush (Locust -t)."
        )
        parser.add_argument(
            "--steps",
            default="5,10,20,40",
            help="Capacity steps: concurrent users with no think time.",
        )
        parser.add_argument(
            "--step-time", type=int, default=30, help="Seconds measured per step."
        )
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--out", type=Path, default=Path("/tmp/survey-loadtest"))

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        summaries, failed = [], []
        for target in options["targets"]:
            summary = self.run_target(target, out / target, options)
            summaries.append(summary)
            if not summary["oracle_passed"]:
                failed.append(target)
        (out / "summary.json").write_text(json.dumps(summaries, indent=2))
        self.stdout.write(f"\nFigures in {out}/summary.json; Locust CSVs beside it.")
        if failed:
            raise CommandError(f"The oracle failed on: {', '.join(failed)}")

    # One database ---------------------------------------------------------------------

    def run_target(
        self, target: str, folder: Path, options: dict[str, Any]
    ) -> dict[str, Any]:
        folder.mkdir()
        steps = [int(n) for n in options["steps"].split(",") if n]
        env = self.server_env(options) | TARGETS[target]
        pg_name = f"survey_loadtest_{os.getpid()}"
        if target == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
        else:
            self.postgres(f"CREATE DATABASE {pg_name}")
            env["DATABASE_URL"] = f"{POSTGRES}/{pg_name}"
        self.stdout.write(f"\n== {target}: load average {load_average()}")
        try:
            plan = folder / "plan.json"
            self.manage(env, "migrate", "--no-input", "-v0")
            self.manage(
                env,
                "loadtest_seed",
                f"--organisations={options['users'] + max(steps, default=0)}",
                f"--plan={plan}",
                "--scratch",
            )
            log = folder / "gunicorn.log"
            with self.gunicorn(env, log, options["port"]) as server:
                rush = self.locust(
                    server,
                    env,
                    folder / "rush",
                    options,
                    users=options["users"],
                    run_time=options["run_time"],
                    extra={
                        "LOADTEST_THINK": str(options["think"]),
                        "LOADTEST_AUTOSAVES": str(options["autosaves"]),
                    },
                    plan=plan,
                )
                capacity = [
                    self.locust(
                        server,
                        env,
                        folder / f"step{users}",
                        options,
                        users=users,
                        # The logins first, then step_time of measurement.
                        run_time=f"{options['step_time'] + 600}s",
                        extra={
                            "LOADTEST_MODE": "capacity",
                            "LOADTEST_THINK": "0",
                            "LOADTEST_MEASURE_SECONDS": str(options["step_time"]),
                        },
                        plan=plan,
                        first=options["users"],
                    )
                    for users in steps
                ]
            counts = [str(folder / "rush.counts.json")] + [
                str(folder / f"step{u}.counts.json") for u in steps
            ]
            check = self.manage(
                env, "loadtest_check", f"--log={log}", "--counts", *counts, check=False
            )
        finally:
            if target != "sqlite":
                self.postgres(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        self.stdout.write(check.stdout + check.stderr)
        steps_seen = [as_step(s) for s in capacity]
        summary = {
            "target": target,
            "rush": rush,
            "capacity": capacity,
            "max_sustainable_rps": oracle.max_sustainable_rps(steps_seen),
            "oracle_passed": check.returncode == 0,
            "oracle": check.stdout.strip(),
        }
        self.report(summary)
        return summary

    def server_env(self, options: dict[str, Any]) -> dict[str, str]:
        """Production settings on loopback, minus TLS (no proxy in front here)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
        return env | {
            "DEBUG": "0",
            "SECRET_KEY": "load-test-only-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "STATIC_MANIFEST": "0",
            "STAFF_MFA": "0",
            "GUNICORN_BIND": f"127.0.0.1:{options['port']}",
            "WEB_CONCURRENCY": str(options["workers"]),
            "GUNICORN_THREADS": str(options["threads"]),
            "DJANGO_SETTINGS_MODULE": "survey.settings",
        }

    def manage(
        self, env: dict[str, str], *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and done.returncode:
            raise CommandError(f"manage.py {args[0]} failed:\n{done.stderr}")
        return done

    def postgres(self, statement: str) -> None:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def gunicorn(self, env: dict[str, str], log: Path, port: int) -> Server:
        return Server(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "python:survey.gunicorn",
                "survey.wsgi",
            ],
            env,
            log,
            f"http://127.0.0.1:{port}/healthz",
        )

    def locust(
        self,
        server: Server,
        env: dict[str, str],
        prefix: Path,
        options: dict[str, Any],
        *,
        users: int,
        run_time: str,
        extra: dict[str, str],
        plan: Path,
        first: int = 0,
    ) -> dict[str, Any]:
        """One headless Locust run; its figures per endpoint, from the stats CSV, and
        the server's CPU time per request once every user has logged in."""
        self.stdout.write(
            f"-- {prefix.name}: {users} users, load average {load_average()}"
        )
        client_env = env | extra
        client_env |= {
            "LOADTEST_PLAN": str(plan),
            "LOADTEST_COUNTS": f"{prefix}.counts.json",
            "LOADTEST_FIRST_USER": str(first),
            "LOADTEST_USERS": str(users),
        }
        ready = Path(f"{prefix}.counts.json.ready")
        client = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("locust")),
                f"--locustfile={LOCUSTFILE}",
                "--headless",
                "--only-summary",
                f"--users={users}",
                f"--spawn-rate={min(users, options['spawn_rate'])}",
                f"--run-time={run_time}",
                "--stop-timeout=10",
                f"--host=http://127.0.0.1:{options['port']}",
                f"--csv={prefix}",
                "--exit-code-on-error=0",
            ],
            env=client_env,
            stdout=subprocess.DEVNULL,
            stderr=Path(f"{prefix}.locust.log").open("w"),  # noqa: SIM115
        )
        try:
            deadline = time.monotonic() + 600
            while not ready.exists() and client.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            cpu = server.cpu_seconds()
            failed = client.wait(timeout=4 * 3600)
            cpu = server.cpu_seconds() - cpu
        finally:
            # Interrupted or timed out: no client outlives the run.
            if client.poll() is None:
                client.kill()
                client.wait()
        if failed:
            raise CommandError(f"locust failed: see {prefix}.locust.log")
        figures = stats(Path(f"{prefix}_stats.csv"), users)
        # The server's CPU per request: on an idle machine of N cores, about
        # N × 1000 / this many requests a second at most, whatever else ran here.
        requests = sum(figures["requests"].values())
        figures["cpu_ms_per_request"] = cpu * 1000 / requests if requests else 0.0
        counts = json.loads(Path(f"{prefix}.counts.json").read_text(encoding="utf-8"))
        figures["logins"] = counts["logins"]
        return figures

    def report(self, summary: dict[str, Any]) -> None:
        write = self.stdout.write
        write(f"\n{summary['target']}: rush, p50/p95/p99 ms (target p95)")
        rush = summary["rush"]
        for name, p95 in rush["p95"].items():
            p50, p99, count = (
                rush["p50"][name],
                rush["p99"][name],
                rush["requests"][name],
            )
            target = oracle.TARGETS_MS[oracle.kind(name)]
            mark = "ok" if p95 <= target else "MISS"
            write(
                f"  {name:<16} {count:>5} {p50:>6.0f} {p95:>6.0f} {p99:>6.0f}  "
                f"({target}) {mark}"
            )
        for name, login in rush["logins"].items():
            write(
                f"  {name:<16} {login['requests']:>5} {login['p50']:>6.0f} "
                f"{login['p95']:>6.0f} {login['p99']:>6.0f}  (before the rush)"
            )
        write(
            f"  {rush['rps']:.1f} req/s, {rush['failures']} failures, server CPU "
            f"{rush['cpu_ms_per_request']:.0f} ms per request"
        )
        for step in summary["capacity"]:
            worst = max(step["p95_by_endpoint"].values(), default=0)
            ok = "ok" if oracle.sustainable(as_step(step)) else "over"
            write(
                f"  step {step['users']:>3} users: {step['rps']:.1f} req/s, "
                f"{step['failures']} failures, worst p95 {worst:.0f} ms, "
                f"CPU {step['cpu_ms_per_request']:.0f} ms/request, {ok}"
            )
        write(f"  max sustainable: {summary['max_sustainable_rps']:.1f} req/s")


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
        raise CommandError(f"gunicorn did not answer {self.health}; see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers so far (user and system)."""
        master = psutil.Process(self.process.pid)
        total = 0.0
        for process in [master, *master.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


def stats(path: Path, users: int) -> dict[str, Any]:
    """The endpoints' p50/p95/p99 and the rate without the logins (one per user, each
    a deliberate PBKDF2 hash, which would make every step look CPU-bound on logins)."""
    with path.open(encoding="utf-8") as f:
        # Entries emptied by the reset after the logins read "N/A": left out.
        rows = [
            r
            for r in csv.DictReader(f)
            if r["Name"] != "Aggregated" and int(r["Request Count"])
        ]
    measured = [r for r in rows if r["Name"] not in LOGIN]
    return {
        "users": users,
        "rps": sum(float(r["Requests/s"]) for r in measured),
        "failures": sum(int(r["Failure Count"]) for r in rows),
        "p95_by_endpoint": {r["Name"]: float(r["95%"]) for r in measured},
        "p50": {r["Name"]: float(r["50%"]) for r in rows},
        "p95": {r["Name"]: float(r["95%"]) for r in rows},
        "p99": {r["Name"]: float(r["99%"]) for r in rows},
        "requests": {r["Name"]: int(r["Request Count"]) for r in rows},
    }


def as_step(figures: dict[str, Any]) -> oracle.Step:
    return oracle.Step(
        users=figures["users"],
        rps=figures["rps"],
        failures=figures["failures"],
        p95_by_endpoint=figures["p95_by_endpoint"],
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
