"""python manage.py loadtest_seed --organisations N --plan FILE: the load test's users.

Run by `make loadtest` on a scratch database only. Each organisation gets a signatory
who can log in with the harness's password and a response one step from submission
(the demo's complete answers, edit version 1), as in the last hour before a deadline.
The plan file tells the Locust client, without Django, which pages and forms each user
drives: paths, the fields of the autosaved page and of a new use.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from survey import demo
from survey import questionnaire as qn
from survey.models import (
    Campaign,
    Membership,
    Organisation,
    QuestionnaireVersion,
    Response,
    Use,
    User,
    Vendor,
)

SLUG = "loadtest"
# Known to the harness, never to a real database (the command wants a scratch one).
DEFAULT_PASSWORD = "deadline-rush-load-test"
EMAIL = "load-{n:05d}@loadtest.example"
# The demo's complete, submitted organisation: its answers pass every check.
TEMPLATE_ORGANISATION = "Northwind Defense Systems LLC"


def autosave_target(
    q: qn.Questionnaire, answers: dict[str, Any]
) -> tuple[qn.Section, qn.Question]:
    """The page and question the rush autosaves: free text the code reads through no
    binding, shown for the template's answers, so that typing in it changes no score.
    Found in the definition: the harness names no question id."""
    shown = q.visible_answers(answers)
    for section in q.sections:
        if section.repeatable or not section.shown(shown):
            continue
        for question in section.questions:
            if (
                question.type in ("text", "textarea")
                and not question.binds
                and not question.required
                and question.shown(shown)
            ):
                return section, question
    raise CommandError("The questionnaire has no free-text question to autosave.")


def form_pairs(section: qn.Section, answers: dict[str, Any]) -> list[list[str]]:
    """A section page's POST for these answers, as its form sends them (no files)."""
    pairs: list[list[str]] = []
    for question in section.questions:
        value = answers.get(question.id)
        if value is None or question.type == "file":
            continue
        if question.type == "group":
            pairs += [
                [f"{question.id}__{sub.id}", str(value.get(sub.id, ""))]
                for sub in question.subfields
            ]
        elif question.type == "rows":
            pairs += [
                [f"{question.id}__{index}__{sub.id}", str(row.get(sub.id, ""))]
                for index, row in enumerate(value)
                for sub in question.subfields
            ]
        elif question.type == "text_list":
            pairs.append([question.id, "\n".join(value)])
        elif question.type == "multi":
            pairs += [[question.id, str(item)] for item in value]
        else:
            pairs.append([question.id, str(value)])
    return pairs


class Command(BaseCommand):
    help = (
        "Seed N organisations, each with a signatory and a response ready to submit, "
        "and write the Locust plan. Scratch databases only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisations", type=int, default=100)
        parser.add_argument("--plan", type=Path, required=True)
        parser.add_argument(
            "--password", default="", help="Default: $LOADTEST_PASSWORD."
        )
        parser.add_argument(
            "--scratch",
            action="store_true",
            help="Confirm this is a scratch database (needed when DEBUG is off).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["scratch"]:
            raise CommandError("Scratch databases only: add --scratch.")
        count = options["organisations"]
        if not 1 <= count <= 100_000:
            raise CommandError("--organisations takes a number from 1 to 100,000.")
        password = options["password"] or os.environ.get(
            "LOADTEST_PASSWORD", DEFAULT_PASSWORD
        )
        if Campaign.objects.filter(slug=SLUG).exists():
            raise CommandError(f"Campaign {SLUG!r} exists: seed a fresh database.")
        plan = seed(count, password)
        options["plan"].write_text(json.dumps(plan), encoding="utf-8")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"{count} organisations seeded; plan in {options['plan']}.")


def seed(count: int, password: str) -> dict[str, Any]:
    """The campaign, organisations, users and responses; returns the Locust plan."""
    spec = next(o for o in demo.organisations() if o["name"] == TEMPLATE_ORGANISATION)
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            slug=SLUG,
            title="Load test",
            vendor=Vendor.objects.get_or_create(name=demo.VENDOR)[0],
            questionnaire=QuestionnaireVersion.objects.get_or_load(
                demo.DEFAULT_DEFINITION
            ),
            opens_at=now - timedelta(days=14),
            # The deadline rush: an hour left, room for a long run.
            deadline=now + timedelta(hours=3),
            status=Campaign.Status.OPEN,
        )
        q = campaign.questionnaire.parsed
        legal_name, uei = q.binding("legal_name"), q.binding("uei")
        organisations = Organisation.objects.bulk_create(
            Organisation(legal_name=f"Load Test Org {n:05d}", uei=f"L{n:011d}")
            for n in range(count)
        )
        # One hash for all: hashing each password would take minutes.
        hashed = make_password(password)
        users = User.objects.bulk_create(
            User(email=EMAIL.format(n=n), full_name=f"Signatory {n}", password=hashed)
            for n in range(count)
        )
        Membership.objects.bulk_create(
            Membership(user=u, organisation=o, role=Membership.Role.SIGNATORY)
            for u, o in zip(users, organisations, strict=True)
        )
        responses, uses = [], []
        for org in organisations:
            answers = copy.deepcopy(spec["answers"])
            answers[legal_name], answers[uei] = org.legal_name, org.uei
            response = Response(
                campaign=campaign,
                organisation=org,
                status=Response.Status.IN_PROGRESS,
                answers=answers,
                opened_at=now,
                started_at=now,
            )
            live = []
            for position, use_answers in enumerate(spec["uses"], start=1):
                use = Use(response=response, position=position, answers=use_answers)
                use.refresh_derived(q, answers)
                live.append(use)
            response.refresh_scores(live)
            responses.append(response)
            uses.append(live)
        Response.objects.bulk_create(responses, batch_size=1000)
        for response, live in zip(responses, uses, strict=True):
            for use in live:
                use.response = response
        Use.objects.bulk_create([u for live in uses for u in live], batch_size=1000)
    section, question = autosave_target(q, spec["answers"])
    register = q.use_section
    assert register is not None
    new_use = {**spec["uses"][0], q.binding("name"): "Load test use"}
    return {
        "password": password,
        "login": reverse("login"),
        "autosave_question": question.id,
        "autosave_fields": form_pairs(section, spec["answers"]),
        "use_fields": form_pairs(register, new_use),
        "users": [
            _user_plan(u.email, r, q, section.id)
            for u, r in zip(users, responses, strict=True)
        ],
    }


def _user_plan(
    email: str, response: Response, q: qn.Questionnaire, autosave_section: str
) -> dict[str, Any]:
    uuid = response.uuid
    pages = [s.id for s in q.sections if not s.repeatable]
    return {
        "email": email,
        "response": str(uuid),
        "sections": [reverse("survey-section", args=[uuid, s]) for s in pages],
        "autosave_page": reverse("survey-section", args=[uuid, autosave_section]),
        "autosave": reverse("survey-autosave", args=[uuid, autosave_section]),
        "uses": reverse("survey-uses", args=[uuid]),
        "review": reverse("survey-review", args=[uuid]),
        "submit": reverse("survey-submit", args=[uuid]),
        "receipt": reverse("survey-receipt", args=[uuid]),
    }
