"""Plain functions that build reviewed data: staff users and submitted responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from survey.models import Campaign, Membership, Response, Use, User
from survey.roles import ADMIN, REVIEWER, ensure_staff_groups
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_organisation,
    make_response,
    make_user,
)

ANSWERS = complete_org_answers(
    A1="Acme Widgets LLC", A2="ACMEWDGT1234", A3=["1ACM5"], A7="none"
)
USE = complete_use_answers(
    D1="Code assistant", D4="software_engineering", D12="material", D13="level_3"
)


def make_staff(role: str, campaigns: Sequence[Campaign] = (), **extra: Any) -> User:
    groups = ensure_staff_groups()
    user = make_user(is_staff=True, **extra)
    user.groups.add(groups[role])
    for campaign in campaigns:
        campaign.reviewers.add(user)
    return user


def make_reviewer(*campaigns: Campaign) -> User:
    return make_staff(REVIEWER, list(campaigns))


def make_admin_officer() -> User:
    return make_staff(ADMIN)


def make_submitted(
    campaign: Campaign | None = None, answers: dict[str, Any] | None = None
) -> Response:
    """A response with one use, submitted by its signatory through Response.submit."""
    organisation = make_organisation()
    response = make_response(
        campaign=campaign,
        organisation=organisation,
        answers=answers or ANSWERS,
        status=Response.Status.IN_PROGRESS,
    )
    Use.objects.create(response=response, position=1, answers=USE)
    signatory = make_user(organisation=organisation, role=Membership.Role.SIGNATORY)
    response.submit(signatory, ip="192.0.2.1", at=timezone.now())
    response.refresh_from_db()
    return response
