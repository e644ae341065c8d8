"""Section pages and use pages: the answer form, its saves and autosaves."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from survey import pages
from survey import questionnaire as qn
from survey.deadlines import zone_label
from survey.editing import Edit
from survey.forms import AnswerForm
from survey.models import Membership, Refused, Response, Use
from survey.views.common import (
    _actor,
    _refused,
    _response,
    _role,
    _use,
    login_required_json,
)

# The edit state is the page's own answers: anything far larger is not from our page.
MAX_LOADED_CHARS = 1_000_000


@login_required
@never_cache
@require_safe
def start(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    first = response.campaign.questionnaire.parsed.sections[0]
    return redirect("survey-section", response_uuid=response.uuid, section_id=first.id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, response_uuid: Any, section_id: str) -> HttpResponse:
    response = _response(request, response_uuid)
    questionnaire = response.campaign.questionnaire.parsed
    current = _section(questionnaire, section_id)
    if current.repeatable:
        return redirect("survey-uses", response_uuid=response.uuid)
    if request.method == "POST":
        form = _form(request, response, current, response)
        outcome = _save(request, form, response, current)
        if outcome is not None:
            return outcome
    else:
        response.mark_opened(request.received_at)  # type: ignore[attr-defined]
        form = _form(request, response, current, response)
    return _render_form(request, response, current, form, target=response)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def use_edit(request: HttpRequest, response_uuid: Any, use_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    use = _use(response, use_uuid)
    register = response.campaign.questionnaire.parsed.use_section
    assert register is not None
    if request.method == "POST":
        form = _form(request, response, register, use)
        outcome = _save(request, form, response, register, use=use)
        if outcome is not None:
            return outcome
    else:
        form = _form(request, response, register, use)
    return _render_form(request, response, register, form, target=use)


@login_required_json
@never_cache
@require_POST
def autosave(request: HttpRequest, response_uuid: Any, section_id: str) -> JsonResponse:
    response = _response(request, response_uuid)
    current = _section(response.campaign.questionnaire.parsed, section_id)
    if current.repeatable:
        raise Http404
    form = _form(request, response, current, response)
    return _autosave_result(request, form, response, current, target=response)


@login_required_json
@never_cache
@require_POST
def use_autosave(
    request: HttpRequest, response_uuid: Any, use_uuid: Any
) -> JsonResponse:
    response = _response(request, response_uuid)
    use = _use(response, use_uuid)
    register = response.campaign.questionnaire.parsed.use_section
    assert register is not None
    form = _form(request, response, register, use)
    return _autosave_result(request, form, response, register, target=use)


# Editing helpers ---------------------------------------------------------------------


def _section(questionnaire: qn.Questionnaire, section_id: str) -> qn.Section:
    for candidate in questionnaire.sections:
        if candidate.id == section_id:
            return candidate
    raise Http404


def _form(
    request: HttpRequest,
    response: Response,
    current: qn.Section,
    target: Response | Use,
) -> AnswerForm:
    questionnaire = response.campaign.questionnaire.parsed
    return AnswerForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        section=current,
        vendor=response.campaign.vendor.name,
        answers=target.answers,
        org_answers=questionnaire.visible_answers(response.answers),
        readonly=not response.is_editable,
        comments=pages.comments_for(response, current.id, target),
        prefill=pages.prefill(response) if target is response else None,
        marks=response.carried_marks(),
        # The attestation itself (F3) is the signatory's to give (issue 10 §10).
        locked=_signatory_only(request, response, current),
    )


def _signatory_only(
    request: HttpRequest, response: Response, current: qn.Section
) -> dict[str, str]:
    """The questions of this page only the signatory answers, with who that is."""
    attesting = [q.id for q in current.questions if q.must_be]
    if not attesting or _role(request, response) == Membership.Role.SIGNATORY:
        return {}
    signatories = ", ".join(
        response.organisation.memberships.filter(
            role=Membership.Role.SIGNATORY
        ).values_list("user__email", flat=True)
    )
    note = _("Only your authorised signatory gives this answer: %(who)s.") % {
        "who": signatories or _("none named yet")
    }
    return dict.fromkeys(attesting, note)


def _edit_state(request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """The version and answers the user's page was built from (their base for merging)."""
    raw = request.POST.get("loaded", "{}")
    try:
        version = int(request.POST.get("version", "0"))
        loaded = json.loads(raw) if len(raw) <= MAX_LOADED_CHARS else {}
    except (TypeError, ValueError, RecursionError):
        return 0, {}
    return version, loaded if isinstance(loaded, dict) else {}


def _apply(
    request: HttpRequest,
    form: AnswerForm,
    current: qn.Section,
    target: Response | Use,
    confirm: bool = False,
) -> Any:
    """Merge the page's answers; `confirm`: a save the user asked for, which confirms
    the carried-forward answers of the page when it is valid (autosaves never do).

    A tampered post (see survey.forms.answers) merges nothing, but still goes through
    the write path, so that a closed response refuses it as it refuses any save.
    """
    valid = form.is_valid()
    posted = {} if form.tampered() else form.answers()[0]
    version, loaded = _edit_state(request)
    edit = Edit(
        posted=posted,
        loaded=loaded,
        loaded_version=version,
        question_ids=[q.id for q in current.questions],
        overwrite=frozenset(request.POST.getlist("overwrite")),
    )
    user, ip, at = _actor(request)
    if isinstance(target, Response):
        section = current.id if confirm and valid else ""
        return target.save_answers(edit, user=user, ip=ip, at=at, confirm=section)
    return target.save_answers(edit, user=user, ip=ip, at=at)


