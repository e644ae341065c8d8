from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase, TransactionTestCase

from survey.env import database_from_url, env_bool, env_int, env_list, sqlite_database

ROOT = Path(__file__).resolve().parent.parent
# Variables of this test process that must not leak into the `manage.py` children.
CHILD_ENV_DROPPED = {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


class EnvHelperTests(SimpleTestCase):
    def set_env(self, **values: str) -> None:
        for name, value in values.items():
            previous = os.environ.get(name)
            os.environ[name] = value
            if previous is None:
                self.addCleanup(os.environ.pop, name, None)
            else:
                self.addCleanup(os.environ.__setitem__, name, previous)

    def test_booleans(self) -> None:
        self.set_env(T_ONE="1", T_OFF="off", T_BAD="maybe")
        self.assertIs(env_bool("T_ONE", False), True)
        self.assertIs(env_bool("T_OFF", True), False)
        self.assertIs(env_bool("T_MISSING", True), True)
        with self.assertRaisesMessage(
            ImproperlyConfigured, "T_BAD='maybe' is not a boolean"
        ):
            env_bool("T_BAD", False)

    def test_integers(self) -> None:
        self.set_env(T_INT="42", T_NEG="-1", T_BAD="4x")
        self.assertEqual(env_int("T_INT", 1), 42)
        with self.assertRaisesMessage(
            ImproperlyConfigured, "T_NEG='-1' must be at least 0"
        ):
            env_int("T_NEG", 1, minimum=0)
        with self.assertRaisesMessage(
            ImproperlyConfigured, "T_BAD='4x' is not a whole number"
        ):
            env_int("T_BAD", 1)

    def test_lists(self) -> None:
        self.set_env(T_LIST=" a.example, b.example ,,")
        self.assertEqual(env_list("T_LIST", []), ["a.example", "b.example"])


class DatabaseUrlTests(SimpleTestCase):
    def test_unset_means_a_sqlite_file_in_the_project(self) -> None:
        config = database_from_url("", ROOT / "db.sqlite3")
        self.assertEqual(config["NAME"], str(ROOT / "db.sqlite3"))
        self.assertEqual(config["OPTIONS"]["transaction_mode"], "IMMEDIATE")
        self.assertGreaterEqual(config["OPTIONS"]["timeout"], 20)
        self.assertIn("journal_mode=WAL", config["OPTIONS"]["init_command"])

    def test_sqlite_url_with_an_absolute_path(self) -> None:
        config = database_from_url("sqlite:////srv/data/survey.sqlite3", ROOT / "x")
        self.assertEqual(config["NAME"], "/srv/data/survey.sqlite3")
        self.assertEqual(config["OPTIONS"]["transaction_mode"], "IMMEDIATE")

    def test_postgres_url(self) -> None:
        config = database_from_url(
            "postgres://app:s%40cret@db.internal:5433/survey?sslmode=require",
            ROOT / "x",
        )
        self.assertEqual(
            {
                k: config[k]
                for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
            },
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "survey",
                "USER": "app",
                "PASSWORD": "s@cret",
                "HOST": "db.internal",
                "PORT": "5433",
            },
        )
        self.assertEqual(config["OPTIONS"], {"sslmode": "require"})

    def test_bad_urls_fail_loudly(self) -> None:
        for url, message in [
            ("mysql://u@h/db", "only sqlite:// and postgres://"),
            ("postgres://u@h:5432/", "names no database"),
            ("postgres://u@h:port/db", "bad port"),
            ("sqlite://relative.db", "sqlite:////absolute/path"),
        ]:
            with (
                self.subTest(url=url),
                self.assertRaisesMessage(ImproperlyConfigured, message),
            ):
                database_from_url(url, ROOT / "x")


