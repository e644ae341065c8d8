"""Backup and restore drill (DL-7): real data backed up, restored into a fresh database
of the suite's engine, and found again row for row and SHA-256 for SHA-256."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase, TransactionTestCase

from survey.backups import postgres
from survey.backups.manifest import (
    Inventory,
    Manifest,
    SubmissionDigest,
    differences,
    dumps,
    loads,
    manifest_path,
)
from survey.env import database_from_url
from survey.models import Submission, Use
from tests.helpers import make_campaign, make_response, postgres_url
from tests.review_helpers import USE, make_submitted


def _rows(url: str) -> tuple[dict[str, int], dict[int, tuple[str, Any, Any]]]:
    """Every table's row count and every submission (SHA-256, answers, uses), read
    straight from the database at `url` with SQL, not through the code under test."""
    if not url:
        return _read(connection)
    database = database_from_url(url, default_sqlite_path=settings.BASE_DIR)
    handler = ConnectionHandler({DEFAULT_DB_ALIAS: database})
    try:
        return _read(handler[DEFAULT_DB_ALIAS])
    finally:
        handler.close_all()


def _read(db: Any) -> tuple[dict[str, int], dict[int, tuple[str, Any, Any]]]:
    counts = {}
    with db.cursor() as cursor:
        for table in db.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT id, sha256, answers, uses FROM survey_submission")
        submissions = {
            pk: (sha, _decoded(answers), _decoded(uses))
            for pk, sha, answers, uses in cursor.fetchall()
        }
    return counts, submissions


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _execute(url: str, sql: str, params: list[Any]) -> None:
    database = database_from_url(url, default_sqlite_path=settings.BASE_DIR)
    handler = ConnectionHandler({DEFAULT_DB_ALIAS: database})
    try:
        with handler[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        handler.close_all()


# Committed rows, not a TestCase's open transaction: the backup reads the database
# through its own connection, as it does beside the running app.
class BackupRestoreTests(TransactionTestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        self.backup = self.folder / "survey.backup"
        campaign = make_campaign()
        self.responses = [make_submitted(campaign) for _ in range(3)]
        self.draft = make_response(campaign=campaign, answers={"A1": "Draft Co"})
        Use.objects.create(response=self.draft, position=1, answers=USE)

    def fresh_database(self) -> str:
        """The URL of a new, empty database of the suite's engine (dropped afterwards)."""
        if connection.vendor == "sqlite":
            return f"sqlite:///{self.folder / 'restored.sqlite3'}"
        name = f"test_restore_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        self.addCleanup(self._drop, name)
        return postgres_url(connection.settings_dict, name)

    def _drop(self, name: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)"
            )

    def back_up(self) -> str:
        out = StringIO()
        call_command("backup", output=str(self.backup), stdout=out, stderr=out)
        return out.getvalue()

    def restore(self, url: str, **options: Any) -> str:
        out = StringIO()
        call_command(
            "restore", str(self.backup), database_url=url, stdout=out, **options
        )
        return out.getvalue()

    def test_the_manifest_describes_the_database_as_backed_up(self) -> None:
        output = self.back_up()

        self.assertNotIn("Warning", output)
        manifest = loads(manifest_path(self.backup).read_text())
        counts, submissions = _rows("")
        self.assertEqual(manifest.inventory.counts, counts)
        self.assertEqual(
            {s.id: s.stored for s in manifest.inventory.submissions},
            {pk: sha for pk, (sha, _a, _u) in submissions.items()},
        )
        # Recomputed from the answers as stored, each equals the submit's own digest.
        self.assertEqual(manifest.inventory.unsealed(), [])
        self.assertEqual(len(manifest.inventory.submissions), 3)
        self.assertEqual(
            manifest.engine, "sqlite" if connection.vendor == "sqlite" else "postgresql"
        )

    def test_a_restore_into_a_fresh_database_holds_every_row_and_submission(
        self,
    ) -> None:
        self.back_up()
        before = _rows("")
        url = self.fresh_database()

        output = self.restore(url)

        self.assertIn("RTO", output)
        self.assertIn("matches survey.backup", output)
        counts, submissions = _rows(url)
        self.assertEqual(counts, before[0])
        self.assertEqual(submissions, before[1])
        self.assertEqual(
            {pk: sha for pk, (sha, _a, _u) in submissions.items()},
            {s.pk: s.sha256 for s in Submission.objects.all()},
        )
        self.assertEqual(
            sorted(sha for sha, _a, _u in submissions.values()),
            sorted(r.answers_sha256 for r in self.responses),
        )
        with self.assertRaisesMessage(CommandError, "is not empty: nothing was"):
            self.restore(url)
        self.assertIn("matches survey.backup", self.restore(url, force=True))
        self.assertEqual(_rows(url), before)

    def test_changed_rows_in_the_restored_database_are_reported(self) -> None:
        self.back_up()
        url = self.fresh_database()
        self.restore(url)
        submission = Submission.objects.order_by("pk").last()
        assert submission is not None
        answers = {**submission.answers, "A1": "Someone Else LLC"}
        _execute(
            url,
            "UPDATE survey_submission SET answers = %s WHERE id = %s",
            [json.dumps(answers), submission.pk],
        )
        _execute(url, "DELETE FROM survey_use WHERE response_id = %s", [self.draft.pk])

        with self.assertRaisesMessage(CommandError, "(2 found)") as raised:
            self.restore(url, check_only=True)

        message = str(raised.exception)
        self.assertIn(f"submission {submission.pk} (response ", message)
        self.assertIn(f"answers SHA-256 {submission.sha256} in the backup", message)
        # 3 submitted uses, their 3 attested copies, the draft's use.
        self.assertIn("table survey_use: 7 rows in the backup, 6 after", message)

    def test_a_backup_changed_after_it_was_made_is_not_restored(self) -> None:
        self.back_up()
        with self.backup.open("ab") as handle:
            handle.write(b"\0")
        before = _rows("")

        # Even with --force, into the suite's own database: nothing is touched.
        with self.assertRaisesMessage(CommandError, "has changed since it was made"):
            self.restore("", force=True)
        self.assertEqual(_rows(""), before)

    def test_a_backup_is_never_overwritten(self) -> None:
        self.back_up()
        first = self.backup.read_bytes()

        with self.assertRaisesMessage(CommandError, "a backup is never overwritten"):
            self.back_up()
        self.assertEqual(self.backup.read_bytes(), first)


