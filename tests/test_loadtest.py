"""The load harness's fast parts: the oracle's rules, the seed and the check on a test
database, the gunicorn configuration and the pool setting (the load test itself runs
only under `make loadtest`)."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from survey.editing import Edit
from survey.loadtest import oracle
from survey.loadtest.runner import Child, Sampler, stats
from survey.models import Membership, Response, Submission, Use, User

ROOT = Path(__file__).resolve().parent.parent


class OracleTests(SimpleTestCase):
    def test_one_submission_per_receipt_passes(self) -> None:
        self.assertEqual(oracle.submission_problems({"a": 1}, {"a": 1}), [])

    def test_lost_duplicate_and_unreported_submissions_fail(self) -> None:
        problems = oracle.submission_problems({"a": 1, "b": 1}, {"b": 2, "c": 1})
        self.assertEqual(
            problems,
            [
                "a: receipt shown but no submission (lost)",
                "b: 2 submissions (duplicate)",
                "c: a submission no client was told of",
            ],
        )

    def test_version_is_seed_plus_acknowledged_saves(self) -> None:
        self.assertEqual(oracle.version_problems({"a": 6}, {"a": 7}), [])
        self.assertEqual(
            oracle.version_problems({"a": 6, "b": 2}, {"a": 6, "b": 4}),
            ["a: version 6, expected 7", "b: version 4, expected 3"],
        )
        self.assertEqual(
            oracle.version_problems({"gone": 1}, {}), ["gone: version None, expected 2"]
        )

    def test_log_scan_counts_5xx_and_locked(self) -> None:
        lines = [
            '127.0.0.1 "GET /r/x/s/A/" 200 1234 56ms\n',
            '127.0.0.1 "POST /r/x/submit" 502 0 3ms\n',
            '127.0.0.1 "GET /healthz" 503 2 1ms\n',
            "django.db.utils.OperationalError: database is locked\n",
            '127.0.0.1 "GET /500/" 200 5 1ms\n',
            # A request ID after the time does not hide the status.
            '127.0.0.1 "POST /r/y/autosave" 500 0 9ms 4f9c2a\n',
            "[2026-12-03 11:00:00 +0000] [7] [CRITICAL] WORKER TIMEOUT (pid:9)\n",
        ]
        self.assertEqual(oracle.scan_log(lines), oracle.LogCounts(3, 1, 1))

    def test_endpoint_kinds_and_targets(self) -> None:
        self.assertEqual(oracle.kind("GET section"), "get")
        self.assertEqual(oracle.kind("POST autosave"), "save")
        self.assertEqual(oracle.kind("POST submit"), "submit")
        self.assertEqual(
            oracle.latency_misses(
                {"GET section": 301, "POST autosave": 500, "POST submit": 900}
            ),
            ["GET section: p95 301 ms > 300 ms", "POST submit: p95 900 ms > 800 ms"],
        )

    def test_max_sustainable_rate_skips_steps_with_errors_or_slow_p95(self) -> None:
        fast = {"GET section": 100.0, "POST autosave": 200.0}
        steps = [
            oracle.Step(users=5, rps=20.0, failures=0, p95_by_endpoint=fast),
            oracle.Step(users=10, rps=40.0, failures=0, p95_by_endpoint=fast),
            oracle.Step(users=20, rps=55.0, failures=1, p95_by_endpoint=fast),
            oracle.Step(
                users=40, rps=60.0, failures=0, p95_by_endpoint={"GET section": 400}
            ),
        ]
        self.assertEqual(oracle.max_sustainable_rps(steps), 40.0)
        self.assertEqual(oracle.max_sustainable_rps([]), 0.0)
        empty = oracle.Step(users=80, rps=0.0, failures=0, p95_by_endpoint={})
        self.assertFalse(oracle.sustainable(empty))

    def test_design_profile_bounds_every_request(self) -> None:
        fast = {"GET section": 100.0, "POST submit": 700.0}
        self.assertEqual(oracle.design_misses(fast, p99=1500, slowest=5000), [])
        self.assertEqual(
            oracle.design_misses(fast, p99=1501, slowest=5001),
            [
                "all requests: p99 1501 ms > 1500 ms",
                "all requests: max 5001 ms > 5000 ms",
            ],
        )

    def test_stress_and_spike_targets_differ_by_database(self) -> None:
        # SQLite's stress may shed 0.1 % of requests and take 1 s at p95.
        self.assertEqual(
            oracle.profile_misses("stress", "sqlite", 1000, 3000, 0.001), []
        )
        self.assertEqual(
            oracle.profile_misses("stress", "postgresql", 1000, 3000, 0.001),
            [
                "stress: p95 1000 ms > 800 ms",
                "stress: p99 3000 ms > 2000 ms",
                "stress: 0.10% of requests failed > 0.0%",
            ],
        )
        # The spike has no p95 bound, and no failure is allowed on either.
        self.assertEqual(oracle.profile_misses("spike", "sqlite", 9000, 2999, 0), [])
        self.assertEqual(
            oracle.profile_misses("spike", "sqlite", 10, 3001, 0.5),
            ["spike: p99 3001 ms > 3000 ms", "spike: 50.00% of requests failed > 0.0%"],
        )

    def test_soak_memory_wal_and_connections(self) -> None:
        steady = oracle.soak_misses([200, 210, 219.9], [1, 30, 2], [8, 8, 8, 8])
        self.assertEqual(steady, [])
        # The first tenth is the warm-up: growth is counted from the reading after it.
        warming = [150.0] + [200.0] * 9 + [219.0]
        self.assertEqual(oracle.soak_misses(warming, [], []), [])
        self.assertEqual(
            oracle.soak_misses([200, 230], [10, 64], [4, 8, 8, 9]),
            [
                "soak: worker memory grew 15% (200 → 230 MB)",
                "soak: WAL reached 64 MB",
                "soak: connections grew from 8 to 9",
            ],
        )
        self.assertEqual(oracle.soak_misses([], [], []), [])

    def test_connections_stay_under_max_connections(self) -> None:
        self.assertEqual(oracle.connection_problems(99, 100), [])
        self.assertEqual(
            oracle.connection_problems(100, 100),
            ["100 PostgreSQL connections reached max_connections (100)"],
        )


class RunnerTests(SimpleTestCase):
    def test_figures_leave_the_logins_out(self) -> None:
        entry = {"requests": 10, "failures": 1, "rps": 2.5, "max": 900}
        entry |= {"p50": 100, "p95": 400, "p99": 800}
        login = entry | {"p95": 3000}
        counts = {
            "stats": {"GET section": entry, "POST submit": entry, "POST login": login},
            "total": entry | {"p95": 450},
        }
        figures = stats(counts, users=7)
        self.assertEqual(
            figures["p95_by_endpoint"], {"GET section": 400, "POST submit": 400}
        )
        self.assertEqual(figures["rps"], 5.0)
        self.assertEqual(figures["failures"], 2)
        self.assertEqual(figures["error_rate"], 0.1)
        self.assertEqual(figures["all"], {"p95": 450, "p99": 800, "max": 900})

    def test_a_child_reports_its_own_time_and_peak_memory(self) -> None:
        # About 50 MB held for half a second, then three seconds before it is asked:
        # the time reported is the command's own, not the wait's.
        script = "import time; b = bytearray(50 * 2**20); time.sleep(0.5)"
        with tempfile.TemporaryDirectory() as folder:
            child = Child(
                [sys.executable, "-c", script], dict(os.environ), Path(folder) / "log"
            )
            time.sleep(3)
            found = child.finish()
        self.assertEqual(found["returncode"], 0)
        self.assertGreater(found["peak_rss_mb"], 50)
        self.assertGreaterEqual(found["seconds"], 0.5)
        self.assertLess(found["seconds"], 2.9)

    def test_a_sampler_keeps_its_readings(self) -> None:
        readings = iter([1.0, 2.0])
        third_call = threading.Event()

        def read() -> float:
            value = next(readings, None)
            if value is None:
                third_call.set()
                raise StopIteration
            return value

        with Sampler(read, every=0.01) as sampler:
            self.assertTrue(third_call.wait(timeout=10))
        # The third call raised StopIteration: a missed reading, not a crash.
        self.assertEqual(sampler.values, [1.0, 2.0])
        self.assertEqual(sampler.summary(), {"first": 1.0, "last": 2.0, "max": 2.0})


class SeedAndCheckTests(TestCase):
    def setUp(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.plan_path, self.counts, self.log = (
            folder / "plan.json",
            folder / "counts.json",
            folder / "gunicorn.log",
        )
        call_command(
            "loadtest_seed",
            organisations=2,
            plan=self.plan_path,
            password="a-load-test-password",
            scratch=True,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        self.plan = json.loads(self.plan_path.read_text())
        self.log.write_text('127.0.0.1 "GET /healthz" 200 2 1ms\n')

    def check(self, saves: dict[str, int], receipts: dict[str, int]) -> None:
        self.counts.write_text(
            json.dumps({"saves": saves, "receipts": receipts, "server_errors": {}})
        )
        call_command(
            "loadtest_check",
            counts=[self.counts],
            log=self.log,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )

    def test_seeded_signatories_log_in_and_can_submit(self) -> None:
        user = self.plan["users"][0]
        login = self.client.post(
            self.plan["login"],
            {"username": user["email"], "password": "a-load-test-password"},
        )
        self.assertEqual(login.status_code, 302)
        membership = Membership.objects.get(user__email=user["email"])
        self.assertEqual(membership.role, Membership.Role.SIGNATORY)
        page = self.client.get(user["autosave_page"])
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'name="version" value="1"')
        # The rush types into a free-text question of that page, found in the definition.
        self.assertContains(page, f'name="{self.plan["autosave_question"]}"')
        submitted = self.client.post(user["submit"], {"confirmed": "1"})
        self.assertRedirects(submitted, user["receipt"])

    def test_check_passes_when_database_matches_the_client(self) -> None:
        response = Response.objects.get(uuid=self.plan["users"][0]["response"])
        user = User.objects.get(email=self.plan["users"][0]["email"])
        response.submit(user, ip=None, at=timezone.now())
        self.check({str(response.uuid): 1}, {str(response.uuid): 1})

    def test_check_fails_on_a_lost_submission_and_a_wrong_version(self) -> None:
        uuid = self.plan["users"][0]["response"]
        with self.assertRaisesMessage(CommandError, "oracle failed: 2 problems"):
            self.check({uuid: 1}, {uuid: 1})
        self.assertFalse(Submission.objects.exists())


class GunicornConfigTests(SimpleTestCase):
    def test_reads_its_values_from_the_environment(self) -> None:
        values = {
            "GUNICORN_BIND": "127.0.0.1:9123",
            "WEB_CONCURRENCY": "3",
            "GUNICORN_THREADS": "8",
            "GUNICORN_TIMEOUT": "45",
        }
        previous = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            config = importlib.reload(importlib.import_module("survey.gunicorn"))
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name)
                else:
                    os.environ[name] = value
        self.assertEqual(config.bind, "127.0.0.1:9123")
        self.assertEqual((config.workers, config.threads, config.timeout), (3, 8, 45))
        defaults = importlib.reload(config)
        self.assertEqual(defaults.bind, "127.0.0.1:8000")
        self.assertEqual((defaults.workers, defaults.threads), (2, 4))
        self.assertTrue(defaults.control_socket_disable)

    def test_access_lines_mask_link_tokens(self) -> None:
        config = importlib.import_module("survey.gunicorn")
        access = logging.getLogger("test.gunicorn.access")
        config.post_worker_init(SimpleNamespace(log=SimpleNamespace(access_log=access)))
        with self.assertLogs(access, "INFO") as captured:
            access.info('%s "%s" %s', "127.0.0.1", "GET /invite/s3cr3t-token/", 200)
        self.assertEqual(
            captured.records[0].getMessage(),
            '127.0.0.1 "GET /invite/********/" 200',
        )

    def test_gunicorn_accepts_the_file(self) -> None:
        checked = subprocess.run(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "python:survey.gunicorn",
                "--check-config",
                "survey.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(checked.returncode, 0, checked.stderr)


class PoolSettingTests(SimpleTestCase):
    def settings_of(self, **env: str) -> dict[str, object]:
        script = (
            "import json, django; django.setup(); from django.conf import settings; "
            "d = settings.DATABASES['default']; "
            "print(json.dumps({'pool': d['OPTIONS'].get('pool'), "
            "'age': d['CONN_MAX_AGE']}))"
        )
        child_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE"))
        }
        child_env |= {
            "DJANGO_SETTINGS_MODULE": "survey.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
            **env,
        }
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)

    def test_pool_off_keeps_persistent_connections(self) -> None:
        self.assertEqual(self.settings_of(DB_POOL="0"), {"pool": None, "age": 60})

    def test_pool_on_needs_conn_max_age_zero(self) -> None:
        found = self.settings_of(DB_POOL="1", DB_POOL_SIZE="6")
        self.assertEqual(found["age"], 0)
        self.assertEqual(found["pool"], {"min_size": 1, "max_size": 6, "timeout": 10})


class AutosaveWritesOnlyMovedUsesTests(TestCase):
    """Profiled under load: writing every use back (bulk_update) was half an autosave."""

    def setUp(self) -> None:
        plan = Path(tempfile.mkdtemp()) / "plan.json"
        call_command(
            "loadtest_seed",
            organisations=1,
            plan=plan,
            scratch=True,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        self.response = Response.objects.get()
        self.user = User.objects.get()

    def save(self, answers: dict[str, str]) -> list[str]:
        edit = Edit(
            posted=answers,
            loaded={q: self.response.answers.get(q) for q in answers},
            loaded_version=self.response.version,
            question_ids=list(answers),
        )
        with CaptureQueriesContext(connection) as queries:
            self.response.save_answers(edit, user=self.user, ip=None, at=timezone.now())
        return [q["sql"] for q in queries.captured_queries]

    def derived(self) -> list[list[object]]:
        return [
            [getattr(u, name) for name in Use.DERIVED_FIELDS]
            for u in Use.objects.filter(response=self.response).order_by("position")
        ]

    def test_a_free_text_answer_writes_no_use(self) -> None:
        before = self.derived()
        sql = self.save({"B6a": "Found through the procurement records."})
        self.assertEqual(self.response.version, 2)
        self.assertFalse([q for q in sql if q.startswith('UPDATE "survey_use"')])
        self.assertEqual(self.derived(), before)

    def test_an_answer_that_moves_the_uses_still_writes_them(self) -> None:
        before = self.derived()
        sql = self.save(dict.fromkeys(["B1", "B2", "B3", "B4", "B5"], "no"))
        self.assertTrue([q for q in sql if q.startswith('UPDATE "survey_use"')])
        after = self.derived()
        self.assertNotEqual(after, before)
        questionnaire = self.response.campaign.questionnaire.parsed
        for use in Use.objects.filter(response=self.response).order_by("position"):
            use.refresh_derived(questionnaire, self.response.answers)
            self.assertEqual(
                [getattr(use, name) for name in Use.DERIVED_FIELDS],
                after[use.position - 1],
            )
