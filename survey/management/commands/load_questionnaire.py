"""Load a questionnaire definition file (JSON or an .xlsx workbook) as a new version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.models import QuestionnaireVersion
from survey.questionnaire import DefinitionError
from survey.xlsform import WorkbookError, read_definition


class Command(BaseCommand):
    help = (
        "Validate a questionnaire definition (JSON, or an .xlsx workbook in the "
        "XLSForm style) and store it as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the definition file (.json or .xlsx)")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            version = QuestionnaireVersion.objects.create_from_definition(
                read_definition(file, file), source=file
            )
        except WorkbookError as exc:
            # One fault per line, each naming its sheet, row and column.
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{file}: {len(exc.errors)} problem(s); nothing was loaded."
            ) from None
        except DefinitionError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        count = len(version.parsed.questions)
        self.stdout.write(self.style.SUCCESS(f"Loaded {version} ({count} questions)."))