class StartupTests(SimpleTestCase):
    def run_check(self, **env: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
        return subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_a_bad_environment_value_stops_startup_with_a_clear_message(self) -> None:
        result = self.run_check(DEBUG="perhaps")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "ImproperlyConfigured: DEBUG='perhaps' is not a boolean", result.stderr
        )

    def test_site_url_follows_the_port_served(self) -> None:
        """Issue 10 §18: `make run PORT=8811` prints and mails links to port 8811."""
        clean = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
        clean.pop("SITE_URL", None)
        clean.pop("PORT", None)
        code = "from django.conf import settings as s; print(s.SITE_URL)"
        for env, expected in (
            ({"PORT": "8811"}, "http://127.0.0.1:8811"),
            ({}, "http://127.0.0.1:8000"),
            (
                {"PORT": "8811", "SITE_URL": "https://survey.example/"},
                "https://survey.example",
            ),
        ):
            result = subprocess.run(
                [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
                cwd=ROOT,
                env={**clean, **env},
                capture_output=True,
                text=True,
                timeout=60,
            )
            self.assertEqual(result.stdout.strip(), expected, result.stderr)
        recipe = subprocess.run(
            ["make", "-n", "run", "PORT=8811"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        self.assertIn("PORT=8811 .venv/bin/python manage.py seed_demo", recipe)
        self.assertIn("runserver 127.0.0.1:8811", recipe)

    def test_production_needs_a_secret_key(self) -> None:
        result = self.run_check(DEBUG="0", ALLOWED_HOSTS="survey.example")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("The environment variable SECRET_KEY must be set.", result.stderr)

    def test_a_bad_database_url_stops_startup(self) -> None:
        result = self.run_check(DATABASE_URL="oracle://x/y")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "only sqlite:// and postgres:// URLs are supported", result.stderr
        )

    def test_production_settings_pass_the_deploy_check(self) -> None:
        clean = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **clean,
                "DEBUG": "0",
                "ALLOWED_HOSTS": "survey.example",
                "SECRET_KEY": "k" * 20
                + "-production-test-key-with-enough-entropy-0123",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)

    def test_production_cookies_are_secure_and_host_prefixed(self) -> None:
        clean = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROPPED}
        code = (
            "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env={**clean, "DEBUG": "0", "ALLOWED_HOSTS": "x", "SECRET_KEY": "s" * 50},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(
            result.stdout.split(), ["__Host-sessionid", "True", "True", "31536000"]
        )


class ConfiguredDatabaseTests(SimpleTestCase):
    databases = {"default"}

    def test_ci_runs_on_postgresql_when_asked(self) -> None:
        """With REQUIRE_POSTGRES set (CI's second pass), the suite really runs on PostgreSQL."""
        expected = (
            "postgresql"
            if os.environ.get("REQUIRE_POSTGRES")
            else (
                "postgresql"
                if os.environ.get("DATABASE_URL", "").startswith("postgres")
                else "sqlite"
            )
        )
        self.assertEqual(connection.vendor, expected)
        self.assertEqual(
            settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1],
            {"sqlite": "sqlite3", "postgresql": "postgresql"}[expected],
        )


class SqliteConcurrencyTests(TransactionTestCase):
    """The SQLite settings survive concurrent read-then-write transactions."""

    def test_wal_immediate_settings_lose_no_transaction(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        handler = ConnectionHandler(
            {"default": sqlite_database(Path(directory.name) / "p.db")}
        )
        setup = handler["default"]
        with setup.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            self.assertEqual(cursor.fetchone()[0], "wal")
            cursor.execute("CREATE TABLE counter (n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        setup.close()
        errors: list[Exception] = []
        threads_count, rounds = 8, 25
        barrier = threading.Barrier(threads_count)

        def work() -> None:
            conn = ConnectionHandler(
                {"default": sqlite_database(Path(directory.name) / "p.db")}
            )["default"]
            barrier.wait()
            try:
                for _ in range(rounds):
                    # What Django's atomic() does: BEGIN IMMEDIATE, read, write, commit.
                    conn.set_autocommit(
                        False, force_begin_transaction_with_broken_autocommit=True
                    )
                    with conn.cursor() as cursor:
                        cursor.execute("SELECT n FROM counter")
                        value = cursor.fetchone()[0]
                        cursor.execute("UPDATE counter SET n = %s", [value + 1])
                    conn.commit()
                    conn.set_autocommit(True)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                conn.close()

        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        check = handler["default"]
        with check.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            self.assertEqual(cursor.fetchone()[0], threads_count * rounds)
        check.close()
