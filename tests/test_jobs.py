"""Background exports: the real database queue (django-tasks-db) and its worker, run in
batch mode, the job page, "my exports", the download and the expiry."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from io import BytesIO, StringIO
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from survey import exports, jobs, roles
from survey.exports import writer as workbook_module
from survey.models import AuditEvent, ExportJob
from tests.analytics_data import seven_contractors
from tests.helpers import make_campaign, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def work() -> None:
    """What `manage.py db_worker` does, until the queue is empty."""
    call_command(
        "db_worker", batch=True, startup_delay=False, stdout=StringIO(), verbosity=0
    )


class ExportJobTests(TransactionTestCase):
    """Real transactions, as the worker has them: it closes connections it finds inside
    an atomic block, which is where TestCase would keep it."""

    def setUp(self) -> None:
        self.make_data()
        self.client.force_login(self.reviewer)
        self.addCleanup(self.delete_files)

    def make_data(self) -> None:
        cls = self
        cls.campaign = seven_contractors()
        groups = roles.ensure_staff_groups()
        cls.reviewer = make_user("reviewer@example.com", is_staff=True)
        cls.reviewer.groups.add(groups[roles.REVIEWER])
        cls.campaign.reviewers.add(cls.reviewer)
        cls.other = make_user("other@example.com", is_staff=True)
        cls.other.groups.add(groups[roles.REVIEWER])
        make_campaign().reviewers.add(cls.other)

    def delete_files(self) -> None:
        for job in ExportJob.objects.exclude(file=""):
            default_storage.delete(job.file.name)

    def start(self, **data: Any) -> ExportJob:
        url = reverse("admin:survey_campaign_export", args=[self.campaign.pk])
        form = {"language": "en", "cells": "labels", "scope": "full", "format": "xlsx"}
        reply = self.client.post(url, {**form, **data})
        job = ExportJob.objects.latest("pk")
        self.assertRedirects(
            reply, reverse("admin:survey_exportjob_change", args=[job.pk])
        )
        return job

    def state(self, job: ExportJob) -> dict[str, Any]:
        url = reverse("admin:survey_exportjob_change", args=[job.pk])
        reply = self.client.get(url, {"format": "json"})
        self.assertEqual(reply.status_code, 200)
        return reply.json()

    def test_queued_running_done(self) -> None:
        job = self.start(channel="cloud_platform")
        self.assertEqual(self.state(job)["status"], "queued")
        self.assertEqual(DBTaskResult.objects.filter(status="READY").count(), 1)
        # Report every row, so that the progress of these few rows is visible.
        self.addCleanup(
            setattr, workbook_module, "PROGRESS_EVERY", workbook_module.PROGRESS_EVERY
        )
        workbook_module.PROGRESS_EVERY = 1
        reported: list[int] = []
        where: set[tuple[bool, bool]] = set()
        main = connections["default"]

        def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            result = execute(sql, params, many, context)
            # ExportJob.report: the progress and the heartbeat.
            if '"rows_done" = ' in sql and '"heartbeat_at" = ' in sql:
                other = context["connection"]
                text = other.ops.last_executed_query(context["cursor"], sql, params)
                reported.append(int(re.search(r'"rows_done" = (\d+)', text).group(1)))
                # The export reads in a snapshot transaction: progress is written on
                # another connection, in autocommit, so the job page sees it at once.
                where.add((other is not main, other.get_autocommit()))
            return result

        def wrap(sender: Any, connection: Any, **kwargs: Any) -> None:
            # The progress threads' connections; the main one, should it reconnect,
            # keeps the wrapper of the `with` below and must not get a second.
            if connection is not main:
                connection.execute_wrappers.append(watch)

        connection_created.connect(wrap)
        self.addCleanup(connection_created.disconnect, wrap)
        with connection.execute_wrapper(watch):
            work()
        self.assertGreater(len(reported), 2)
        self.assertEqual(reported, sorted(reported))
        self.assertEqual(where, {(True, True)})
        state = self.state(job)
        self.assertEqual(state["status"], "done")
        self.assertEqual(state["percent"], 100)
        job.refresh_from_db()
        self.assertEqual(job.rows_done, job.rows_total)
        self.assertEqual(job.rows_total, 2 + 2)  # Alpha and Bravo, a cloud use each
        download = self.client.get(state["download"])
        self.assertEqual(download.status_code, 200)
        content = b"".join(download.streaming_content)
        book = load_workbook(BytesIO(content))
        self.assertIn("Uses", book.sheetnames)
        self.assertEqual(hashlib.sha256(content).hexdigest(), job.sha256)
        event = AuditEvent.objects.get(action="export.created")
        self.assertEqual(event.details["sha256"], job.sha256)
        self.assertEqual(event.details["rows"]["Uses"], 2)
        self.assertEqual(
            event.details["options"]["filter"]["channel"], "cloud_platform"
        )
        # The deferred expiry is queued for the link's end.
        later = DBTaskResult.objects.get(task_path="survey.tasks.expire_export")
        self.assertEqual(later.run_after, job.expires_at)

    def test_a_failure_ends_as_failed_with_its_message(self) -> None:
        job = self.start()
        # Storage that cannot take the file (its folder is a file): a real failure.
        with override_settings(
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": __file__},
                },
            }
        ):
            work()
        state = self.state(job)
        self.assertEqual(state["status"], "failed")
        self.assertRegex(state["error"], "(NotADirectory|FileExists)Error")
        page = self.client.get(reverse("admin:survey_exportjob_change", args=[job.pk]))
        self.assertContains(page, "The export failed")
        self.assertTrue(AuditEvent.objects.filter(action="export.failed").exists())

    def test_a_dead_worker_is_failed_after_the_stated_time(self) -> None:
        job = self.start()
        now = timezone.now()
        self.assertTrue(job.claim(now - timedelta(minutes=11), 10))
        self.assertEqual(ExportJob.fail_stale(now), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, "failed")
        self.assertIn("10 minutes", job.error)
        # The worker, coming back, does nothing more with it.
        work()
        job.refresh_from_db()
        self.assertEqual(job.status, "failed")

    def test_others_get_404(self) -> None:
        job = self.start()
        work()
        job.refresh_from_db()
        urls = [
            reverse("admin:survey_exportjob_change", args=[job.pk]),
            reverse("admin:survey_exportjob_download", args=[job.pk]),
        ]
        contractor = (
            self.campaign.responses.first().organisation.memberships.first().user
        )
        for user in (self.other, contractor):
            self.client.force_login(user)
            for url in urls:
                with self.subTest(user=user.email, url=url):
                    reply = self.client.get(url)
                    if user.is_staff:
                        self.assertEqual(reply.status_code, 404)
                    else:
                        self.assertRedirects(
                            reply, f"{reverse('admin:login')}?next={url}"
                        )
        self.client.logout()
        self.assertEqual(self.client.get(urls[1]).status_code, 302)
        # Nobody sees another's job in "my exports".
        self.client.force_login(self.other)
        listing = self.client.get(reverse("admin:survey_exportjob_changelist"))
        self.assertEqual(listing.context["cl"].result_count, 0)

    def test_an_expired_link_is_gone_with_its_file(self) -> None:
        job = self.start()
        work()
        job.refresh_from_db()
        name = job.file.name
        self.assertTrue(default_storage.exists(name))
        self.assertTrue(name.startswith("exports/"))
        ExportJob.objects.filter(pk=job.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        download = reverse("admin:survey_exportjob_download", args=[job.pk])
        self.assertEqual(self.client.get(download).status_code, 404)
        DBTaskResult.objects.filter(task_path="survey.tasks.expire_export").update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
        work()
        job.refresh_from_db()
        self.assertEqual(job.status, "expired")
        self.assertFalse(default_storage.exists(name))
        self.assertEqual(self.client.get(download).status_code, 404)

    def test_admin_action_exports_the_selection(self) -> None:
        alpha = self.campaign.responses.get(organisation__legal_name="Alpha")
        changelist = reverse("admin:survey_response_changelist")
        reply = self.client.post(
            changelist,
            {
                "action": "export_selected",
                "_selected_action": [alpha.pk],
                "apply": "1",
                "language": "fr",
                "cells": "codes",
                "scope": "full",
                "format": "xlsx",
            },
        )
        job = ExportJob.objects.latest("pk")
        self.assertRedirects(
            reply, reverse("admin:survey_exportjob_change", args=[job.pk])
        )
        work()
        job.refresh_from_db()
        self.assertEqual(job.status, "done", job.error)
        self.assertEqual(job.row_counts["Entrepreneurs"], 1)

    def test_small_exports_inline_and_csv(self) -> None:
        with override_settings(EXPORT_INLINE_ROWS=1000):
            job = self.start(format="csv")
        job.refresh_from_db()
        self.assertEqual(job.status, "done")
        self.assertTrue(job.filename.endswith(".zip"))

    def download(self, job: ExportJob) -> Any:
        job.refresh_from_db()
        self.assertEqual(job.status, "done", job.error)
        reply = self.client.get(
            reverse("admin:survey_exportjob_download", args=[job.pk])
        )
        self.assertEqual(reply.status_code, 200)
        return reply

    def test_the_download_is_an_attachment_never_stored(self) -> None:
        """Checklist EX-4: the file from the worker and a small one built inline."""
        queued = self.start()
        work()
        with override_settings(EXPORT_INLINE_ROWS=1000):
            inline = self.start()
            csv = self.start(format="csv")
        for job, suffix, content_type in (
            (queued, "xlsx", XLSX),
            (inline, "xlsx", XLSX),
            (csv, "zip", "application/zip"),
        ):
            reply = self.download(job)
            with self.subTest(job=job.pk, suffix=suffix):
                self.assertRegex(
                    job.filename, rf"^{self.campaign.slug}-[\d-]+\.{suffix}$"
                )
                self.assertEqual(
                    reply["Content-Disposition"],
                    f'attachment; filename="{job.filename}"',
                )
                self.assertEqual(reply["Content-Type"], content_type)
                self.assertIn("no-store", reply["Cache-Control"])
                self.assertIn("private", reply["Cache-Control"])
                self.assertEqual(reply["X-Content-Type-Options"], "nosniff")
                content = b"".join(reply.streaming_content)
                self.assertEqual(hashlib.sha256(content).hexdigest(), job.sha256)

    def test_each_export_is_logged_with_who_when_scope_and_rows(self) -> None:
        """Checklist EX-4: the audit row (who, when, the options, rows per sheet) and
        its log line, for the export built and for its download."""
        before = timezone.now()
        with self.assertLogs("survey.audit", "INFO") as logged:
            job = self.start(band="high", language="fr")
            work()
            content = b"".join(self.download(job).streaming_content)
        after = timezone.now()
        created = AuditEvent.objects.get(action="export.created", object_id=str(job.pk))
        self.assertEqual(created.actor, self.reviewer)
        self.assertEqual(created.actor_email, self.reviewer.email)
        self.assertTrue(before <= created.at <= after)
        self.assertEqual(created.campaign, self.campaign)
        self.assertEqual(created.object_type, "survey.exportjob")
        # The scope: the filter, the sheets, the language.
        options = created.details["options"]
        self.assertEqual(options["filter"]["band"], "high")
        self.assertEqual(
            (options["aggregates_only"], options["responses"], options["language"]),
            (False, [], "fr"),
        )
        # The rows: each sheet's data rows, as in the file.
        book = load_workbook(BytesIO(content), read_only=True)
        in_file = {
            sheet.title: sum(1 for _row in sheet.iter_rows(min_row=2))
            for sheet in book.worksheets
        }
        book.close()
        rows = created.details["rows"]
        self.assertEqual(rows, in_file)
        self.assertEqual(rows["Entrepreneurs"], 2)  # Alpha and Bravo have a High use
        self.assertEqual(created.details["sha256"], job.sha256)
        downloaded = AuditEvent.objects.get(action="export.downloaded")
        self.assertEqual(
            (downloaded.actor, downloaded.object_id, downloaded.details["sha256"]),
            (self.reviewer, str(job.pk), job.sha256),
        )
        lines = [json.loads(r.getMessage()) for r in logged.records]
        for action in ("export.requested", "export.created", "export.downloaded"):
            line = next(line for line in lines if line["event"] == action)
            with self.subTest(action=action):
                self.assertEqual(line["user_id"], self.reviewer.pk)
                self.assertEqual(line["campaign_id"], self.campaign.pk)
                self.assertEqual(line["object"], f"survey.exportjob:{job.pk}")
                at = datetime.fromisoformat(line["at"])
                self.assertTrue(before <= at <= after)

    def test_the_dashboard_and_the_campaign_link_to_the_export(self) -> None:
        url = reverse("admin:survey_campaign_export", args=[self.campaign.pk])
        dashboard = self.client.get(
            reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk]),
            {"band": "high"},
        )
        self.assertContains(dashboard, f'href="{url}?band=high"')
        page = self.client.get(url, {"band": "high", "drafts": "1"})
        self.assertContains(page, 'name="band" value="high"')
        self.assertTrue(page.context["form"].initial["drafts"])
        self.client.force_login(self.other)
        self.assertEqual(self.client.get(url).status_code, 404)


def test_describe_options() -> None:
    text = jobs.describe_options(
        exports.Options(language="fr", codes=True, responses=(1, 2)).as_json()
    )
    assert text == "XLSX, fr, codes, 2 responses"
