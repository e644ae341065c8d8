"""What the contractor pages show: navigator, deadline, progress, review and conflicts.

Plain functions that turn models into template context, so that views stay short and
templates only loop and print.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from survey import questionnaire as qn
from survey import sessions
from survey.deadlines import describe
from survey.editing import Conflict
from survey.forms import condition_json
from survey.models import Response, ReviewComment, Use

BAND_LABELS = {
    "none": gettext_lazy("None"),
    "low": gettext_lazy("Low"),
    "medium": gettext_lazy("Medium"),
    "high": gettext_lazy("High"),
    "critical": gettext_lazy("Critical"),
    "none_attested": gettext_lazy("None (attested)"),
    "unresolved": gettext_lazy("Unresolved"),
}


def section_url(response: Response, section: qn.Section) -> str:
    if section.repeatable:
        return reverse("survey-uses", args=[response.uuid])
    return reverse("survey-section", args=[response.uuid, section.id])


def use_url(response: Response, use: Use) -> str:
    return reverse("survey-use", args=[response.uuid, use.uuid])


# Bindings that the organisation's record answers, each from its field of the same name.
PREFILLED = ("legal_name", "uei", "cage_codes")


def prefill(response: Response) -> dict[str, Any]:
    """Starting values from the organisation's record for questions not answered yet."""
    org = response.organisation
    questionnaire = response.campaign.questionnaire.parsed
    values: dict[str, Any] = {}
    for binding in PREFILLED:
        question = questionnaire.bound(binding)
        value = getattr(org, binding) or ""
        if question is None or not value:
            continue
        # A text list (the CAGE codes) is kept as one comma- or space-separated field.
        values[question.id] = (
            value.replace(",", " ").split() if question.type == "text_list" else value
        )
    return values


def deadline_context(response: Response, now: datetime) -> dict[str, Any]:
    deadline = response.effective_deadline
    remaining = max(0, int((deadline - now).total_seconds()))
    return {
        "deadline_text": describe(deadline, response.campaign.display_timezone),
        "deadline_iso": deadline.isoformat(),
        "remaining_seconds": remaining,
        "remaining_text": timeuntil(deadline, now) if remaining else _("closed"),
        "extended": deadline != response.campaign.deadline,
    }


def summary(response: Response, uses: list[Use], now: datetime) -> dict[str, Any]:
    """One row of the contractor home page."""
    questionnaire = response.campaign.questionnaire.parsed
    progress = questionnaire.progress(
        response.answers, [u.answers for u in uses], response.also_required
    )
    given = sum(g for g, _r in progress.values())
    required = sum(r for _g, r in progress.values())
    # The gate's own verdict, as on the section pages: a draft closes at the deadline
    # by the server's clock, and a response once in has nothing due.
    is_open = not response.write_refusal(now)
    return {
        "response": response,
        "title": response.campaign.title,
        "organisation": response.organisation.legal_name,
        "status": response.get_status_display(),
        "percent": round(100 * given / required) if required else 0,
        "url": reverse("survey-start", args=[response.uuid]),
        "banner": questionnaire.banner.render(response.campaign.vendor.name),
        "handling_banner": response.campaign.handling_banner,
        "instructions": response.campaign.instructions,
        "comments": len(open_comments(response)),
        **deadline_context(response, now),
        # A countdown only while it runs: a response given back after the deadline is
        # open, with no time left to count.
        "countdown": is_open and response.effective_deadline > now,
        "closed": not is_open and response.effective_deadline <= now,
    }


def open_comments(response: Response) -> list[dict[str, Any]]:
    """The reviewer's comments still to act on, each with a link to its question."""
    if response.status != Response.Status.RETURNED:
        return []
    questionnaire = response.campaign.questionnaire.parsed
    found = []
    for comment in ReviewComment.objects.filter(
        response=response, resolved_at__isnull=True
    ).select_related("use"):
        if comment.question_id:
            try:
                question = questionnaire.question(comment.question_id)
            except KeyError:
                continue
            section_id = question.section_id
            label = question.label.render(response.campaign.vendor.name)
            page = (
                use_url(response, comment.use)
                if comment.use is not None
                else section_url(response, questionnaire.section(section_id))
            )
            url = f"{page}#q-{comment.question_id}"
        else:
            # The reviewer's message on the response as a whole: shown from the start.
            section_id, label = "", _("Message from the reviewer")
            url = section_url(response, questionnaire.sections[0])
        found.append(
            {
                "question_id": comment.question_id,
                "section_id": section_id,
                "label": label,
                "text": comment.text,
                "use": str(comment.use) if comment.use is not None else "",
                "answered": comment.answered_at is not None,
                "url": url,
            }
        )
    return found