def _state_after(
    request: HttpRequest,
    form: AnswerForm,
    current: qn.Section,
    target: Response | Use,
    result: Any,
) -> tuple[int, str]:
    """The edit state to hand back to the page after a save.

    While a conflict is unresolved the page keeps its old base for that question, so
    the next save (autosave included) reports it again instead of overwriting it. A
    tampered post saved nothing: the page keeps its whole base, else its next save
    would take others' changes made meanwhile for its own.
    """
    version, loaded = _edit_state(request)
    if form.tampered():
        return version, json.dumps({q.id: loaded.get(q.id) for q in current.questions})
    conflicted = {c.question_id for c in result.conflicts}
    state = {
        q.id: loaded.get(q.id) if q.id in conflicted else target.answers.get(q.id)
        for q in current.questions
    }
    return (version if conflicted else target.version), json.dumps(state)


def _save(
    request: HttpRequest,
    form: AnswerForm,
    response: Response,
    current: qn.Section,
    use: Use | None = None,
) -> HttpResponse | None:
    """Save what is valid; redirect when all went in, else None to show the page again."""
    target = use or response
    try:
        result = _apply(request, form, current, target, confirm=True)
    except Refused as refusal:
        return _refused(request, response, refusal)
    except Use.DoesNotExist:
        raise Http404 from None
    form.state = _state_after(request, form, current, target, result)
    form.conflicts = pages.describe_conflicts(response, current, result.conflicts)
    if form.errors or result.conflicts:
        return None
    saved = _saved_at(request, response)
    gaps = _still_missing(response, current, use)
    if gaps:
        # A draft may be incomplete, but the page says so, with a link to the field.
        first = gaps[0]
        messages.warning(
            request,
            format_html(
                '{} <a href="{}#id_{}">{}</a>',
                ngettext(
                    "%(saved)s %(count)d required answer in this section is still "
                    "missing:",
                    "%(saved)s %(count)d required answers in this section are still "
                    "missing, the first:",
                    len(gaps),
                )
                % {"saved": saved, "count": len(gaps)},
                request.path,
                first.id,
                f"{first.id}. {first.label.render(response.campaign.vendor.name)}",
            ),
        )
    else:
        messages.success(request, saved)
    if "continue" in request.POST:
        return redirect(pages.next_url(response, current, use))
    return redirect(request.path)


def _autosave_result(
    request: HttpRequest,
    form: AnswerForm,
    response: Response,
    current: qn.Section,
    target: Response | Use,
) -> JsonResponse:
    try:
        result = _apply(request, form, current, target)
    except Refused as refusal:
        return _refused(request, response, refusal, as_json=True)
    except Use.DoesNotExist:
        raise Http404 from None
    version, loaded = _state_after(request, form, current, target, result)
    status = "conflict" if result.conflicts else "invalid" if form.errors else "saved"
    return JsonResponse(
        {
            "status": status,
            "version": version,
            "loaded": json.loads(loaded),
            "saved_at": _clock(request, response),
            "errors": {name: list(errors) for name, errors in form.errors.items()},
            "conflicts": pages.describe_conflicts(response, current, result.conflicts),
        }
    )


def _clock(request: HttpRequest, response: Response) -> str:
    """When the server received the save: "12:37:50 ET (17:37:50 UTC)"."""
    received = request.received_at  # type: ignore[attr-defined]
    zone = response.campaign.display_timezone
    local = received.astimezone(ZoneInfo(zone))
    utc = received.astimezone(UTC)
    if zone_label(zone) == "UTC":
        return f"{utc:%H:%M:%S} UTC"
    return f"{local:%H:%M:%S} {zone_label(zone)} ({utc:%H:%M:%S} UTC)"


def _saved_at(request: HttpRequest, response: Response) -> str:
    return _("Saved at %(time)s.") % {"time": _clock(request, response)}


def _still_missing(
    response: Response, current: qn.Section, use: Use | None
) -> list[qn.Question]:
    """The required questions of this page (this use's, on a use page) not answered."""
    fresh = Response.objects.select_related("campaign").get(pk=response.pk)
    uses = list(fresh.uses.all())
    index = next((i for i, u in enumerate(uses) if use and u.pk == use.pk), None)
    return [
        m.question
        for m in fresh.missing(uses)
        if m.question is not None
        and m.section.id == current.id
        and (use is None or m.use_index == index)
    ]


def _render_form(
    request: HttpRequest,
    response: Response,
    current: qn.Section,
    form: AnswerForm,
    target: Response | Use,
) -> HttpResponse:
    uses_list = list(response.uses.all())
    context = pages.page_context(response, uses_list, current.id, request)
    version, loaded = getattr(form, "state", None) or (
        target.version,
        json.dumps({q.id: target.answers.get(q.id) for q in current.questions}),
    )
    context.update(
        section=current,
        form=form,
        use=target if isinstance(target, Use) else None,
        version=version,
        loaded=loaded,
        error_summary=form.question_errors() if form.is_bound else [],
        nothing_saved=form.is_bound and form.tampered(),
        conflicts=getattr(form, "conflicts", []),
        shown=current.id in context["visible_sections"],
    )
    return render(request, "survey/section.html", context)
