"""Write a stored questionnaire version as an XLSForm-style workbook (.xlsx)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.models import QuestionnaireVersion
from survey.xlsform import write_workbook


class Command(BaseCommand):
    help = (
        "Write questionnaire version KEY VERSION as a workbook that "
        "load_questionnaire reads back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="the questionnaire's key")
        parser.add_argument("version", help="the version, as stored")
        parser.add_argument(
            "--output", help="the .xlsx file to write (default: KEY-vVERSION.xlsx)"
        )

    def handle(
        self, *args: Any, key: str, version: str, output: str | None, **options: Any
    ) -> None:
        stored = QuestionnaireVersion.objects.filter(key=key, version=version).first()
        if stored is None:
            raise CommandError(f"No questionnaire version {key} v{version}.")
        path = output or f"{key}-v{version}.xlsx"
        try:
            write_workbook(stored.definition, path)
        except OSError as exc:
            raise CommandError(f"{path}: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Wrote {stored} to {path}."))
