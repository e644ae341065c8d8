"""Fictitious demo data: one campaign, five contractors, answers in several states."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from survey.deadlines import FRIDAY, next_weekday_at
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
from survey.roles import ADMIN, REVIEWER, ensure_staff_groups

DEFAULT_DEFINITION = (
    Path(__file__).parent / "questionnaires" / "ai-vendor-dependence-v1.json"
)
CAMPAIGN_SLUG = "anthropic-demo"
VENDOR = "Anthropic"
REVIEWER_EMAIL = "reviewer@programoffice.example"
ADMIN_EMAIL = "admin@programoffice.example"

# The demo's answers, by question id of the default definition, beside it.
DEMO_ANSWERS = DEFAULT_DEFINITION.with_suffix(".demo.json")


def organisations() -> list[dict[str, Any]]:
    """The demo contractors: name, UEI, CAGE, email domain, status, answers and uses
    (answers None for one that has not opened its invitation)."""
    return json.loads(DEMO_ANSWERS.read_text(encoding="utf-8"))["organisations"]


def seed(password: str) -> list[tuple[str, str]]:
    """Create the demo once; later runs change nothing but passwords. Returns the logins."""
    with transaction.atomic():
        groups = ensure_staff_groups()
        vendor, _ = Vendor.objects.get_or_create(name=VENDOR)
        campaign = _campaign(vendor)
        logins = [
            (
                _staff(
                    ADMIN_EMAIL,
                    "Avery Admin",
                    password,
                    superuser=True,
                    group=groups[ADMIN],
                ),
                "admin (superuser)",
            ),
            (
                _staff(
                    REVIEWER_EMAIL, "Riley Reviewer", password, group=groups[REVIEWER]
                ),
                "reviewer",
            ),
        ]
        campaign.reviewers.add(User.objects.get(email=REVIEWER_EMAIL))
        for spec in organisations():
            logins += _organisation(campaign, spec, password)
    return logins


def _campaign(vendor: Vendor) -> Campaign:
    questionnaire = QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION)
    now = timezone.now()
    deadline = next_weekday_at(now, FRIDAY, time(17, 0), "America/New_York")
    campaign, created = Campaign.objects.get_or_create(
        slug=CAMPAIGN_SLUG,
        defaults={
            "vendor": vendor,
            "questionnaire": questionnaire,
            "title": f"Dependence on AI vendor {vendor.name}",
            "instructions": (
                "Answer for your whole organisation after a reasonable inquiry. "
                "Include indirect use through cloud platforms, software and suppliers."
            ),
            "opens_at": now,
            "deadline": deadline,
            "handling_banner": "CUI // PROPRIETARY",
            "status": Campaign.Status.OPEN,
        },
    )
    if not created and campaign.deadline <= now:
        # Keep the demo usable: a passed deadline moves to the next Friday.
        campaign.deadline = deadline
        campaign.save(update_fields=["deadline"])
    return campaign


def _staff(
    email: str, name: str, password: str, group: Any, superuser: bool = False
) -> str:
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"full_name": name, "is_staff": True, "is_superuser": superuser},
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    user.groups.add(group)
    return email


def _organisation(
    campaign: Campaign, spec: dict[str, Any], password: str
) -> list[tuple[str, str]]:
    org, _ = Organisation.objects.get_or_create(
        uei=spec["uei"],
        defaults={"legal_name": spec["name"], "cage_codes": spec["cage"]},
    )
    logins = []
    for role in (Membership.Role.PREPARER, Membership.Role.SIGNATORY):
        email = f"{role}@{spec['domain']}"
        user, _ = User.objects.get_or_create(
            email=email, defaults={"full_name": f"{role.label} at {spec['name']}"}
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user, organisation=org, defaults={"role": role}
        )
        logins.append((email, f"{role.label}, {spec['name']}"))
    response, created = Response.objects.get_or_create(
        campaign=campaign, organisation=org
    )
    if created and spec["answers"] is not None:
        _fill(response, spec, User.objects.get(email=f"signatory@{spec['domain']}"))
    return logins


def _fill(response: Response, spec: dict[str, Any], signatory: User) -> None:
    now = timezone.now()
    response.answers = spec["answers"]
    questionnaire = response.campaign.questionnaire.parsed
    uses = []
    for position, answers in enumerate(spec["uses"], start=1):
        use = Use(response=response, position=position, answers=answers)
        use.refresh_derived(questionnaire, response.answers)
        uses.append(use)
    Use.objects.bulk_create(uses)
    response.refresh_scores(uses)
    response.status = Response.Status.IN_PROGRESS
    response.opened_at = response.started_at = now
    response.save()
    if spec["status"] == Response.Status.SUBMITTED:
        response.submit(signatory, ip=None, at=now)
