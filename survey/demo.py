"""Fictitious demo data: one campaign, five contractors, answers in several states."""

from __future__ import annotations

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

_PROGRAMS = [
    {"piid": "W56HZV-24-C-0101", "program": "Ground Vehicle Sustainment"},
    {"piid": "N00024-25-D-0042", "program": "Surface Combat Systems Support"},
]
_POC = {
    "name": "Jordan Lee",
    "title": "Compliance Manager",
    "email": "jordan.lee@example.com",
    "phone": "+1 555 0100",
}


def _org_answers(
    name: str, uei: str, cage: str, screening: dict[str, str]
) -> dict[str, Any]:
    return {
        "A1": name,
        "A2": uei,
        "A3": [cage],
        "A4": "enterprise",
        "A5": ["prime"],
        "A6": _PROGRAMS,
        "A7": "secret",
        **screening,
        "B6": ["procurement_records", "software_inventory", "cloud_billing"],
        "F1": _POC,
        "F2": "Alex Morgan, Vice President, Contracts",
    }


def _use(name: str, **answers: Any) -> dict[str, Any]:
    base = {
        "D1": name,
        "D5": [_PROGRAMS[0]["piid"]],
        "D6": "contract_performance",
        "D7": "no",
        "D9": ["proprietary"],
        "D10": "production_limited",
        "D11": "human_review",
        "D18": "no",
    }
    return {**base, **answers}


_NORTHWIND_USES = [
    _use(
        "Intelligence report summarisation on a SECRET enclave",
        D2="cloud_platform",
        D2a=1,
        D3="Amazon Bedrock (GovCloud)",
        D4="intelligence_isr",
        D7="yes",
        D8="secret",
        D9=["classified"],
        D12="material",
        D13="level_2",
        D14=120,
        D15="450000",
        D16="highly_complex",
        D16a=["reaccreditation"],
        D17="yes_identified",
        D17a="An open-weight model on accredited hardware",
        D6="contract_performance",
    ),
    _use(
        "Coding assistant for business applications",
        D2="embedded",
        D3="A commercial coding-assistant SaaS",
        D4="software_engineering",
        D8="commercial",
        D12="low",
        D13="level_4",
        D14=14,
        D15="5000",
        D16="easy",
        D17="yes_tested",
        D17a="Another vendor's coding assistant",
        D6="internal",
    ),
    _use(
        "Maintenance-planning assistant in delivered support software",
        D2="direct",
        D4="embedded_in_product",
        D6="deliverable",
        D7="yes",
        D8="cui",
        D9=["cui_cdi", "export_controlled"],
        D10="fielded_system",
        D12="full",
        D13="level_1",
        D14="unknown",
        D15="unknown",
        D16="not_substitutable",
        D16a=["rebuild_artefacts", "reaccreditation"],
        D17="no",
        D18="task_blocked",
        D18a="Refusals on some maintenance-procedure questions.",
    ),
]

# (name, UEI, CAGE, email domain, status, screening answers, uses, extra answers)
ORGANISATIONS: list[dict[str, Any]] = [
    {
        "name": "Northwind Defense Systems LLC",
        "uei": "NWD3F5YSTM12",
        "cage": "1NWD5",
        "domain": "northwind.example",
        "status": Response.Status.SUBMITTED,
        "screening": {"B1": "yes", "B2": "yes", "B3": "yes", "B4": "no", "B5": "yes"},
        "extra": {
            "C1": ["api_payg"],
            "C2": "120000",
            "E1": "in_preparation",
            "E1a": "2027-06-30",
            "E2": "complete",
            "E3": "300000",
            "F3": "yes",
        },
        "uses": _NORTHWIND_USES,
    },
    {
        "name": "Bluefin Analytics Inc.",
        "uei": "BLF7NANLYT34",
        "cage": "2BLF7",
        "domain": "bluefin.example",
        "status": Response.Status.IN_PROGRESS,
        "screening": {"B1": "no", "B2": "yes", "B3": "unknown"},
        "extra": {},
        "uses": [
            _use(
                "Proposal drafting through our cloud account",
                D2="cloud_platform",
                D3="Google Cloud Vertex AI",
                D4="proposal_communications",
                D8="commercial",
                D12="material",
                D13="level_3",
            ),
        ],
    },
    {
        "name": "Cedar Ridge Manufacturing Co.",
        "uei": "CDR9MFG5WRK6",
        "cage": "3CDR9",
        "domain": "cedarridge.example",
        "status": Response.Status.SUBMITTED,
        "screening": {"B1": "no", "B2": "no", "B3": "no", "B4": "no", "B5": "no"},
        "extra": {"F3": "yes"},
        "uses": [],
    },
    {
        "name": "Harbor Point Logistics Inc.",
        "uei": "HPL4G5TCS7A8",
        "cage": "4HPL4",
        "domain": "harborpoint.example",
        "status": Response.Status.SUBMITTED,
        "screening": {
            "B1": "no",
            "B2": "unknown",
            "B3": "unknown",
            "B4": "unknown",
            "B5": "no",
        },
        "extra": {"E1": "no", "E2": "partial", "E2a": 40, "F3": "yes"},
        "uses": [],
    },
    {
        "name": "Summit Ridge Engineering Ltd.",
        "uei": "SMT6RDGE8NG9",
        "cage": "5SMT6",
        "domain": "summitridge.example",
        "status": Response.Status.INVITED,
        "screening": None,
        "extra": {},
        "uses": [],
    },
]


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
        for spec in ORGANISATIONS:
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
    if created and spec["screening"] is not None:
        _fill(response, spec, User.objects.get(email=f"signatory@{spec['domain']}"))
    return logins


def _fill(response: Response, spec: dict[str, Any], signatory: User) -> None:
    now = timezone.now()
    response.answers = {
        **_org_answers(spec["name"], spec["uei"], spec["cage"], spec["screening"]),
        **spec["extra"],
    }
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
