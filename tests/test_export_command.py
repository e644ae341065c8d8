"""manage.py export_campaign: the workbook from a shell, with a bar on a terminal."""

from __future__ import annotations

import tempfile
import zipfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase
from openpyxl import load_workbook

from survey.exports import writer as workbook_module
from survey.models import AuditEvent
from tests.analytics_data import seven_contractors


class Terminal(StringIO):
    """Output that says it is a terminal, as a shell's is."""

    def isatty(self) -> bool:
        return True


class ExportCommandTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = seven_contractors()

    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp())

    def test_writes_the_workbook_quietly_off_a_terminal(self) -> None:
        target = self.folder / "report.xlsx"
        out = StringIO()
        call_command(
            "export_campaign",
            self.campaign.slug,
            output=str(target),
            language="fr",
            codes=True,
            stdout=out,
        )
        book = load_workbook(target, read_only=True)
        self.assertIn("Utilisations", book.sheetnames)
        self.assertEqual(len(out.getvalue().splitlines()), 1)
        self.assertNotIn("[", out.getvalue())
        event = AuditEvent.objects.get(action="export.created")
        self.assertEqual(event.details["options"]["language"], "fr")
        self.assertIn(event.details["sha256"], out.getvalue())

    def test_progress_bar_on_a_terminal(self) -> None:
        self.addCleanup(
            setattr, workbook_module, "PROGRESS_EVERY", workbook_module.PROGRESS_EVERY
        )
        workbook_module.PROGRESS_EVERY = 1
        out = Terminal()
        call_command(
            "export_campaign",
            self.campaign.slug,
            output=str(self.folder / "a.xlsx"),
            stdout=out,
        )
        self.assertIn("100 %", out.getvalue())
        self.assertIn("\r[", out.getvalue())

    def test_csv_and_filters(self) -> None:
        target = self.folder / "report.zip"
        call_command(
            "export_campaign",
            self.campaign.slug,
            output=str(target),
            format="csv",
            band="high",
            drafts=True,
            stdout=StringIO(),
        )
        with zipfile.ZipFile(target) as archive:
            uses = archive.read("uses.csv").decode("utf-8-sig").splitlines()
        # With drafts, Bravo's use alone is High: Foxtrot's live use is Critical now.
        self.assertEqual(len(uses) - 1, 1)

    def test_unknown_campaign(self) -> None:
        with self.assertRaises(CommandError):
            call_command("export_campaign", "nope", output=str(self.folder / "x.xlsx"))
