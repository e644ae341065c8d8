"""DL-6 (b) and (c): autosaves through gunicorn while its worker is killed with SIGKILL.

Gunicorn runs as in production (survey/gunicorn.py, DEBUG off, one worker of four
threads) on the test database. A contractor logs in through the login form and autosaves
a section page in a loop, each save a new value of two answers. Meanwhile another
thread kills the worker, never the master, with SIGKILL 100 times at seeded random
moments, each time once the master's next worker has answered. The client treats a
broken connection or a 5xx as a failure and sends the same save again: alternately on
the edit state it had, as the page's script does, and after reloading the page to
learn the current version.

After each failure the draft is checked to be entirely old or entirely new (both answers
from one save, the version and the audit rows in step); afterwards, that every save
the server acknowledged is there, each exactly once (save n is version seed + n, one
audit row per version), that SQLite's integrity check passes and that PostgreSQL holds
no connection idle in a transaction.

The app is preloaded (GUNICORN_PRELOAD=1, the configuration's own switch): a killed
worker is replaced by a fork of the loaded master in tens of milliseconds, instead of
a fresh Django import of a second or more, which keeps 100 kills within the suite's
time. The test checks that the master holds no database connection to pass on.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.db.models import Count, Subquery, Value
from django.db.models.functions import Coalesce
from django.test import TransactionTestCase
from django.urls import reverse

from survey.management.commands.loadtest import Command as LoadTest
from survey.management.commands.loadtest_seed import form_pairs
from survey.models import AuditEvent, Membership, Response
from tests.helpers import (
    complete_org_answers,
    make_campaign,
    make_organisation,
    make_user,
    postgres_url,
)

KILLS = 100
SEED = 6
# Seconds from a new worker's first answer to its death: a save takes tens of
# milliseconds, so the kill finds one in flight, at a random step, most times.
PAUSE = (0.01, 0.12)
# Seconds: a respawn takes tens of milliseconds; anything near this is a hang.
RESPAWN_TIMEOUT = 30
REQUEST_TIMEOUT = 30
PASSWORD = "kill-loop-password"
SECTION = "B"
# A free-text answer and a multiple choice on the same page: a save writes both, so a
# half-applied save would show as a text from one save beside a choice from another.
TEXT, CHOICES = "B6a", "B6"
OPTIONS = (["procurement_records"], ["procurement_records", "supplier_inquiry"])

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
_LOADED = re.compile(r'name="loaded" value="([^"]*)"')


def text(n: int) -> str:
    return f"Kill loop save {n}"


def choices(n: int) -> list[str]:
    return OPTIONS[n % 2]


class Failed(Exception):
    """The server broke the connection or answered 5xx: the save may or may not be in."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Page:
    """One browser tab of the section page: its session, CSRF token and edit state."""

    def __init__(self, base: str, path: str, autosave: str) -> None:
        self.base, self.path, self.autosave_path = base, path, autosave
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar())
        )
        self.csrf, self.version, self.loaded = "", 0, {}
        # Set at each answer: tells the killer the current worker is serving.
        self.answered = threading.Event()

    def request(self, path: str, fields: list[tuple[str, str]] | None = None) -> str:
        body = None
        if fields is not None:
            body = urlencode([("csrfmiddlewaretoken", self.csrf), *fields]).encode()
        try:
            with self.opener.open(self.base + path, body, REQUEST_TIMEOUT) as reply:
                content = reply.read().decode()
                self.answered.set()
                return content
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise Failed(f"{error.code} from {path}", error.code) from error
            raise
        except (OSError, http.client.HTTPException) as error:
            raise Failed(f"{error!r} from {path}") from error

    def log_in(self, email: str) -> None:
        self.read(self.request(reverse("login")))
        self.request(reverse("login"), [("username", email), ("password", PASSWORD)])

    def reload(self) -> None:
        """GET the page until it answers (it fails only when a kill meets it)."""
        for _ in range(KILLS + 1):
            try:
                self.read(self.request(self.path))
            except Failed:
                continue
            return
        raise AssertionError("the page never loaded again")

    def read(self, page: str) -> None:
        if found := _CSRF.search(page):
            self.csrf = found.group(1)
        version, loaded = _VERSION.search(page), _LOADED.search(page)
        if version and loaded:
            self.version = int(version.group(1))
            self.loaded = json.loads(html.unescape(loaded.group(1)))

    def autosave(self, fields: list[tuple[str, str]]) -> dict[str, Any]:
        state = [("version", str(self.version)), ("loaded", json.dumps(self.loaded))]
        reply = json.loads(self.request(self.autosave_path, fields + state))
        if reply["status"] == "saved":
            self.version, self.loaded = reply["version"], reply["loaded"]
        return reply


