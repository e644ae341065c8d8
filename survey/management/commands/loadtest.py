"""python manage.py loadtest: the load profiles of reliability checklist (c), run by
`make loadtest` (LD-1, LD-2, LD-3, and DL-7's backup under load).

For each target (SQLite, PostgreSQL without and with Django's connection pool) it makes
a scratch database (a file under /tmp, or a PostgreSQL database it creates and drops),
migrates and seeds it (loadtest_seed; generate_campaign for the export), starts gunicorn
on 127.0.0.1 with the production settings and survey/gunicorn.py, and runs in Locust,
headless, one after the other on fresh organisations:

- design: the deadline rush (log in, open sections, autosave, add a use, submit), with
  the full export of a 1,000-organisation campaign and an online backup taken meanwhile;
- stress: the same at three times the users;
- spike: every user opens the review page, then all submit in the same instant;
- capacity: steps of a page-and-autosave loop with no think time, for the highest
  sustainable rate;
- soak: a page-and-autosave loop with think time for a while, sampling the workers'
  memory, the SQLite WAL and PostgreSQL's connections.

Then it stops gunicorn, checks the oracle (loadtest_check: no lost or duplicate
submission, versions equal acknowledged saves, no 5xx, no "database is locked", no
worker timeout, connections under max_connections), restores the backup into a fresh
database and times it. Prints the figures beside the targets; exits non-zero when an
oracle fails. Never touches DATABASE_URL's database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.loadtest import oracle, report
from survey.loadtest.runner import (
    POSTGRES,
    Child,
    HarnessError,
    Run,
    Sampler,
    Server,
    as_step,
    file_mb,
    load_average,
    pg_connections,
    pg_max_connections,
)

TARGETS = {
    "sqlite": {},
    "postgres": {"DB_POOL": "0"},
    "postgres-pool": {"DB_POOL": "1"},
}
EXPORT_SLUG = "loadtest-export"
PROFILES = ("design", "stress", "spike", "capacity", "soak")


class Command(BaseCommand):
    help = "Run the load profiles on scratch databases; exit 1 when an oracle fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS)
        )
        parser.add_argument(
            "--profiles", nargs="+", choices=PROFILES, default=list(PROFILES)
        )
        parser.add_argument("--users", type=int, default=50, help="Design profile.")
        parser.add_argument(
            "--stress-users", type=int, default=-1, help="Default: 3 × --users."
        )
        parser.add_argument(
            "--spike", type=int, default=200, help="Users submitting at once."
        )
        parser.add_argument("--spawn-rate", type=float, default=5)
        parser.add_argument("--think", type=float, default=1.0)
        parser.add_argument("--autosaves", type=int, default=3)
        parser.add_argument(
            "--run-time", default="10m", help="Upper bound of a profile (Locust -t)."
        )
        parser.add_argument(
            "--steps",
            default="5,10,20,40",
            help="Capacity steps: concurrent users with no think time.",
        )
        parser.add_argument(
            "--step-time", type=int, default=30, help="Seconds measured per step."
        )
        parser.add_argument("--soak-users", type=int, default=50)
        # (c)'s soak is half the design rate (300 of 600 users, about 15 req/s): 50
        # users thinking 1.5-4.5 s before each request make about that.
        parser.add_argument("--soak-think", type=float, default=3.0)
        parser.add_argument(
            "--soak-time", type=int, default=600, help="Seconds of soak; 0: none."
        )
        parser.add_argument(
            "--export-organisations",
            type=int,
            default=1000,
            help="Submitted organisations of the campaign exported under load; 0: none.",
        )
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--out", type=Path, default=Path("/tmp/survey-loadtest"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stress_users"] < 0:
            options["stress_users"] = 3 * options["users"]
        out: Path = options["out"]
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        summaries, failed = [], []
        for target in options["targets"]:
            try:
                summary = self.run_target(target, out / target, options)
            except HarnessError as error:
                raise CommandError(str(error)) from error
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
        # Each profile takes organisations of its own, in this order in the plan; the
        # capacity steps and the soak share the last ones (they never submit).
        users, stress, spike = (
            options["users"],
            options["stress_users"],
            options["spike"],
        )
        looping = max([*steps, options["soak_users"] if options["soak_time"] else 0])
        first = {
            "stress": users,
            "spike": users + stress,
            "loop": users + stress + spike,
        }
        env = self.server_env(options) | TARGETS[target]
        pg_name = f"survey_loadtest_{os.getpid()}"
        if target == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
            backup = folder / "backup.sqlite3"
        else:
            self.postgres(f"CREATE DATABASE {pg_name}")
            env["DATABASE_URL"] = f"{POSTGRES}/{pg_name}"
            backup = folder / "backup.dump"
        self.stdout.write(f"\n== {target}: load average {load_average()}")
        database = "sqlite" if target == "sqlite" else "postgresql"
        summary: dict[str, Any] = {"target": target}
        try:
            plan = folder / "plan.json"
            self.manage(env, "migrate", "--no-input", "-v0")
            self.manage(
                env,
                "loadtest_seed",
                f"--organisations={first['loop'] + looping}",
                f"--plan={plan}",
                "--scratch",
            )
            if options["export_organisations"] and "design" in options["profiles"]:
                self.manage(
                    env,
                    "generate_campaign",
                    EXPORT_SLUG,
                    f"--responses={options['export_organisations']}",
                    "--scratch",
                )
            log = folder / "gunicorn.log"
            run = Run(self.stdout.write, env, folder, options, plan)
            with ExitStack() as stack:
                server = stack.enter_context(self.gunicorn(env, log, options["port"]))
                run.server = server
                connections = None
                if database == "postgresql":
                    connections = stack.enter_context(
                        Sampler(lambda: pg_connections(pg_name), every=1.0)
                    )
                summary |= self.profiles(run, steps, first, options, backup)
            counts = [str(p) for p in sorted(folder.glob("*.counts.json"))]
            check = self.manage(
                env, "loadtest_check", f"--log={log}", "--counts", *counts, check=False
            )
            problems = []
            if connections is not None:
                peak, limit = connections.summary()["max"], pg_max_connections()
                summary["connections"] = {"peak": peak, "max_connections": limit}
                problems += oracle.connection_problems(peak, limit)
            if summary.get("backup"):
                summary["restore"] = restored = self.restore(
                    target, backup, folder, f"{pg_name}_restore"
                )
                if summary["backup"]["returncode"] or restored["returncode"]:
                    problems.append("the backup taken under load did not restore")
        finally:
            if target != "sqlite":
                self.postgres(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
                self.postgres(f"DROP DATABASE IF EXISTS {pg_name}_restore WITH (FORCE)")
        self.stdout.write(check.stdout + check.stderr)
        for problem in problems:
            self.stdout.write(f"  FAIL {problem}")
        summary |= {
            "max_sustainable_rps": oracle.max_sustainable_rps(
                as_step(s) for s in summary["capacity"]
            ),
            "oracle_passed": check.returncode == 0 and not problems,
            "oracle": check.stdout.strip(),
            "problems": problems,
            "misses": report.misses(summary, database),
        }
        self.stdout.write(report.text(summary))
        return summary

    def profiles(
        self,
        run: Run,
        steps: list[int],
        first: dict[str, int],
        options: dict[str, Any],
        backup: Path,
    ) -> dict[str, Any]:
        think = {
            "LOADTEST_THINK": str(options["think"]),
            "LOADTEST_AUTOSAVES": str(options["autosaves"]),
        }
        # Design: the export and the backup start once every user has logged in.
        beside: list[tuple[str, Child]] = []

        def start_beside() -> None:
            if options["export_organisations"]:
                beside.append(
                    (
                        "export",
                        run.child(
                            "export_campaign",
                            EXPORT_SLUG,
                            f"--output={run.folder / 'export.xlsx'}",
                        ),
                    )
                )
            beside.append(("backup", run.child("backup", f"--output={backup}")))

        found: dict[str, Any] = {"capacity": []}
        profiles = options["profiles"]
        if "design" in profiles:
            try:
                found["rush"] = run.locust(
                    "rush", options["users"], extra=think, during=start_beside
                )
            except BaseException:
                # A failed run leaves no export or backup behind it, working on a
                # database about to be dropped.
                for _name, child in beside:
                    child.kill()
                raise
            for name, child in beside:
                found[name] = child.finish()
        if options["stress_users"] and "stress" in profiles:
            found["stress"] = run.locust(
                "stress", options["stress_users"], extra=think, first=first["stress"]
            )
        if options["spike"] and "spike" in profiles:
            found["spike"] = run.locust(
                "spike",
                options["spike"],
                extra={"LOADTEST_MODE": "spike"},
                first=first["spike"],
            )
        found["capacity"] = [
            run.locust(
                f"step{users}",
                users,
                extra={
                    "LOADTEST_MODE": "capacity",
                    "LOADTEST_THINK": "0",
                    "LOADTEST_MEASURE_SECONDS": str(options["step_time"]),
                },
                first=first["loop"],
                # The logins first, then step_time of measurement.
                run_time=f"{options['step_time'] + 600}s",
            )
            for users in (steps if "capacity" in profiles else [])
        ]
        if options["soak_time"] and "soak" in profiles:
            found["soak"] = self.soak(run, first["loop"], options)
        return found

    def soak(self, run: Run, first: int, options: dict[str, Any]) -> dict[str, Any]:
        """The page-and-autosave loop with think time, sampled every 5 s once every
        user has logged in."""
        stack = ExitStack()
        readings: dict[str, Sampler] = {}
        wal = Path(run.env["DATABASE_URL"].removeprefix("sqlite:///") + "-wal")

        def start() -> None:
            assert run.server is not None
            readings["rss_mb"] = stack.enter_context(Sampler(run.server.rss_mb, 5))
            if run.env["DATABASE_URL"].startswith("sqlite"):
                readings["wal_mb"] = stack.enter_context(
                    Sampler(lambda: file_mb(wal), 5)
                )
            else:
                name = run.env["DATABASE_URL"].rsplit("/", 1)[1]
                readings["connections"] = stack.enter_context(
                    Sampler(lambda: pg_connections(name), 5)
                )

        with stack:
            figures = run.locust(
                "soak",
                options["soak_users"],
                extra={
                    "LOADTEST_MODE": "capacity",
                    "LOADTEST_THINK": str(options["soak_think"]),
                    "LOADTEST_MEASURE_SECONDS": str(options["soak_time"]),
                },
                first=first,
                run_time=f"{options['soak_time'] + 600}s",
                during=start,
            )
        figures["readings"] = {k: v.values for k, v in readings.items()}
        return figures

    def restore(
        self, target: str, backup: Path, folder: Path, pg_name: str
    ) -> dict[str, Any]:
        """DL-7 under load: the backup restored into a fresh database, checked against
        its manifest by the restore command, and timed (the RTO)."""
        env = self.server_env({"port": 0, "workers": 1, "threads": 1})
        if target == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{folder}/restored.sqlite3"
        else:
            self.postgres(f"CREATE DATABASE {pg_name}")
            env["DATABASE_URL"] = f"{POSTGRES}/{pg_name}"
        started = time.monotonic()
        done = self.manage(env, "restore", str(backup), check=False)
        (folder / "restore.log").write_text(done.stdout + done.stderr)
        return {
            "seconds": round(time.monotonic() - started, 1),
            "returncode": done.returncode,
        }

    # Processes --------------------------------------------------------------------------

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
            timeout=1800,
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
