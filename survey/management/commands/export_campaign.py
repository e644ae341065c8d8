"""python manage.py export_campaign SLUG --output FILE: the campaign workbook, from a shell.

The same writer as the admin's exports (survey.exports). A progress bar on a terminal,
nothing but the summary line otherwise (cron, CI). Audited as an export by the command.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from survey import exports
from survey.analytics import Filter
from survey.models import AuditEvent, Campaign


class Command(BaseCommand):
    help = "Write a campaign's workbook (or its CSV zip) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--output", required=True, help="the .xlsx (or .zip) to write"
        )
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument(
            "--language", choices=exports.campaign.LANGUAGES, default="en"
        )
        parser.add_argument(
            "--codes", action="store_true", help="option codes, not labels"
        )
        parser.add_argument("--aggregates-only", action="store_true")
        parser.add_argument("--drafts", action="store_true", help="include drafts")
        for key in Filter.KEYS:
            parser.add_argument(f"--{key}", default="", help=f"dashboard filter: {key}")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"No campaign {options['slug']!r}.")
        query = {key: options[key] for key in Filter.KEYS}
        if options["drafts"]:
            query["drafts"] = "1"
        chosen = exports.Options(
            filter=Filter.from_query(query),
            language=options["language"],
            codes=options["codes"],
            aggregates_only=options["aggregates_only"],
            format=options["format"],
        )
        output = Path(options["output"])
        interactive = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        write = exports.write_csv if chosen.format == "csv" else exports.write
        with output.open("wb") as handle:
            counts = write(
                campaign,
                chosen,
                handle,
                generated_by="manage.py export_campaign",
                now=timezone.now(),
                progress=self.bar if interactive else _silent,
            )
        if interactive:
            self.stdout.write("")
        digest = hashlib.sha256(output.read_bytes()).hexdigest()
        AuditEvent.record(
            "export.created",
            campaign=campaign,
            options=chosen.as_json(),
            rows=counts,
            sha256=digest,
            output=str(output),
            by="manage.py export_campaign",
        )
        rows = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(f"{output}: {rows}; SHA-256 {digest}")

    def bar(self, done: int, total: int) -> None:
        width = 40
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d} % ({done}/{total})",
            ending="",
        )
        self.stdout.flush()


def _silent(done: int, total: int) -> None:
    """No progress bar off a terminal."""
