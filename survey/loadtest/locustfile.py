"""Locust client of the deadline rush (reliability checklist LD-1/LD-2), run by `manage.py loadtest`.

No Django here: the plan written by `manage.py loadtest_seed` names each user's pages and
forms. Each user logs in, opens a section, autosaves it, opens another, adds a use, fills
it, reviews and submits once; the client counts every save the server acknowledged, per
response, and every receipt, for the oracle (survey.loadtest.oracle) to compare with
the database. LOADTEST_MODE=capacity instead loops a page view and an autosave (with no
think time for the capacity steps, with some for the soak); LOADTEST_MODE=spike has every
user open the review page, wait for all the others, then submit in the same instant.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(
    Path(os.environ["LOADTEST_PLAN"]).read_text(encoding="utf-8")
)
MODE = os.environ.get("LOADTEST_MODE", "rush")
THINK = float(os.environ.get("LOADTEST_THINK", "1"))
AUTOSAVES = int(os.environ.get("LOADTEST_AUTOSAVES", "3"))
# Capacity steps: how long to measure once every user has logged in (0: until -t).
MEASURE = float(os.environ.get("LOADTEST_MEASURE_SECONDS", "0"))
# Users of the plan from this index on (capacity steps take organisations the rush
# did not submit), at most LOADTEST_USERS of them.
FIRST = int(os.environ.get("LOADTEST_FIRST_USER", "0"))
USERS: list[dict[str, Any]] = PLAN["users"][
    FIRST : FIRST + int(os.environ.get("LOADTEST_USERS", len(PLAN["users"])))
]
# A 1 KB answer per autosave, as the checklist's workload model has it (1–4 KB deltas).
FILLER = "Deadline rush autosave. " * 42

SAVES: Counter[str] = Counter()
RECEIPTS: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()
_next_user = iter(range(len(USERS)))
_finished = 0
_logged_in = 0
# Every user logs in first; the figures start when the last one has, so that the
# logins (each a deliberate PBKDF2 hash) are reported apart, not mixed into the pages.
_all_logged_in = Event()
# The spike: every user has its review page open; then all submit at once.
_reviewing = 0
_all_reviewing = Event()
LOGINS: dict[str, dict[str, float]] = {}

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
_LOADED = re.compile(r'name="loaded" value="([^"]*)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Rush(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        index = next(_next_user, None)
        if index is None:
            raise StopUser  # More Locust users than planned ones: bounded by the plan.
        self.plan = USERS[index]
        self.csrf = ""
        self.saves = 0
        logged_in = self.login()
        self.arrived()
        if not logged_in:
            if MODE == "spike":
                at_review()  # Nobody waits for a user who will never get there.
            raise StopUser
        _all_logged_in.wait(timeout=600)

    @task
    def scenario(self) -> None:
        if MODE == "capacity":
            self.capacity_round()
        elif MODE == "spike":
            self.spike()
            self.done()
        else:
            self.rush()
            self.done()

    # The journeys ------------------------------------------------------------------

    def arrived(self) -> None:
        global _logged_in
        _logged_in += 1
        if _logged_in < len(USERS):
            return
        stats = self.environment.stats
        for (name, _method), entry in stats.entries.items():
            LOGINS[name] = {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                **{
                    f"p{p}": entry.get_response_time_percentile(p / 100)
                    for p in (50, 95, 99)
                },
            }
        stats.reset_all()
        _all_logged_in.set()
        # Tells manage.py loadtest to start counting the server's CPU time.
        Path(f"{os.environ['LOADTEST_COUNTS']}.ready").touch()
        if MEASURE and self.environment.runner is not None:
            gevent.spawn_later(MEASURE, self.environment.runner.quit)

    def rush(self) -> None:
        plan = self.plan
        self.think()
        state = self.page(plan["autosave_page"], "GET section")
        if state is None:
            return
        for n in range(AUTOSAVES):
            self.think()
            state = self.autosave(state, n)
            if state is None:
                return
        self.think()
        others = [p for p in plan["sections"] if p != plan["autosave_page"]]
        self.page(random.choice(others), "GET section")
        self.think()
        use_page = self.add_use()
        if use_page is None:
            return
        self.think()
        use_state = self.page(use_page, "GET use")
        if use_state is None or not self.save_use(use_page, use_state):
            return
        self.think()
        if self.page(plan["review"], "GET review", form=False) is None:
            return
        self.think()
        if self.submit():
            self.page(plan["receipt"], "GET receipt", form=False)

    def capacity_round(self) -> None:
        self.think()
        state = self.page(self.plan["autosave_page"], "GET section")
        if state is None:
            return
        self.think()
        self.autosave(state, self.saves)

    def spike(self) -> None:
        reviewed = self.page(self.plan["review"], "GET review", form=False)
        at_review()
        _all_reviewing.wait(timeout=600)
        if reviewed is not None and self.submit():
            self.page(self.plan["receipt"], "GET receipt", form=False)

    def done(self) -> None:
        global _finished
        _finished += 1
        if _finished >= len(USERS) and self.environment.runner is not None:
            # Every planned user submitted (or gave up): end the run now, not at -t.
            gevent.spawn(self.environment.runner.quit)
        raise StopUser

    # Requests ------------------------------------------------------------------------

    def think(self) -> None:
        if THINK:
            gevent.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))

    def login(self) -> bool:
        if self.page(PLAN["login"], "GET login", form=False) is None:
            return False
        body = {"username": self.plan["email"], "password": PLAN["password"]}
        return self.post(PLAN["login"], "POST login", body) is not None

    def page(self, path: str, name: str, form: bool = True) -> dict[str, Any] | None:
        """GET a page; its edit state (version, loaded) when `form`, else {}."""
        with self.client.get(path, name=name, catch_response=True) as reply:
            if not self.expect(reply, 200):
                return None
            text = reply.text or ""
            if found := _CSRF.search(text):
                self.csrf = found.group(1)
            if not form:
                reply.success()
                return {}
            version, loaded = _VERSION.search(text), _LOADED.search(text)
            if version is None or loaded is None:
                reply.failure("no edit state on the page")
                return None
            reply.success()
            return {
                "version": int(version.group(1)),
                "loaded": html.unescape(loaded.group(1)),
            }

    def post(
        self,
        path: str,
        name: str,
        fields: dict[str, str] | list[list[str]],
        status: int = 302,
    ) -> Any:
        """POST a form; the reply when it has `status`, else None (a failure)."""
        pairs = list(fields.items()) if isinstance(fields, dict) else fields
        body = urlencode([("csrfmiddlewaretoken", self.csrf), *map(tuple, pairs)])
        with self.client.post(
            path,
            data=body,
            headers=FORM,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as reply:
            if not self.expect(reply, status):
                return None
            reply.success()
            return reply

    def expect(self, reply: Any, status: int) -> bool:
        if reply.status_code == status:
            return True
        if reply.status_code >= 500:
            SERVER_ERRORS[reply.request_meta["name"]] += 1
        reply.failure(f"status {reply.status_code}, expected {status}")
        return False

    def counted(self) -> None:
        self.saves += 1
        SAVES[self.plan["response"]] += 1

    def autosave(self, state: dict[str, Any], n: int) -> dict[str, Any] | None:
        plan = self.plan
        fields = [
            *PLAN["autosave_fields"],
            [PLAN["autosave_question"], f"{plan['email']} save {n}. {FILLER}"],
            ["version", str(state["version"])],
            ["loaded", state["loaded"]],
        ]
        reply = self.post(plan["autosave"], "POST autosave", fields, status=200)
        if reply is None:
            return None
        result = json.loads(reply.text)
        if result.get("status") != "saved":
            reply.failure(f"autosave {result.get('status')}")
            return None
        self.counted()
        if result["version"] != state["version"] + 1:
            reply.failure(f"version {result['version']} after {state['version']}")
        return {"version": result["version"], "loaded": json.dumps(result["loaded"])}

    def add_use(self) -> str | None:
        reply = self.post(self.plan["uses"], "POST use add", {})
        if reply is None:
            return None
        self.counted()
        return reply.headers.get("Location")

    def save_use(self, path: str, state: dict[str, Any]) -> bool:
        fields = [
            *PLAN["use_fields"],
            ["version", str(state["version"])],
            ["loaded", state["loaded"]],
        ]
        if self.post(path, "POST use save", fields) is None:
            return False
        self.counted()
        return True

    def submit(self) -> bool:
        reply = self.post(self.plan["submit"], "POST submit", {"confirmed": "1"})
        if reply is None:
            return False
        if not reply.headers.get("Location", "").endswith(self.plan["receipt"]):
            reply.failure(f"submit went to {reply.headers.get('Location')}")
            return False
        self.counted()
        RECEIPTS[self.plan["response"]] += 1
        return True


def at_review() -> None:
    global _reviewing
    _reviewing += 1
    if _reviewing >= len(USERS):
        _all_reviewing.set()


def figures(entry: Any) -> dict[str, float]:
    """One stats entry's counts, rate and percentiles (ms)."""
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "max": entry.max_response_time or 0,
        **{
            f"p{p}": entry.get_response_time_percentile(p / 100) or 0
            for p in (50, 95, 99)
        },
    }


@events.test_stop.add_listener
def write_counts(environment: Environment, **_kwargs: Any) -> None:
    """The client's side of the oracle, for `manage.py loadtest` to check, and the
    figures since every user logged in. Read here, not from Locust's CSV, which a run
    that ends itself (runner.quit) may leave a few seconds behind."""
    stats = environment.stats
    Path(os.environ["LOADTEST_COUNTS"]).write_text(
        json.dumps(
            {
                "saves": SAVES,
                "receipts": RECEIPTS,
                "server_errors": SERVER_ERRORS,
                "users": len(USERS),
                "finished": _finished,
                "logins": LOGINS,
                "stats": {
                    name: figures(entry)
                    for (name, _method), entry in stats.entries.items()
                    if entry.num_requests
                },
                "total": figures(stats.total),
            }
        ),
        encoding="utf-8",
    )