class Killer(threading.Thread):
    """Kills the master's worker `kills` times: each time once the worker has answered
    the client (so that kills meet saves, not only each new worker's first request),
    after a seeded random pause."""

    def __init__(
        self, master: psutil.Process, kills: int, answered: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.master, self.kills, self.answered = master, kills, answered
        self.random = random.Random(SEED)
        self.killed: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            worker = self.worker(None)
            for _ in range(self.kills):
                self.answered.clear()
                if not self.answered.wait(RESPAWN_TIMEOUT):
                    raise AssertionError(f"worker {worker} answered nothing")
                time.sleep(self.random.uniform(*PAUSE))
                os.kill(worker, signal.SIGKILL)
                self.killed.append(worker)
                worker = self.worker(worker)
        except BaseException as error:  # Re-raised in the test's thread.
            self.error = error

    def worker(self, dead: int | None) -> int:
        """The master's live worker other than `dead`, once it has forked one."""
        deadline = time.monotonic() + RESPAWN_TIMEOUT
        while time.monotonic() < deadline:
            for child in self.master.children():
                with suppress(psutil.NoSuchProcess):
                    if child.pid != dead and child.status() != psutil.STATUS_ZOMBIE:
                        return child.pid
            time.sleep(0.005)
        raise AssertionError(f"no worker replaced {dead} in {RESPAWN_TIMEOUT} s")


class KillLoopTests(TransactionTestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        organisation = make_organisation()
        self.user = make_user(None, organisation, Membership.Role.PREPARER)
        # The suite hashes with MD5, which the production settings do not accept.
        hasher = PBKDF2PasswordHasher()
        self.user.password = hasher.encode(PASSWORD, hasher.salt())
        self.user.save(update_fields=["password"])
        self.response = Response.objects.create(
            campaign=make_campaign(),
            organisation=organisation,
            status=Response.Status.IN_PROGRESS,
            answers=complete_org_answers(),
            version=1,
        )
        section = self.response.campaign.questionnaire.parsed.sections
        self.fields = [
            (qid, value)
            for qid, value in form_pairs(
                next(s for s in section if s.id == SECTION), self.response.answers
            )
            if qid not in (TEXT, CHOICES)
        ]

    @contextmanager
    def server(self) -> Iterator[tuple[psutil.Process, str]]:
        """Gunicorn on the test database, as `make loadtest` starts it: its master
        process and base URL."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        options = {"port": port, "workers": 1, "threads": 4}
        env = LoadTest().server_env(options) | {
            "DATABASE_URL": database_url(),
            "GUNICORN_PRELOAD": "1",
        }
        log = self.folder / "gunicorn.log"
        with LoadTest().gunicorn(env, log, port) as server:
            yield psutil.Process(server.process.pid), f"http://127.0.0.1:{port}"

    def state(self) -> tuple[int, str, list[str], int]:
        """Version, the two answers and the autosave audit rows, in one statement (one
        snapshot, even on PostgreSQL's READ COMMITTED)."""
        audits = (
            AuditEvent.objects.filter(
                action="response.saved",
                object_type="survey.response",
                object_id=str(self.response.pk),
            )
            .order_by()
            .values("action")
            .annotate(n=Count("pk"))
            .values("n")
        )
        row = (
            Response.objects.filter(pk=self.response.pk)
            .annotate(audits=Coalesce(Subquery(audits), Value(0)))
            .values("version", "answers", "audits")
            .get()
        )
        answers = row["answers"]
        return row["version"], answers.get(TEXT), answers.get(CHOICES), row["audits"]

    def save(self, page: Page, n: int, seen: dict[str, int]) -> int:
        """Send save n until the server acknowledges it; the version it reports."""
        fields = [*self.fields, (TEXT, text(n)), *((CHOICES, c) for c in choices(n))]
        while True:
            before = (page.version, page.loaded.get(TEXT), page.loaded.get(CHOICES))
            try:
                reply = page.autosave(fields)
            except Failed as failure:
                seen["failures"] += 1
                seen["server errors"] += failure.status is not None
                seen["committed unacknowledged"] += self.assert_old_or_new(before, n)
                # Alternately as the page's script retries (the same save on the edit
                # state it had, stale when the lost save went in) and after a fresh
                # GET of the page (the current version and answers).
                if seen["failures"] % 2:
                    page.reload()
                continue
            self.assertEqual(reply["status"], "saved", reply)
            self.assertEqual(
                (reply["loaded"][TEXT], reply["loaded"][CHOICES]), (text(n), choices(n))
            )
            return reply["version"]

    def assert_old_or_new(self, before: tuple[int, Any, Any], n: int) -> bool:
        """The failed save n is wholly in or wholly out: True when in."""
        version, saved_text, saved_choices, audits = self.state()
        new = (before[0] + 1, text(n), choices(n))
        self.assertIn((version, saved_text, saved_choices), [before, new])
        # One autosave audit row per version since the seed: none for a save that
        # did not go in, never two for one that did.
        self.assertEqual(audits, version - 1)
        return version == new[0]

    def test_autosaves_survive_100_worker_kills(self) -> None:
        with self.server() as (master, base):
            self.assertEqual(database_handles(master), [])
            page = Page(
                base,
                reverse("survey-section", args=[self.response.uuid, SECTION]),
                reverse("survey-autosave", args=[self.response.uuid, SECTION]),
            )
            page.log_in(self.user.email)
            page.reload()
            self.assertEqual(page.version, 1)
            acknowledged = self.kill_loop(master, page)
            self.assert_no_idle_transaction()
        saves = len(acknowledged)
        # Save n went in exactly once, whether its own reply came back or only its
        # retry's: versions 2, 3, … in order, none skipped, none reported twice.
        self.assertEqual(acknowledged, list(range(2, saves + 2)))
        self.assertEqual(self.state(), (saves + 1, text(saves), choices(saves), saves))
        events = AuditEvent.objects.filter(
            action="response.saved", object_id=str(self.response.pk)
        ).order_by("pk")
        self.assertEqual(
            [e.details["version"] for e in events], list(range(2, saves + 2))
        )
        self.assert_database_sound()

    def kill_loop(self, master: psutil.Process, page: Page) -> list[int]:
        """Saves 1, 2, … while the killer runs, then a few more: the versions the
        server acknowledged, in order."""
        seen = {"failures": 0, "server errors": 0, "committed unacknowledged": 0}
        acknowledged: list[int] = []
        killer = Killer(master, KILLS, page.answered)
        killer.start()
        while killer.is_alive():
            acknowledged.append(self.save(page, len(acknowledged) + 1, seen))
        killer.join()
        if killer.error:
            raise killer.error
        self.assertEqual(len(killer.killed), KILLS)
        failures = seen["failures"]
        # The last worker lives on: its saves go through at the first try.
        for _ in range(3):
            acknowledged.append(self.save(page, len(acknowledged) + 1, seen))
        self.assertEqual(seen["failures"], failures, seen)
        # The kills met saves in flight (most do), and only the kills failed them: a
        # dead worker leaves its successor no lock and no broken state to answer 5xx.
        self.assertGreater(failures, 0, seen)
        self.assertEqual(seen["server errors"], 0, seen)
        return acknowledged

    def assert_no_idle_transaction(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%%'"
            )
            self.assertEqual(cursor.fetchall(), [])

    def assert_database_sound(self) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA integrity_check")
                self.assertEqual(cursor.fetchall(), [("ok",)])


def database_url() -> str:
    """The test database, for the server."""
    current = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{current['NAME']}"
    return postgres_url(current, current["NAME"])


def database_handles(process: psutil.Process) -> list[str]:
    """The database files or PostgreSQL sockets `process` holds open: a connection the
    preloaded master opened would be shared by every worker it forks."""
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return [f.path for f in process.open_files() if f.path.startswith(name)]
    port = int(connection.settings_dict["PORT"] or 5432)
    return [
        str(c.raddr)
        for c in process.net_connections("inet")
        if c.raddr and c.raddr.port == port
    ]
