"""Program-office staff roles, as Django groups with model permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

REVIEWER = "Reviewer"
ADMIN = "Admin"

# Reviewers read everything and act on responses through review permissions only: they
# cannot edit answers, users, groups or permissions.
_REVIEWER_CODENAMES = {
    "view_vendor",
    "view_questionnaireversion",
    "view_campaign",
    "view_organisation",
    "view_membership",
    "view_response",
    "view_use",
    "view_auditevent",
    "view_submission",
    "view_reviewcomment",
    "view_attachment",
    "view_contract",
    "view_scoringversion",
    "view_intermediaryalias",
    "review_response",
    # Exports of their campaigns: "my exports" and the right to ask for one.
    "view_exportjob",
    "add_exportjob",
}


def ensure_staff_groups() -> dict[str, Group]:
    """Create or update the Reviewer and Admin groups; safe to run any number of times."""
    survey_perms = Permission.objects.filter(content_type__app_label="survey")
    reviewer, _ = Group.objects.get_or_create(name=REVIEWER)
    reviewer.permissions.set(survey_perms.filter(codename__in=_REVIEWER_CODENAMES))
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    # Audit events stay append-only even for admins. Admins see failed logins and lift a
    # lockout by deleting the account's access attempt (django-axes).
    lockouts = Permission.objects.filter(
        content_type__app_label="axes",
        codename__in={"view_accessattempt", "delete_accessattempt"},
    )
    admin.permissions.set(
        [
            *survey_perms.exclude(
                codename__in={
                    "add_auditevent",
                    "change_auditevent",
                    "delete_auditevent",
                }
            ),
            *lockouts,
        ]
    )
    return {REVIEWER: reviewer, ADMIN: admin}


def sees_every_campaign(user: Any) -> bool:
    """Superusers and admins see everything; reviewers only their assigned campaigns."""
    if not hasattr(user, "_sees_every_campaign"):
        # Cached on the user object: the admin asks several times per request.
        user._sees_every_campaign = bool(
            user.is_superuser or user.groups.filter(name=ADMIN).exists()
        )
    return user._sees_every_campaign


def assigned_campaigns(user: Any) -> QuerySet[Any]:
    from survey.models import Campaign

    return Campaign.objects.filter(reviewers=user).values("pk")