class ManifestTests(SimpleTestCase):
    def inventory(self, **changes: Any) -> Inventory:
        digest = SubmissionDigest(
            7, 3, 1, "a" * 64, changes.pop("recomputed", "a" * 64)
        )
        return Inventory(
            counts={"survey_use": 4, **changes.pop("counts", {})},
            submissions=(digest,),
        )

    def test_a_manifest_reads_back_as_written(self) -> None:
        manifest = Manifest(
            "2026-01-01T00:00:00+00:00",
            "sqlite",
            "db",
            "b",
            "0" * 64,
            1.5,
            self.inventory(),
        )

        self.assertEqual(loads(dumps(manifest)), manifest)

    def test_differences_name_the_table_and_the_submission(self) -> None:
        found = differences(
            self.inventory(),
            self.inventory(counts={"survey_use": 5, "extra": 0}, recomputed="b" * 64),
        )

        self.assertEqual(
            found,
            [
                "table extra: not in the backup, present after the restore",
                "table survey_use: 4 rows in the backup, 5 after the restore",
                f"submission 7 (response 3 #1): answers SHA-256 {'a' * 64} in the "
                f"backup, {'b' * 64} restored",
            ],
        )
        self.assertEqual(differences(self.inventory(), self.inventory()), [])

    def test_the_password_goes_through_the_environment_not_the_command_line(
        self,
    ) -> None:
        database = {
            "NAME": "survey",
            "USER": "app",
            "PASSWORD": "s3cret word",
            "HOST": "db.internal",
            "PORT": "5433",
            "OPTIONS": {"sslmode": "require", "pool": "true"},
        }

        info = postgres.conninfo(database)

        self.assertNotIn("s3cret", info)
        self.assertEqual(
            info, "dbname=survey host=db.internal port=5433 user=app sslmode=require"
        )
        self.assertEqual(postgres.environment(database)["PGPASSWORD"], "s3cret word")
