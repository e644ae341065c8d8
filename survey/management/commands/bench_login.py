"""python manage.py bench_login: a wrong password against an unknown account, timed.

Run by `make bench` (through `manage.py bench`) on a scratch database. Each is the median
of N attempts through the real login page, interleaved so that a busy machine slows both
alike. Prints one JSON line per figure, each with the other as its baseline: the two
should be within 20 % of each other (AC-6), else the time tells whether an account exists.
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.urls import reverse

from survey.models import User

EMAIL = "bench-login@example.com"
UNKNOWN = "bench-nobody@example.com"
PATHS = {"wrong_password": EMAIL, "unknown_account": UNKNOWN}
# AC-6: the two within 20 % of each other.
TOLERANCE = 0.2


class Command(BaseCommand):
    help = "Time refused logins: a wrong password and an unknown account (median of N)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--attempts", type=int, default=50)
        parser.add_argument(
            "--scratch",
            action="store_true",
            help="Confirm this is a scratch database (needed when DEBUG is off).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["scratch"]:
            raise CommandError("Scratch databases only: add --scratch.")
        # A password nobody knows, and the account gone afterwards: the bench leaves no
        # way in behind it, whatever database it was pointed at.
        user = User.objects.filter(email=EMAIL).first() or User(email=EMAIL)
        user.set_password(secrets.token_urlsafe(32))
        user.save()
        try:
            medians = self.time_logins(options["attempts"])
        finally:
            for email in PATHS.values():
                axes_reset(username=email)
            user.delete()
        ratio = medians["wrong_password"] / medians["unknown_account"]
        for name, other in zip(PATHS, reversed(PATHS), strict=True):
            self.stdout.write(
                json.dumps(
                    {
                        "name": f"login_{name}",
                        "seconds": round(medians[name], 4),
                        "attempts": options["attempts"],
                        "hasher": get_hasher().algorithm,
                        "db": connection.vendor,
                        "baseline": f"login_{other}",
                        "baseline_seconds": round(medians[other], 4),
                        "ratio": round(medians[name] / medians[other], 3),
                    }
                )
            )
        if abs(ratio - 1) > TOLERANCE:
            raise CommandError(
                f"A wrong password takes {ratio:.2f}× an unknown account's time: the "
                "login page tells which accounts exist (AC-6 allows ±20 %)."
            )

    def time_logins(self, attempts: int) -> dict[str, float]:
        client = Client(HTTP_HOST="127.0.0.1")
        page = reverse("login")
        times: dict[str, list[float]] = {name: [] for name in PATHS}
        for _ in range(attempts):
            for name, email in PATHS.items():
                # Else the lock would refuse the guesses after the tenth without a hash.
                axes_reset(username=email)
                started = time.perf_counter()
                reply = client.post(page, {"username": email, "password": "wrong"})
                times[name].append(time.perf_counter() - started)
                if reply.status_code != 200:
                    raise RuntimeError(f"a refused login answered {reply.status_code}")
        return {name: statistics.median(values) for name, values in times.items()}