def carried_source(response: Response) -> dict[str, str] | None:
    """Where a response's carried-forward answers come from, as pages show it."""
    source = response.carried_from
    if source is None:
        return None
    return {
        "campaign": source.response.campaign.title,
        "date": describe(source.submitted_at, response.campaign.display_timezone),
    }


def page_context(
    response: Response, uses: list[Use], current_id: str, request: HttpRequest
) -> dict[str, Any]:
    """Context shared by every questionnaire page: banner, navigator, deadline."""
    campaign = response.campaign
    questionnaire = campaign.questionnaire.parsed
    vendor = campaign.vendor.name
    current = next((s for s in questionnaire.sections if s.id == current_id), None)
    now = request.received_at  # type: ignore[attr-defined]
    org = questionnaire.visible_answers(response.answers)
    progress = questionnaire.progress(
        response.answers, [u.answers for u in uses], response.also_required
    )
    comments = open_comments(response)
    commented = Counter(c["section_id"] for c in comments)
    unconfirmed = {s.id for s in response.unconfirmed()}
    nav = []
    for section in questionnaire.sections:
        given, required = progress.get(section.id, (0, 0))
        nav.append(
            {
                "id": section.id,
                "marker": section.marker,
                "title": section.title.render(vendor),
                "url": section_url(response, section),
                "show_if": condition_json(section.show_if),
                "comments": commented.get(section.id, 0),
                "shown": section.id in progress,
                "given": given,
                "required": required,
                "complete": section.id in progress and given == required,
                "current": section.id == current_id,
                "to_confirm": section.id in unconfirmed,
            }
        )
    refusal = response.write_refusal(now)
    return {
        "response": response,
        "campaign": campaign,
        "vendor": vendor,
        "title": questionnaire.title.render(vendor),
        "banner": questionnaire.banner.render(vendor),
        "nav": nav,
        "review_comments": comments,
        "visible_sections": set(progress),
        "org_answers": org,
        "refusal": refusal,
        "editable": not refusal,
        "review_url": reverse("survey-review", args=[response.uuid]),
        "review_current": current_id == "review",
        # Shown on a page whose carried-forward answers are still to be confirmed.
        "carried": carried_source(response) if current_id in unconfirmed else None,
        "session": sessions.status(request.session, now),
        "section_title": current.title.render(vendor) if current else "",
        "section_intro": current.intro.render(vendor)
        if current and current.intro
        else "",
        "export_url": reverse("survey-export", args=[response.uuid]),
        "instructions": campaign.instructions
        if current is not None and current is questionnaire.sections[0]
        else "",
        # The text the attestation question ("I make the attestation above") refers to.
        "attestation": response.attestation_text()
        if current is not None and any(q.must_be for q in current.questions)
        else "",
        **deadline_context(response, now),
    }


def use_row(
    questionnaire: qn.Questionnaire, response: Response, use: Use, index: int
) -> dict[str, Any]:
    vendor = response.campaign.vendor.name
    channel = questionnaire.bound("channel")
    missing = [
        m
        for m in questionnaire.missing_required(response.answers, [use.answers])
        if m.use_index == 0
    ]
    return {
        "use": use,
        "number": index + 1,
        "name": use.name or _("Use %(number)s (no name yet)") % {"number": index + 1},
        "channel": qn.display(channel, use.channel, vendor) if channel else "",
        "band": BAND_LABELS.get(use.band, use.band),
        "dri": use.dri,
        "missing": len(missing),
        "url": use_url(response, use),
        "delete_url": reverse("survey-use-delete", args=[response.uuid, use.uuid]),
    }


def next_url(response: Response, section: qn.Section, use: Use | None) -> str:
    """Where "Save and continue" goes: the next section shown, else the review page."""
    questionnaire = response.campaign.questionnaire.parsed
    if use is not None:
        return reverse("survey-uses", args=[response.uuid])
    org = questionnaire.visible_answers(response.answers)
    sections = list(questionnaire.sections)
    for candidate in sections[sections.index(section) + 1 :]:
        if questionnaire.section_visible(candidate, org):
            return section_url(response, candidate)
    return reverse("survey-review", args=[response.uuid])


