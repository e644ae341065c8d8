"""The campaign's "Move to another questionnaire version" page: choose a version, see
what the move would drop, confirm (Campaign.move_to_version)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from survey import questionnaire as qn
from survey.admin.forms import MoveForm
from survey.audit import client_ip
from survey.models import Campaign, Submission
from survey.models.versioning import MoveReport
from survey.questionnaire import compare


@dataclass(frozen=True)
class Row:
    """One question of the preview: its id, its label and what happens to it."""

    question_id: str
    label: str
    note: str = ""
    responses: int = 0
    uses: int = 0


def move_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, campaign: Campaign
) -> HttpResponse:
    """GET: the form. POST "preview": the report. POST "confirm": the move."""
    form = MoveForm(campaign, request.POST if request.method == "POST" else None)
    report = None
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        if "confirm" in request.POST:
            try:
                done = campaign.move_to_version(
                    version,
                    request.user,
                    ip=client_ip(request),
                    seen=form.cleaned_data["seen"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                model_admin.message_user(request, _moved_message(campaign, done))
                return HttpResponseRedirect(
                    reverse("admin:survey_campaign_change", args=[campaign.pk])
                )
        if reason := campaign.move_refusal(version):
            form.add_error("version", reason)
        else:
            report = campaign.move_report(version)
    return TemplateResponse(
        request,
        "admin/survey/campaign/move.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": campaign,
            "title": gettext("Move to another questionnaire version"),
            "form": form,
            "report": report,
            **(
                _preview(campaign, form.cleaned_data["version"], report)
                if report
                else {}
            ),
        },
    )


def _moved_message(campaign: Campaign, report: MoveReport) -> str:
    return gettext(
        "The campaign now uses %(version)s: %(affected)d of %(responses)d responses "
        "lost answers that version no longer takes. Submissions keep theirs."
    ) % {
        "version": campaign.questionnaire,
        "affected": report.affected,
        "responses": report.responses,
    }


def _preview(campaign: Campaign, version: Any, report: MoveReport) -> dict[str, Any]:
    """The report as rows with the questions' labels (the old version's for what it
    drops or lacks, the new one's for what is new or changed)."""
    old, new = campaign.questionnaire.parsed, version.parsed
    vendor = campaign.vendor.name
    notes = {compare.NEW: gettext("new"), compare.CHANGED: gettext("changed")}
    return {
        "target": version,
        "changes": [
            Row(qid, _label(new, qid, vendor), notes[kind])
            for qid, kind in report.changes.items()
        ],
        "removed": [Row(qid, _label(old, qid, vendor)) for qid in report.removed],
        "dropped": [
            Row(
                d.question_id,
                _label(old, d.question_id, vendor),
                responses=d.responses,
                uses=d.uses,
            )
            for d in report.dropped
        ],
        "submissions": Submission.objects.filter(response__campaign=campaign).count(),
    }


def _label(questionnaire: qn.Questionnaire, qid: str, vendor: str) -> str:
    # An answer may name no question of its version (a stray key): its id says it all.
    try:
        return questionnaire.question(qid).label.render(vendor)
    except KeyError:
        return ""
