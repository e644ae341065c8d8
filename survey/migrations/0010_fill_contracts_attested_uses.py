"""Contracts as rows, intermediary keys, and the copies of what was attested.

Historical models have no methods, so this works on columns and the definition alone.
A response being amended when this runs has its live uses copied as attested: before
this migration the figures were not kept apart, and its next submission replaces them.
"""

import uuid

from django.db import migrations

from survey.names import name_key
from survey.questionnaire import parse

SCORES = (
    "route",
    "cdi",
    "tier",
    "completeness",
    "scoring_version",
    "flag_direct",
    "flag_indirect_only",
    "flag_nss",
    "flag_classified",
    "flag_deliverable",
    "flag_policy_friction",
    "flag_assumed",
    "flag_unresolved",
)


def contracts_of(answers, links, response, submission, Contract):
    rows = [r for r in answers.get(links.rows) or [] if isinstance(r, dict)]
    return Contract.objects.bulk_create(
        Contract(
            response=response,
            submission=submission,
            position=n,
            piid=str(r.get("piid") or "")[:100],
            program=str(r.get("program") or "")[:200],
            program_key=name_key(str(r.get("program") or "")),
        )
        for n, r in enumerate(rows, start=1)
    )


def link(use, answers, links, contracts, Through):
    by_piid = {c.piid: c for c in contracts}
    chosen = answers.get(links.choice) if links else None
    Through.objects.bulk_create(
        Through(use_id=use.pk, contract_id=by_piid[piid].pk)
        for piid in dict.fromkeys(chosen if isinstance(chosen, list) else [])
        if piid in by_piid
    )


def fill(apps, schema_editor):
    Response = apps.get_model("survey", "Response")
    Use = apps.get_model("survey", "Use")
    Contract = apps.get_model("survey", "Contract")
    Submission = apps.get_model("survey", "Submission")
    Through = Use.contracts.through
    parsed = {}
    for response in Response.objects.select_related("campaign__questionnaire"):
        version = response.campaign.questionnaire
        if version.pk not in parsed:
            parsed[version.pk] = parse(version.definition, str(version.pk))
        links = parsed[version.pk].contract_links
        uses = list(Use.objects.filter(response=response).order_by("position", "id"))
        for use in uses:
            use.intermediary_key = name_key(use.intermediary)
        Use.objects.bulk_update(uses, ["intermediary_key"])
        live = (
            contracts_of(response.answers, links, response, None, Contract)
            if links
            else []
        )
        for use in uses:
            link(use, use.answers, links, live, Through)
        last = Submission.objects.filter(response=response).order_by("-number").first()
        if last is None:
            continue
        last.latest = True
        for name in SCORES:
            setattr(last, name, getattr(response, name))
        last.save()
        attested = (
            contracts_of(last.answers, links, response, last, Contract) if links else []
        )
        for position, use in enumerate(uses):
            answers = last.uses[position] if position < len(last.uses) else use.answers
            use.pk = use.id = None
            use.uuid = uuid.uuid4()
            use.submission = last
            use.answers = answers
            use.save()
            link(use, answers, links, attested, Through)


class Migration(migrations.Migration):
    dependencies = [("survey", "0009_contracts_attested_uses")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