def describe_conflicts(
    response: Response, section: qn.Section, conflicts: list[Conflict]
) -> list[dict[str, str]]:
    vendor = response.campaign.vendor.name
    questions = {q.id: q for q in section.questions}
    described = []
    for conflict in conflicts:
        question = questions[conflict.question_id]
        at = datetime.fromisoformat(conflict.at) if conflict.at else None
        described.append(
            {
                "question_id": question.id,
                "label": question.label.render(vendor),
                "theirs": qn.display(question, conflict.theirs, vendor)
                or _("(no answer)"),
                "yours": qn.display(question, conflict.yours, vendor)
                or _("(no answer)"),
                "by": conflict.by,
                "at": f"{at.astimezone(UTC):%H:%M} UTC" if at else "",
            }
        )
    return described


def comments_for(
    response: Response, section_id: str, target: Response | Use
) -> dict[str, list[str]]:
    """Open reviewer comments on this page's questions, by question id."""
    # The questions of the page are the definition's to say, not their ids' letters.
    section = response.campaign.questionnaire.parsed.section(section_id)
    comments = ReviewComment.objects.filter(
        response=response,
        resolved_at__isnull=True,
        question_id__in=[q.id for q in section.questions],
    )
    comments = (
        comments.filter(use=target)
        if isinstance(target, Use)
        else comments.filter(use__isnull=True)
    )
    by_question: dict[str, list[str]] = {}
    for comment in comments:
        by_question.setdefault(comment.question_id, []).append(comment.text)
    return by_question


def review_context(response: Response, uses: list[Use]) -> dict[str, Any]:
    """Every answer by section, what is missing (with links), and the scores."""
    response.refresh_scores(uses)  # in memory only: the page shows the current figures
    questionnaire = response.campaign.questionnaire.parsed
    vendor = response.campaign.vendor.name
    org = questionnaire.visible_answers(response.answers)
    sections = []
    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, org):
            continue
        rows = [
            (q.id, q.label.render(vendor), qn.display(q, org.get(q.id), vendor))
            for q in questionnaire.visible_questions(section, response.answers)
        ]
        sections.append(
            {
                "title": section.title.render(vendor),
                "url": section_url(response, section),
                "rows": rows,
            }
        )
    register = questionnaire.use_section
    blocks = []
    if register is not None and questionnaire.section_visible(register, org):
        for index, use in enumerate(uses):
            kept = questionnaire.visible_use_answers(use.answers, org)
            rows = [
                (q.id, q.label.render(vendor), qn.display(q, kept.get(q.id), vendor))
                for q in questionnaire.visible_questions(register, use.answers, org)
            ]
            blocks.append(
                {**use_row(questionnaire, response, use, index), "rows": rows}
            )
    missing = []
    for item in response.missing(uses):
        if item.question is None:
            label = _("Add at least one use of %(vendor)s.") % {"vendor": vendor}
            url = section_url(response, item.section)
        else:
            label = f"{item.question.id}. {item.question.label.render(vendor)}"
            url = (
                use_url(response, uses[item.use_index])
                if item.use_index is not None
                else section_url(response, item.section)
            ) + f"#q-{item.question.id}"
            if item.use_index is not None:
                label = _("Use %(number)s: %(label)s") % {
                    "number": item.use_index + 1,
                    "label": label,
                }
        missing.append({"label": label, "url": url})
    for section in response.unconfirmed():
        label = _("Confirm the answers carried forward: %(section)s") % {
            "section": " ".join(
                filter(
                    None,
                    [
                        section.marker and f"{section.marker}.",
                        section.title.render(vendor),
                    ],
                )
            )
        }
        missing.append({"label": label, "url": section_url(response, section)})
    referenced = {
        value["attachment"]
        for answers in [
            org,
            *(questionnaire.visible_use_answers(u.answers, org) for u in uses),
        ]
        for value in answers.values()
        if isinstance(value, dict) and "attachment" in value
    }
    files = [
        {
            "name": a.name,
            "url": reverse("survey-attachment", args=[response.uuid, a.uuid]),
        }
        for a in response.attachments.filter(uuid__in=referenced).only("uuid", "name")
    ]
    return {
        "files": files,
        "sections": sections,
        "use_blocks": blocks,
        "missing": missing,
        "cdi": response.cdi,
        "tier": BAND_LABELS.get(response.tier, response.tier),
        "attestation": response.attestation_text(),
        "submit_url": reverse("survey-submit", args=[response.uuid]),
    }
