"""Load a questionnaire definition file as a new, immutable version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.models import QuestionnaireVersion
from survey.questionnaire import DefinitionError, read_file


class Command(BaseCommand):
    help = "Validate a questionnaire definition (JSON) and store it as a new version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the definition file")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            version = QuestionnaireVersion.objects.create_from_definition(
                read_file(file), source=file
            )
        except DefinitionError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        count = len(version.parsed.questions)
        self.stdout.write(self.style.SUCCESS(f"Loaded {version} ({count} questions)."))
