"""python manage.py backup [--output PATH]: an online backup with its manifest (DL-7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from survey import backups
from survey.backups.manifest import manifest_path


class Command(BaseCommand):
    help = (
        "Back up the database while the app runs (SQLite: the online backup API; "
        "PostgreSQL: pg_dump --format=custom), with a manifest beside it: row counts "
        "and the SHA-256 of every submission, for `manage.py restore` to check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="the backup file to write (default: backups/survey-<UTC time>.sqlite3 "
            "or .dump in the project folder); never overwritten",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        database = connections[options["database"]].settings_dict
        try:
            output = Path(options["output"] or _default_output(database))
            manifest = backups.take(database, output)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        inventory = manifest.inventory
        self.stdout.write(
            f"{output}: {manifest.engine} as of {manifest.taken_at}, "
            f"{sum(inventory.counts.values())} rows in {len(inventory.counts)} tables, "
            f"{len(inventory.submissions)} submissions "
            f"(SHA-256 of all {inventory.submissions_sha256()}), "
            f"in {manifest.seconds:.1f} s; manifest {manifest_path(output).name}"
        )
        for submission in inventory.unsealed():
            # Backed up as found: the copy must show the database as it is.
            self.stderr.write(
                f"Warning: submission {submission.id} (response {submission.response} "
                f"#{submission.number}) no longer matches the SHA-256 stored at submit."
            )


def _default_output(database: dict[str, Any]) -> Path:
    name = backups.default_name(backups.engine(database), timezone.now())
    return Path(settings.BASE_DIR) / "backups" / name
