"""DH-1 under the production settings: the real settings file and survey/gunicorn.py in a
gunicorn child process, as the README's deployment runs them behind a TLS-terminating
proxy (DEBUG=0, BEHIND_TLS_PROXY=1, the defaults of everything else, staff two-factor
included), probed with plain HTTP requests that carry the proxy's X-Forwarded-Proto.

The server starts once for the class: its setup migrates a scratch database (a SQLite
file, or a PostgreSQL database made and dropped here), logs a contractor and a superuser
in through the real pages (password, then the authenticator code), requests every probe
of the checklist and keeps the replies; each test then checks one row of the checklist.
The forced 500 comes last and is real: a table of the scratch database is renamed, so
the page that reads it fails.

One deviation: the static files are collected without the manifest (STATIC_MANIFEST=0),
since hashing and compressing every admin and Bootstrap file takes about a minute; it
changes their names, not the headers.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase
from django.urls import reverse
from django_otp.oath import totp

from survey.env import database_from_url
from tests.helpers import postgres_url

ROOT = Path(__file__).resolve().parent.parent
HOST = "survey.example"
# Only these pass from the test run to the server: nothing of the shell's own settings.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
SEED = "from tests.production_seed import main; main()"
YEAR = 31536000
LOGIN = reverse("login")


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    def set_cookies(self) -> dict[str, str]:
        """Each cookie set, by name, with its whole Set-Cookie line."""
        lines = self.headers.get_all("Set-Cookie") or []
        return {line.split("=", 1)[0]: line for line in lines}


@dataclass
class Visitor:
    """One browser's cookies, sent to the server as if through the TLS proxy."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        tls: bool = True,
    ) -> Reply:
        headers = {"Host": HOST}
        if tls:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"
        link = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            link.request(method, path, body=body, headers=headers)
            raw = link.getresponse()
            reply = Reply(raw.status, raw.headers, raw.read())
        finally:
            link.close()
        for line in reply.set_cookies().values():
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def submit(self, path: str, data: dict[str, str]) -> Reply:
        """GET the page, then POST its form with the page's CSRF token."""
        page = self.request("GET", path).body.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page[:2000]
        return self.request("POST", path, {"csrfmiddlewaretoken": token[1], **data})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProductionHttpTests(SimpleTestCase):
    # The test database's connection creates and drops the scratch PostgreSQL one.
    databases = {"default"}
    replies: dict[str, Reply]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(folder.cleanup)
        cls.folder = Path(folder.name)
        cls.database_url = cls.scratch_database()
        port = free_port()
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ} | {
            "DJANGO_SETTINGS_MODULE": "survey.settings",
            "DEBUG": "0",
            "SECRET_KEY": "production-probe-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "BEHIND_TLS_PROXY": "1",
            "DATABASE_URL": cls.database_url,
            "STATIC_ROOT": str(cls.folder / "static"),
            "STATIC_MANIFEST": "0",
            "MEDIA_ROOT": str(cls.folder / "media"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "2",
        }
        seed = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", SEED],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert seed.returncode == 0, seed.stderr
        cls.seed = json.loads(seed.stdout.strip().splitlines()[-1])
        cls.log = cls.folder / "gunicorn.log"
        cls.start_gunicorn(env, port)
        cls.replies = cls.probe(port)

    @classmethod
    def scratch_database(cls) -> str:
        if connection.vendor == "sqlite":
            return f"sqlite:///{cls.folder / 'db.sqlite3'}"
        name = f"test_probe_{uuid.uuid4().hex[:12]}"
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {quoted}")

        def drop() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")

        cls.addClassCleanup(drop)
        return postgres_url(connection.settings_dict, name)

    @classmethod
    def start_gunicorn(cls, env: dict[str, str], port: int) -> None:
        output = cls.log.open("w")
        cls.addClassCleanup(output.close)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "python:survey.gunicorn",
                "survey.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

        def stop() -> None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

        cls.addClassCleanup(stop)
        # The load balancer's health check: plain HTTP, exempt from the redirect.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Visitor(port).request("GET", "/healthz", tls=False).status == 200:
                    return
            except OSError:
                pass
            assert server.poll() is None, cls.log.read_text()
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer:\n{cls.log.read_text()}")

    @classmethod
    def probe(cls, port: int) -> dict[str, Reply]:
        seed = cls.seed
        replies = {}
        anonymous = Visitor(port)
        replies["/"] = anonymous.request("GET", "/")
        replies["login page"] = anonymous.request("GET", LOGIN)
        replies["404"] = anonymous.request("GET", "/no-such-page/")
        replies["/.git/HEAD"] = anonymous.request("GET", "/.git/HEAD")
        replies["/static/"] = anonymous.request("GET", "/static/")
        replies["static file"] = anonymous.request("GET", "/static/survey/survey.js")
        replies["TRACE /"] = anonymous.request("TRACE", "/")
        replies["plain HTTP"] = anonymous.request("GET", LOGIN, tls=False)

        contractor = Visitor(port)
        credentials = {"username": seed["preparer"], "password": seed["password"]}
        replies["login"] = contractor.submit(LOGIN, credentials)
        replies["home"] = contractor.request("GET", "/")
        replies["form page"] = contractor.request("GET", seed["section"])

        staff = Visitor(port)
        credentials = {"username": seed["root"], "password": seed["password"]}
        replies["staff login"] = staff.submit(LOGIN, credentials)
        replies["admin before the code"] = staff.request("GET", seed["admin_page"])
        code = totp(bytes.fromhex(seed["totp_key"]))
        replies["code"] = staff.submit(
            replies["admin before the code"].header("Location"),
            {"code": f"{code:06d}", "next": seed["admin_page"]},
        )
        replies["admin page"] = staff.request("GET", seed["admin_page"])

        # Last: the invitation page now fails on its missing table.
        database = ConnectionHandler(
            {"default": database_from_url(cls.database_url, cls.folder / "x")}
        )["default"]
        with database.cursor() as cursor:
            cursor.execute("ALTER TABLE survey_invitation RENAME TO survey_moved")
        database.close()
        invitation = reverse("survey-accept-invitation", args=["a-token"])
        replies["500"] = anonymous.request("GET", invitation)
        return replies

    def html_pages(self) -> dict[str, Reply]:
        return {
            name: reply
            for name, reply in self.replies.items()
            if reply.header("Content-Type").startswith("text/html") and reply.body
        }

    def test_the_logins_and_pages_work_under_the_production_settings(self) -> None:
        got = {name: reply.status for name, reply in self.replies.items()}
        self.assertEqual(
            got,
            {
                "/": 302,
                "login page": 200,
                "404": 404,
                "/.git/HEAD": 404,
                "/static/": 404,
                "static file": 200,
                "TRACE /": 405,
                "plain HTTP": 301,
                "login": 302,
                "home": 200,
                "form page": 200,
                "staff login": 302,
                "admin before the code": 302,
                "code": 302,
                "admin page": 200,
                "500": 500,
            },
        )
        self.assertRegex(
            self.replies["admin before the code"].header("Location"),
            r"/two-factor/\?next=",
        )
        self.assertEqual(
            self.replies["code"].header("Location"), self.seed["admin_page"]
        )
        self.assertIn(self.seed["answer"].encode(), self.replies["form page"].body)
        self.assertIn(self.seed["answer"].encode(), self.replies["admin page"].body)

    def test_every_https_reply_carries_hsts_and_the_browser_policies(self) -> None:
        for name, reply in self.replies.items():
            if name == "plain HTTP":
                continue
            with self.subTest(name):
                hsts = reply.header("Strict-Transport-Security")
                age = re.search(r"max-age=(\d+)", hsts)
                self.assertIsNotNone(age, hsts)
                self.assertGreaterEqual(int(age[1]), YEAR)
                self.assertIn("includeSubDomains", hsts)
                self.assertEqual(reply.header("X-Content-Type-Options"), "nosniff")
                self.assertIn(
                    reply.header("Referrer-Policy"), {"same-origin", "no-referrer"}
                )
                self.assertEqual(
                    reply.header("Cross-Origin-Opener-Policy"), "same-origin"
                )

    def test_every_html_page_has_a_strict_csp_and_refuses_framing(self) -> None:
        pages = self.html_pages()
        self.assertLessEqual(
            {"login page", "home", "form page", "admin page", "404", "500"},
            set(pages),
        )
        for name, reply in pages.items():
            with self.subTest(name):
                policy = {
                    directive.split()[0]: directive.split()[1:]
                    for directive in reply.header("Content-Security-Policy").split(";")
                    if directive.strip()
                }
                self.assertEqual(policy.get("default-src"), ["'self'"])
                self.assertEqual(policy.get("frame-ancestors"), ["'none'"])
                self.assertEqual(policy.get("object-src"), ["'none'"])
                # 'self' and, on a page with an inline script, its nonce.
                self.assertEqual(policy["script-src"][0], "'self'")
                self.assertNotIn("'unsafe-inline'", policy["script-src"])
                self.assertNotIn("'unsafe-eval'", policy["script-src"])
                self.assertEqual(reply.header("X-Frame-Options"), "DENY")

    def test_pages_with_answers_are_not_stored(self) -> None:
        for name in ["home", "form page", "admin page"]:
            with self.subTest(name):
                self.assertIn("no-store", self.replies[name].header("Cache-Control"))

    def test_cookies_are_secure_httponly_samesite_and_host_prefixed(self) -> None:
        session = self.replies["login"].set_cookies()
        self.assertIn("__Host-sessionid", session)
        csrf = self.replies["login page"].set_cookies()
        self.assertIn("__Host-csrftoken", csrf)
        for line in [session["__Host-sessionid"], csrf["__Host-csrftoken"]]:
            with self.subTest(line.split("=", 1)[0]):
                attributes = {a.strip().lower() for a in line.split(";")[1:]}
                self.assertLessEqual(
                    {"secure", "httponly", "samesite=lax", "path=/"}, attributes
                )
                # __Host-: no Domain, so only this host ever gets it back.
                self.assertFalse(any(a.startswith("domain=") for a in attributes))
        every = [
            name
            for reply in self.replies.values()
            for name in reply.set_cookies()
            if not name.startswith("__Host-")
        ]
        self.assertEqual(every, [])

    def test_error_pages_are_generic(self) -> None:
        log = self.log.read_text()
        # The 500 was the renamed table's error, logged on the server only.
        self.assertIn("survey_invitation", log)
        for name in ["404", "500", "/.git/HEAD", "/static/"]:
            with self.subTest(name):
                body = self.replies[name].body
                self.assertLess(len(body), 2000)
                for leak in [
                    b"Traceback",
                    b"DEBUG",
                    b"SECRET_KEY",
                    b"settings",
                    b"URLconf",
                    b"survey_invitation",
                    b"OperationalError",
                    b"ProgrammingError",
                    b"Index of",
                ]:
                    self.assertNotIn(leak, body)

    def test_plain_http_is_sent_to_https(self) -> None:
        reply = self.replies["plain HTTP"]
        self.assertEqual(reply.header("Location"), f"https://{HOST}{LOGIN}")
