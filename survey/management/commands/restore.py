"""python manage.py restore PATH [--force]: restore a backup, then check it (DL-7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from survey import backups
from survey.backups.manifest import summarise
from survey.env import database_from_url


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database (or, with "
        "--force, over everything the database holds), then check it against the "
        "backup's manifest: migrations, system checks, SQLite's integrity_check, the "
        "row counts and every submission's SHA-256. Exits non-zero on any difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="the backup file (its manifest beside it)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the contents of a database that is not empty",
        )
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="restore nothing: only check the database against the manifest",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="restore into this database instead (sqlite:////path or "
            "postgres://...; an existing, empty one), e.g. for a drill",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = _target(options["database_url"])
        backup = Path(options["backup"])
        try:
            if options["check_only"]:
                manifest = backups.read_manifest(backup)
                problems = tuple(backups.verify(database, manifest))
            else:
                restored = backups.restore(backup, database, force=options["force"])
                manifest, problems = restored.manifest, restored.problems
                self.stdout.write(
                    f"Restored {manifest.backup} (taken {manifest.taken_at}) into "
                    f"{database['NAME']} in {restored.seconds:.1f} s, checked in "
                    f"{restored.verify_seconds:.1f} s: RTO "
                    f"{restored.seconds + restored.verify_seconds:.1f} s."
                )
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        if problems:
            raise CommandError(
                f"{database['NAME']} differs from the backup's manifest "
                f"({len(problems)} found):\n" + summarise(list(problems))
            )
        inventory = manifest.inventory
        self.stdout.write(
            f"{database['NAME']} matches {manifest.backup}: migrations, system checks"
            + (", integrity_check" if manifest.engine == "sqlite" else "")
            + f", the row counts of {len(inventory.counts)} tables and the SHA-256 of "
            f"{len(inventory.submissions)} submissions."
        )


def _target(url: str) -> dict[str, Any]:
    if not url:
        return dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    return database_from_url(url, default_sqlite_path=settings.BASE_DIR / "db.sqlite3")
