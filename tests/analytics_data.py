"""A campaign of seven contractors whose figures are written out by hand in the tests.

Seven contractors, built by seven_contractors():
- Alpha, submitted, direct (B1): a Critical use (direct, two PIIDs of one program,
  $1,000, 200 days, NSS, classified, deliverable) and a Low use (Amazon Bedrock
  (GovCloud), programs Ground Vehicles and Ship Maintenance, cost unknown, 14 days,
  task blocked);
- Bravo, submitted, indirect only, override Critical: a High use (AWS Bedrock, Ground
  Vehicles under another PIID, $500, 60 days);
- Charlie, submitted, no dependence;
- Delta, a draft: a Medium use (Avionics, $100, 30 days);
- Echo, submitted then withdrawn: a Critical use, counted nowhere;
- Foxtrot, submitted with a High use (Subco Y, Radar, $2,000, 400 days, reliance not
  assessed), then returned and its live use amended to Critical;
- Golf, invited, nothing yet.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from survey.editing import Edit
from survey.models import Campaign, IntermediaryAlias, Membership, Response, Use
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)

CRITICAL = {
    "D13": "level_1",
    "D14": 200,
    "D16": "not_substitutable",
    "D16a": ["reaccreditation"],
    "D17": "no",
    "D8": "secret",
    "D9": ["classified"],
    "D12": "full",
    "D7": "yes",
    "D6": "deliverable",
}
LOW = {
    "D13": "level_4",
    "D14": 14,
    "D16": "easy",
    "D17": "yes_tested",
    "D17a": "Tested with another model",
}
HIGH = {"D13": "level_2", "D14": 60, "D16": "medium", "D17": "no"}
P1 = {"piid": "W56HZV-24-C-0101", "program": "Ground Vehicles"}
P1B = {"piid": "W56HZV-24-C-0102", "program": "Ground vehicles"}
P2 = {"piid": "N00024-23-D-0042", "program": "Ship Maintenance"}
P3 = {"piid": "W15P7T-21-C-0007", "program": "ground  vehicles"}


def seven_contractors() -> Campaign:
    """The data set of the module docstring, built through the models' own paths."""
    campaign = make_campaign()
    IntermediaryAlias.objects.create(key="aws bedrock", platform="Amazon Bedrock")
    IntermediaryAlias.objects.create(
        key="amazon bedrock govcloud", platform="Amazon Bedrock"
    )
    respond(
        campaign,
        "Alpha",
        complete_org_answers(
            A6=[P1, P1B, P2],
            B1="yes",
            C1=["enterprise_seats"],
            C2="2500.00",
            E1="documented",
            E1a="2027-03-31",
        ),
        [
            complete_use_answers(
                D1="Targeting aid",
                D2="direct",
                D5=[P1["piid"], P1B["piid"]],
                D15="1000.00",
                **CRITICAL,
            ),
            complete_use_answers(
                D1="Proposal drafting",
                D3="Amazon Bedrock (GovCloud)",
                D5=[P1["piid"], P2["piid"]],
                D15="unknown",
                D18="task_blocked",
                D18a="Blocked for export work",
                **LOW,
            ),
        ],
    )
    bravo = respond(
        campaign,
        "Bravo",
        complete_org_answers(A6=[P3], E2="partial", E2a=50),
        [
            complete_use_answers(
                D1="Code review",
                D3="AWS Bedrock",
                D5=[P3["piid"]],
                D15="500.00",
                **HIGH,
            )
        ],
    )
    Response.objects.filter(pk=bravo.pk).update(override_band="critical")
    respond(campaign, "Charlie", complete_org_answers(B2="no"), [])
    respond(
        campaign,
        "Delta",
        complete_org_answers(
            A6=[{"piid": "FA8650-22-C-1000", "program": "Avionics"}], B1="yes"
        ),
        [
            complete_use_answers(
                D2="direct", D5=["FA8650-22-C-1000"], D15="100.00", D14=30
            )
        ],
        submit=False,
    )
    echo = respond(
        campaign,
        "Echo",
        complete_org_answers(B1="yes", C1=["api_payg"], C2="10.00"),
        [complete_use_answers(D2="direct", **CRITICAL)],
    )
    echo.withdraw(make_user(is_staff=True), "Invited by mistake")
    radar = {"piid": "N00039-20-C-0001", "program": "Radar"}
    foxtrot = respond(
        campaign,
        "Foxtrot",
        complete_org_answers(
            A6=[radar], E1="in_preparation", E1a="2027-06-30", E2="not_started"
        ),
        [
            complete_use_answers(
                D1="Signal triage",
                D2="subcontractor",
                D3="Subco Y",
                D5=[radar["piid"]],
                D15="2000.00",
                D12="not_assessed",
                # C 2 x S 4 (400 days) x M 1.25 (reliance not assessed): 41.7
                **{**HIGH, "D13": "level_3", "D14": 400},
            )
        ],
    )
    use = foxtrot.uses.get()
    foxtrot.return_for_clarification(
        make_user(is_staff=True), [("D13", use, "Really Level II?")]
    )
    before = dict(use.answers)
    use.save_answers(
        Edit({**before, **CRITICAL}, before, use.version, list(CRITICAL)),
        user=preparer(foxtrot),
        ip=None,
        at=timezone.now(),
    )
    make_response(campaign, make_organisation(legal_name="Golf"))
    return campaign


def preparer(response: Response) -> Any:
    return response.organisation.memberships.get(role="preparer").user


def respond(
    campaign: Campaign,
    name: str,
    answers: dict[str, Any],
    uses: list[dict[str, Any]],
    submit: bool = True,
) -> Response:
    org = make_organisation(legal_name=name)
    make_user(organisation=org)
    signatory = make_user(organisation=org, role=Membership.Role.SIGNATORY)
    response = make_response(campaign, org, answers=answers, status="in_progress")
    questionnaire = campaign.questionnaire.parsed
    for position, use_answers in enumerate(uses, start=1):
        use = Use(response=response, position=position, answers=use_answers)
        use.refresh_derived(questionnaire, answers)
        use.save()
    response.refresh_scores(list(response.uses.all()))
    response.save()
    response.sync_contracts()
    if submit:
        missing = response.missing(list(response.uses.all()))
        assert not missing, [
            (m.question and m.question.id, m.use_index) for m in missing
        ]
        response.submit(signatory, None, timezone.now())
    response.refresh_from_db()
    return response
