"""Plain functions that build test data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from survey.demo import DEFAULT_DEFINITION
from survey.models import (
    Campaign,
    Membership,
    Organisation,
    QuestionnaireVersion,
    Response,
    User,
    Vendor,
)

_counter = iter(range(1, 10**6))
# The second, shorter questionnaire (issue 11 §4): other ids, a section fewer.
LITE_DEFINITION = DEFAULT_DEFINITION.with_name("ai-vendor-dependence-lite-v1.json")


def make_uei(n: int) -> str:
    return f"T{n:011d}"


def log_in(client: Client, email: str, password: str) -> bool:
    """Log in through the real login page (throttling included): True when it worked."""
    reply = client.post(reverse("login"), {"username": email, "password": password})
    return reply.status_code == 302


def make_campaign(**overrides: Any) -> Campaign:
    now = timezone.now()
    fields = {
        "vendor": Vendor.objects.get_or_create(name="Example AI")[0],
        "questionnaire": QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION),
        "slug": f"campaign-{next(_counter)}",
        "title": "Dependence on AI vendor Example AI",
        "opens_at": now - timedelta(days=1),
        "deadline": now + timedelta(days=7),
        "status": Campaign.Status.OPEN,
        **overrides,
    }
    return Campaign.objects.create(**fields)


def make_organisation(**overrides: Any) -> Organisation:
    n = next(_counter)
    fields = {"legal_name": f"Contractor {n}", "uei": make_uei(n), **overrides}
    return Organisation.objects.create(**fields)


def make_user(
    email: str | None = None,
    organisation: Organisation | None = None,
    role: str = Membership.Role.PREPARER,
    **extra: Any,
) -> User:
    user = User.objects.create_user(
        email or f"user{next(_counter)}@example.com", "correct horse battery", **extra
    )
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_response(
    campaign: Campaign | None = None,
    organisation: Organisation | None = None,
    **fields: Any,
) -> Response:
    return Response.objects.create(
        campaign=campaign or make_campaign(),
        organisation=organisation or make_organisation(),
        **fields,
    )


def complete_org_answers(**overrides: Any) -> dict[str, Any]:
    """Every required organisation-level answer, on the "dependence" route."""
    answers = {
        "A1": "Contractor Inc.",
        "A2": "ABCDEFGH1234",
        "A3": ["1ABC5"],
        "A4": "enterprise",
        "A5": ["prime"],
        "A6": [{"piid": "W56HZV-24-C-0101", "program": "Vehicles"}],
        "A7": "secret",
        "B1": "no",
        "B2": "yes",
        "B3": "no",
        "B4": "no",
        "B5": "no",
        "B6": ["procurement_records"],
        "E1": "no",
        "E2": "complete",
        "F1": {
            "name": "Pat Doe",
            "title": "Manager",
            "email": "pat@example.com",
            "phone": "+1 555 0100",
        },
        "F2": "Alex Roe, VP",
        "F3": "yes",
    }
    answers.update(overrides)
    return answers


def section_a_post(**overrides: Any) -> dict[str, Any]:
    """Section A complete, as its page posts it (A6 as one formset row)."""
    answers = complete_org_answers()
    return {
        "A1": answers["A1"],
        "A2": answers["A2"],
        "A3": "1ABC5",
        "A4": "enterprise",
        "A5": ["prime"],
        "A6-TOTAL_FORMS": "1",
        "A6-INITIAL_FORMS": "0",
        "A6-0-piid": "W56HZV-24-C-0101",
        "A6-0-program": "Vehicles",
        "A7": "secret",
        **overrides,
    }


def complete_use_answers(**overrides: Any) -> dict[str, Any]:
    answers = {
        "D1": "Proposal drafting",
        "D2": "cloud_platform",
        "D3": "Amazon Bedrock",
        "D4": "proposal_communications",
        "D5": ["W56HZV-24-C-0101"],
        "D6": "contract_performance",
        "D7": "no",
        "D8": "commercial",
        "D9": ["proprietary"],
        "D10": "pilot",
        "D11": "human_review",
        "D12": "low",
        "D13": "level_4",
        "D14": 30,
        "D15": "1000.00",
        "D16": "easy",
        "D17": "no",
        "D18": "no",
    }
    answers.update(overrides)
    return answers


def make_lite_campaign(**overrides: Any) -> Campaign:
    """A campaign on the second questionnaire (LITE_DEFINITION)."""
    return make_campaign(
        questionnaire=QuestionnaireVersion.objects.get_or_load(LITE_DEFINITION),
        title="Reliance on AI vendor Example AI (short form)",
        **overrides,
    )


def lite_org_answers(**overrides: Any) -> dict[str, Any]:
    """Every required organisation-level answer of the second questionnaire, on the
    "dependence" route (through a cloud provider)."""
    return {
        "org.name": "Lima Analytics LLC",
        "org.uei": "LMNLYT1C5678",
        "org.cage": ["7LMA1"],
        "org.classification": "secret",
        "screen.direct": "no",
        "screen.cloud": "yes",
        "screen.embedded": "no",
        "screen.supplies": "no",
        "sign.plan": "drafting",
        "sign.date": "2027-03-31",
        "sign.contact": {"name": "Lee Lima", "email": "lee@lima.example"},
        "sign.official": "Lee Lima, CEO",
        "sign.attest": "yes",
        **overrides,
    }


def lite_use_answers(**overrides: Any) -> dict[str, Any]:
    """A complete use of the second questionnaire (DRI 46.9, High)."""
    return {
        "use.name": "Report summaries",
        "use.channel": "cloud",
        "use.intermediary": "Cloud model catalogue",
        "use.relationship": "performance",
        "use.classification": "secret",
        "use.reliance": "much",
        "use.criticality": "severe",
        "use.days": 120,
        "use.cost": "250000.00",
        "use.substitutability": "hard",
        "use.alternative": "named",
        "use.alternative_name": "An open-weight model",
        **overrides,
    }


def url_samples(value: str = "1") -> list[str]:
    """One concrete path per URL pattern of the site, the admin included.

    Every converter is filled with `value`; a regex pattern takes the first alternative
    of each group. A new pattern is swept by the tests that use this without edits.
    """
    from django.urls import URLPattern, URLResolver, get_resolver

    def concrete(pattern: str) -> str:
        pattern = re.sub(r"<(?:\w+:)?\w+>", value, pattern)
        pattern = re.sub(r"\(\?P<\w+>([^|)]*)[^)]*\)", r"\1", pattern)
        return pattern.replace("^", "").replace("$", "").replace(".*", "x")

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        found = []
        for entry in patterns:
            if isinstance(entry, URLResolver):
                found += walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append("/" + concrete(prefix + str(entry.pattern)))
        return found

    return sorted(set(walk(get_resolver().url_patterns, "")))


def postgres_url(current: dict[str, Any], name: str) -> str:
    """The suite's PostgreSQL server and user, another database name: for a process the
    test starts, or a scratch database beside the test one."""
    user = quote(current["USER"], safe="")
    if current["PASSWORD"]:
        user += ":" + quote(current["PASSWORD"], safe="")
    host = current["HOST"] + (f":{current['PORT']}" if current["PORT"] else "")
    query = f"?{urlencode(current['OPTIONS'])}" if current["OPTIONS"] else ""
    return f"postgres://{user}@{host}/{name}{query}"
