"""python manage.py loadtest_check --counts FILE... --log FILE: the load test's oracle.

Compares what the Locust clients counted (receipts, acknowledged saves per response)
with the load-test campaign in the database, and scans the server's log; prints every
problem and exits non-zero on any (survey.loadtest.oracle holds the rules).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from survey.loadtest import oracle
from survey.management.commands.loadtest_seed import SLUG
from survey.models import Response


class Command(BaseCommand):
    help = "Check a load test run against the database: exits 1 on any problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--counts", type=Path, nargs="+", required=True)
        parser.add_argument("--log", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        saves: Counter[str] = Counter()
        receipts: Counter[str] = Counter()
        client_5xx = 0
        for path in options["counts"]:
            counts = json.loads(path.read_text(encoding="utf-8"))
            saves.update(counts["saves"])
            receipts.update(counts["receipts"])
            client_5xx += sum(counts["server_errors"].values())
        rows = Response.objects.filter(campaign__slug=SLUG).annotate(
            submitted=Count("submissions")
        )
        versions = {str(r.uuid): r.version for r in rows}
        submissions = {str(r.uuid): r.submitted for r in rows if r.submitted}
        with options["log"].open(encoding="utf-8", errors="replace") as log:
            scanned = oracle.scan_log(log)
        problems = [
            *oracle.submission_problems(receipts, submissions),
            *oracle.version_problems(saves, versions),
        ]
        if client_5xx or scanned.server_errors:
            problems.append(
                f"5xx: {client_5xx} seen by the clients, {scanned.server_errors} "
                "in the server's access log"
            )
        if scanned.locked:
            problems.append(f'"database is locked" {scanned.locked} times in the log')
        self.stdout.write(
            f"oracle: {sum(receipts.values())} receipts, {len(submissions)} responses "
            f"submitted, {sum(saves.values())} saves acknowledged over {len(saves)} "
            f"responses, {scanned.server_errors} × 5xx, {scanned.locked} × locked"
        )
        for problem in problems:
            self.stdout.write(f"  FAIL {problem}")
        if problems:
            raise CommandError(f"oracle failed: {len(problems)} problems")
        self.stdout.write("oracle: pass")
