"""A synthetic campaign at scale: valid, varied answers scored by the site's own code.

Answers are drawn from the questionnaire definition itself (options, bounds, show-if),
so that every generated response is complete and would pass the contractor pages; the
scores come from Use.refresh_derived and Response.refresh_scores, the submission copies
from the same columns. Rows are written in bulk, so that 10,000 organisations take
seconds, not the hours one save per page would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from survey import questionnaire as qn
from survey.models import (
    Campaign,
    Contract,
    IntermediaryAlias,
    Organisation,
    Response,
    Submission,
    Use,
    User,
)
from survey.names import name_key

PROGRAMS = [
    "Ground Vehicle Sustainment",
    "Ship Maintenance",
    "Avionics Modernisation",
    "Satellite Ground Segment",
    "Logistics Planning",
    "Cyber Range",
    "Training Simulation",
    "Radar Upgrade",
    "Munitions Handling",
    "Medical Readiness",
]
# Spellings people type for a few platforms: the concentration shows once aliased.
PLATFORMS = [
    "Amazon Bedrock (GovCloud)",
    "AWS Bedrock",
    "amazon bedrock govcloud",
    "Google Vertex AI",
    "Vertex AI",
    "Microsoft Azure AI Foundry",
    "Palantir AIP",
    "Subcontractor analytics platform",
]
STATUSES = [
    (Response.Status.SUBMITTED, 55),
    (Response.Status.IN_REVIEW, 10),
    (Response.Status.ACCEPTED, 8),
    (Response.Status.RETURNED, 2),
    (Response.Status.IN_PROGRESS, 15),
    (Response.Status.INVITED, 10),
]
ROUTES = [("dependence", 75), ("no_dependence", 15), ("unresolved", 10)]
BATCH = 2000


@dataclass(frozen=True)
class Generated:
    responses: int
    uses: int


class Answers:
    """Random valid answers for one questionnaire, from one seeded generator."""

    def __init__(self, questionnaire: qn.Questionnaire, rng: random.Random) -> None:
        self.q = questionnaire
        self.rng = rng

    def value(self, question: qn.Question, context: dict[str, Any]) -> Any:
        rng = self.rng
        if question.must_be:
            return question.must_be
        if question.type in qn.FIXED_OPTIONS:
            return rng.choice(
                [v for v in qn.FIXED_OPTIONS[question.type] if v != "unknown"]
            )
        if question.options_from:
            rows = context.get(question.options_from) or []
            piids = [r["piid"] for r in rows if isinstance(r, dict)]
            return rng.sample(piids, k=min(len(piids), rng.randint(1, 2)))
        options = [o.value for o in question.options if o.value != "other"]
        if question.type == "single":
            return rng.choice(options)
        if question.type == "multi":
            return rng.sample(options, k=min(len(options), rng.randint(1, 2)))
        if question.type == "int":
            low = int(question.min or 0)
            return (
                rng.choice([7, 14, 30, 45, 60, 90, 120, 180, 270, 365, 540, 730]) + low
            )
        if question.type == "pct":
            return rng.randint(0, 100)
        if question.type == "currency":
            return f"{rng.choice([0, 5, 25, 80, 250, 900, 4000]) * 1000}.00"
        if question.type == "date":
            return (
                (datetime(2027, 1, 1) + timedelta(days=rng.randint(0, 540)))
                .date()
                .isoformat()
            )
        if question.type == "rows":
            return [
                {
                    "piid": f"W{rng.randint(10000, 99999)}-2{rng.randint(3, 6)}-C-{rng.randint(1000, 9999)}",
                    "program": rng.choice(PROGRAMS),
                }
                for _ in range(rng.randint(1, 3))
            ]
        if question.type == "group":
            return {
                sub.id: {"email": "poc@example.com", "phone": "+1 555 0100"}.get(
                    sub.format, "Pat Example"
                )
                for sub in question.subfields
            }
        if question.type == "file":
            return None
        if question.type == "text_list":
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
            return ["".join(rng.choice(alphabet) for _ in range(5))]
        return f"Synthetic answer {rng.randint(1, 999)}"[: question.max_length or 200]

    def fill(
        self, section: qn.Section, context: dict[str, Any], fixed: dict[str, Any]
    ) -> dict[str, Any]:
        """Answers to the questions of a section shown for what is answered so far."""
        answers: dict[str, Any] = {}
        for question in section.questions:
            seen = {**context, **answers}
            if not question.shown(seen):
                continue
            value = (
                fixed[question.id]
                if question.id in fixed
                else self.value(question, seen)
            )
            if value is not None:
                answers[question.id] = value
        return answers


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]


def _screening(q: qn.Questionnaire, route: str, rng: random.Random) -> dict[str, Any]:
    ids = list(q.routing.screening)
    if route == "no_dependence":
        return dict.fromkeys(ids, "no")
    if route == "unresolved":
        return {**dict.fromkeys(ids, "no"), rng.choice(ids): "unknown"}
    answers = dict.fromkeys(ids, "no")
    for qid in rng.sample(ids, k=rng.randint(1, 2)):
        answers[qid] = "yes"
    return answers


def generate(
    campaign: Campaign, count: int, seed: int, signatory: User, now: datetime
) -> Generated:
    """Add `count` organisations with responses to `campaign` (bulk, one transaction)."""
    rng = random.Random(seed)
    q = campaign.questionnaire.parsed
    register = q.use_section
    answers_for = Answers(q, rng)
    start = Organisation.objects.count()
    total_uses = 0
    with transaction.atomic():
        for first in range(0, count, BATCH):
            batch = range(start + first, start + min(count, first + BATCH))
            total_uses += _batch(
                campaign,
                q,
                register,
                answers_for,
                rng,
                batch,
                signatory,
                now,
            )
    return Generated(count, total_uses)


def _uei(n: int) -> str:
    digest = hashlib.sha256(str(n).encode()).hexdigest().upper()
    letters = "".join(c for c in digest if c in "ABCDEFGHJKLMNPQRSTUVWXYZ123456789")
    return ("G" + letters)[:12].ljust(12, "1")


def _batch(
    campaign: Campaign,
    q: qn.Questionnaire,
    register: qn.Section | None,
    answers_for: Answers,
    rng: random.Random,
    numbers: range,
    signatory: User,
    now: datetime,
) -> int:
    # Platforms are drawn from a pool to show the concentration; most uses report no
    # policy constraint.
    intermediary_id = q.binding("intermediary")
    policy_id = q.binding("policy")
    unconstrained = sorted(q.flagged("unconstrained"))
    aliases = IntermediaryAlias.mapping()
    organisations = Organisation.objects.bulk_create(
        Organisation(
            legal_name=f"Synthetic Contractor {n:06d}", uei=_uei(n), cage_codes=""
        )
        for n in numbers
    )
    responses: list[Response] = []
    live: list[list[Use]] = []
    for org in organisations:
        status = _weighted(rng, STATUSES)
        route = _weighted(rng, ROUTES)
        answers: dict[str, Any] = {}
        fixed = {
            **_screening(q, route, rng),
            q.binding("legal_name"): org.legal_name,
            q.binding("uei"): org.uei,
        }
        fixed.pop("", None)
        for section in q.sections:
            if status == Response.Status.INVITED:
                break  # nobody has answered an invitation yet
            if section.repeatable or not q.section_visible(section, answers):
                continue
            answers.update(answers_for.fill(section, answers, fixed))
        answers = q.visible_answers(answers)
        response = Response(
            campaign=campaign,
            organisation=org,
            status=status,
            answers=answers,
            started_at=now if status != Response.Status.INVITED else None,
            submitted_at=now - timedelta(hours=rng.randint(1, 200))
            if status not in (Response.Status.INVITED, Response.Status.IN_PROGRESS)
            else None,
        )
        uses = []
        if (
            register is not None
            and q.register_shown(answers)
            and status != Response.Status.INVITED
        ):
            for position in range(1, rng.choice([3, 4, 4, 5, 5, 6]) + 1):
                fixed_use = {}
                if intermediary_id and rng.random() < 0.7:
                    fixed_use[intermediary_id] = rng.choice(PLATFORMS)
                if unconstrained and rng.random() < 0.8:
                    fixed_use[policy_id] = unconstrained[0]
                use_answers = answers_for.fill(register, answers, fixed_use)
                use = Use(response=response, position=position, answers=use_answers)
                use.refresh_derived(q, answers, aliases=aliases)
                uses.append(use)
        if answers:
            response.refresh_scores(uses)
        responses.append(response)
        live.append(uses)
    Response.objects.bulk_create(responses, batch_size=BATCH)
    for response, uses in zip(responses, live, strict=True):
        for use in uses:
            use.response = response
    all_live = [u for uses in live for u in uses]
    Use.objects.bulk_create(all_live, batch_size=BATCH)
    submitted = [
        (r, uses) for r, uses in zip(responses, live, strict=True) if r.submitted_at
    ]
    submissions = Submission.objects.bulk_create(
        (
            Submission(
                response=r,
                number=1,
                latest=True,
                questionnaire_id=campaign.questionnaire_id,
                answers=r.answers,
                uses=[u.answers for u in uses],
                sha256=r.answers_digest(uses),
                attestation=r.attestation_text(),
                submitted_at=r.submitted_at,
                submitted_by=signatory,
                **{name: getattr(r, name) for name in Response.DERIVED_FIELDS},
            )
            for r, uses in submitted
        ),
        batch_size=BATCH,
    )
    copies = [
        u.attested_copy(s)
        for s, (r, uses) in zip(submissions, submitted, strict=True)
        for u in uses
    ]
    Use.objects.bulk_create(copies, batch_size=BATCH)
    _contracts(q, responses, live, submissions, submitted, copies)
    return len(all_live)


def _contracts(
    q: qn.Questionnaire,
    responses: list[Response],
    live: list[list[Use]],
    submissions: list[Submission],
    submitted: list[tuple[Response, list[Use]]],
    copies: list[Use],
) -> None:
    links = q.contract_links
    if links is None:
        return

    def rows(response: Response, submission: Submission | None) -> Iterator[Contract]:
        for n, row in enumerate(response.answers.get(links.rows) or [], start=1):
            yield Contract(
                response=response,
                submission=submission,
                position=n,
                piid=row["piid"],
                program=row["program"],
                program_key=name_key(row["program"]),
            )

    made = Contract.objects.bulk_create(
        [c for r in responses for c in rows(r, None)]
        + [
            c
            for s, (r, _u) in zip(submissions, submitted, strict=True)
            for c in rows(r, s)
        ],
        batch_size=BATCH,
    )
    by_owner: dict[tuple[int, int | None, str], int] = {
        (c.response_id, c.submission_id, c.piid): c.pk for c in made
    }
    through = Use.contracts.through
    pairs = [(u, None) for uses in live for u in uses] + [
        (u, u.submission_id) for u in copies
    ]
    through.objects.bulk_create(
        (
            through(use_id=use.pk, contract_id=by_owner[(use.response_id, owner, piid)])
            for use, owner in pairs
            for piid in dict.fromkeys(use.answers.get(links.choice) or [])
            if (use.response_id, owner, piid) in by_owner
        ),
        batch_size=BATCH,
    )
