"""Views: thin functions that check access, call model methods and render."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from survey import exports, pages
from survey import questionnaire as qn
from survey.audit import client_ip
from survey.checks import soft_checks
from survey.deadlines import describe, zone_label
from survey.editing import Edit
from survey.forms import AcceptInvitationForm, AnswerForm
from survey.models import (
    AuditEvent,
    Incomplete,
    Invitation,
    Membership,
    Refused,
    Response,
    Use,
    User,
)

View = Callable[..., HttpResponseBase]
# The edit state is the page's own answers: anything far larger is not from our page.
MAX_LOADED_CHARS = 1_000_000


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale form (another tab logged out and in): explain, never lose the draft."""
    back = (
        request.path if request.method == "GET" else request.path.split("/autosave")[0]
    )
    if request.path.endswith("/autosave"):
        return JsonResponse(
            {"status": "stale", "message": _stale_message()}, status=403
        )
    return render(request, "survey/stale.html", {"back": back}, status=403)


def _stale_message() -> str:
    return _(
        "This page is out of date (you may have logged in again in another tab). "
        "Reload it to continue; your saved draft is intact."
    )


def login_required_json(view: View) -> View:
    """For autosave: an expired session gets 401 JSON, not a redirect to a login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return JsonResponse(
                {
                    "status": "login",
                    "message": _(
                        "Your session expired. Log in again; "
                        "your draft up to the last save is kept."
                    ),
                    "login_url": f"{reverse('login')}?next={request.path.rsplit('/', 1)[0]}/",
                },
                status=401,
            )
        return view(request, *args, **kwargs)

    return wrapper


# Access ------------------------------------------------------------------------------


def _response(request: HttpRequest, response_uuid: Any) -> Response:
    """The user's own organisation's response; anything else is a plain 404, logged."""
    found = (
        Response.objects.for_user(request.user)
        .select_related("campaign__vendor", "campaign__questionnaire", "organisation")
        .filter(uuid=response_uuid)
        .first()
    )
    if found is None:
        AuditEvent.record(
            "access.denied",
            actor=request.user,
            ip=client_ip(request),
            path=request.path,
            method=request.method,
        )
        raise Http404
    return found


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _actor(request: HttpRequest) -> tuple[User, str | None, datetime]:
    """Who writes, from where and when (the time the request arrived): the arguments
    every model write path takes."""
    at = request.received_at  # type: ignore[attr-defined]
    return request.user, client_ip(request), at  # type: ignore[return-value]


def _use(response: Response, use_uuid: Any) -> Use:
    return get_object_or_404(Use.objects.filter(response=response), uuid=use_uuid)


def _role(request: HttpRequest, response: Response) -> str:
    membership = Membership.objects.filter(
        user=request.user, organisation=response.organisation
    ).first()
    return membership.role if membership else ""


def _refused(
    request: HttpRequest, response: Response, refusal: Refused, as_json: bool = False
) -> HttpResponse:
    """A write the model refused (deadline, status, role): audited, then the 403."""
    AuditEvent.record(
        "write.refused",
        actor=request.user,
        obj=response,
        organisation=response.organisation,
        campaign=response.campaign,
        ip=client_ip(request),
        path=request.path,
    )
    if as_json:
        return JsonResponse({"status": "refused", "message": str(refusal)}, status=403)
    return render(
        request,
        "survey/refused.html",
        {"response": response, "reason": str(refusal)},
        status=403,
    )


# Pages -------------------------------------------------------------------------------


@login_required
@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    responses = list(
        Response.objects.for_user(request.user)
        .select_related("campaign__vendor", "campaign__questionnaire", "organisation")
        .prefetch_related("uses")
        .order_by("campaign__deadline", "organisation__legal_name")
    )
    now = request.received_at  # type: ignore[attr-defined]
    rows = [pages.summary(r, list(r.uses.all()), now) for r in responses]
    # Every page carries the campaigns' classification notices (spec §1), once each.
    handling = [r["handling_banner"] for r in rows if r["handling_banner"]]
    context = {
        "rows": rows,
        "handling_banners": list(dict.fromkeys(handling)),
        "notices": list(dict.fromkeys(r["banner"] for r in rows)),
        # Each campaign's instructions, once, whatever the number of organisations.
        "instructions": list(
            dict.fromkeys(
                (r["title"], r["instructions"]) for r in rows if r["instructions"]
            )
        ),
    }
    return render(request, "survey/home.html", context)


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
def uses(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    """The use register (section D): a list of uses, with add and remove."""
    response = _response(request, response_uuid)
    questionnaire = response.campaign.questionnaire.parsed
    register = questionnaire.use_section
    if register is None:
        raise Http404
    if request.method == "POST" and "discard" in request.POST:
        # "Back to the list" from a use page: a use nothing was typed into goes.
        use = response.uses.filter(uuid=_uuid_or_none(request.POST["discard"])).first()
        if use is not None and response.is_editable:
            try:
                response.discard_if_empty(use, *_actor(request))
            except Refused as refusal:
                return _refused(request, response, refusal)
        return redirect("survey-uses", response_uuid=response.uuid)
    if request.method == "POST":
        try:
            use = response.add_use(*_actor(request))
        except Refused as refusal:
            return _refused(request, response, refusal)
        return redirect("survey-use", response_uuid=response.uuid, use_uuid=use.uuid)
    items = list(response.uses.all())
    context = pages.page_context(response, items, register.id, request)
    context.update(
        section=register,
        uses=[
            pages.use_row(questionnaire, response, u, i) for i, u in enumerate(items)
        ],
        shown=register.id in context["visible_sections"],
    )
    return render(request, "survey/uses.html", context)


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


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def use_delete(request: HttpRequest, response_uuid: Any, use_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    use = _use(response, use_uuid)
    if request.method == "POST":
        try:
            response.remove_use(use, *_actor(request))
        except Refused as refusal:
            return _refused(request, response, refusal)
        messages.success(request, _("The use was removed."))
        return redirect("survey-uses", response_uuid=response.uuid)
    context = pages.page_context(response, list(response.uses.all()), "D", request)
    context["use"] = use
    return render(request, "survey/use_delete.html", context)


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
    request: HttpRequest, form: AnswerForm, current: qn.Section, target: Response | Use
) -> Any:
    form.is_valid()
    posted, _invalid = form.answers()
    version, loaded = _edit_state(request)
    edit = Edit(
        posted=posted,
        loaded=loaded,
        loaded_version=version,
        question_ids=[q.id for q in current.questions],
        overwrite=frozenset(request.POST.getlist("overwrite")),
    )
    user, ip, at = _actor(request)
    return target.save_answers(edit, user=user, ip=ip, at=at)


def _state_after(
    request: HttpRequest, current: qn.Section, target: Response | Use, result: Any
) -> tuple[int, str]:
    """The edit state to hand back to the page after a save.

    While a conflict is unresolved the page keeps its old base for that question, so
    the next save (autosave included) reports it again instead of overwriting it.
    """
    version, loaded = _edit_state(request)
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
        result = _apply(request, form, current, target)
    except Refused as refusal:
        return _refused(request, response, refusal)
    except Use.DoesNotExist:
        raise Http404 from None
    form.state = _state_after(request, current, target, result)
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
    version, loaded = _state_after(request, current, target, result)
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
        conflicts=getattr(form, "conflicts", []),
        shown=current.id in context["visible_sections"],
    )
    return render(request, "survey/section.html", context)


# Review, submit, receipt, export -----------------------------------------------------


@login_required
@never_cache
@require_safe
def review(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    items = list(response.uses.all())
    context = pages.page_context(response, items, "review", request)
    context.update(pages.review_context(response, items))
    questionnaire = response.campaign.questionnaire.parsed
    org = context["org_answers"]
    context["warnings"] = (
        soft_checks(
            questionnaire,
            org,
            [questionnaire.visible_use_answers(u.answers, org) for u in items],
            response.campaign.vendor.name,
        )
        if response.route == "dependence"
        else []
    )
    context["is_signatory"] = _role(request, response) == Membership.Role.SIGNATORY
    return render(request, "survey/review.html", context)


@login_required
@never_cache
@require_POST
def submit(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    if request.POST.get("confirmed") != "1":
        # A legal commitment takes a second, explicit step (WCAG 3.3.4): say what is
        # about to be attested, for whom, and ask again; refused as the submit would be.
        if response.submitted_at and not response.is_editable:
            return redirect("survey-receipt", response_uuid=response.uuid)
        now = request.received_at  # type: ignore[attr-defined]
        if reason := response.submit_refusal(request.user, now):  # type: ignore[arg-type]
            return _refused(request, response, Refused(reason))
        items = list(response.uses.all())
        questionnaire = response.campaign.questionnaire.parsed
        uses_count = len(items) if questionnaire.register_shown(response.answers) else 0
        context = pages.page_context(response, items, "review", request)
        context.update(
            attestation=response.attestation_text(),
            uses_count=uses_count,
            submit_url=request.path,
        )
        return render(request, "survey/confirm.html", context)
    try:
        submission = response.submit(*_actor(request))
    except Incomplete:
        messages.error(
            request, _("Some required answers are missing: see the list below.")
        )
        return redirect("survey-review", response_uuid=response.uuid)
    except Refused as refusal:
        return _refused(request, response, refusal)
    if submission is None:
        # A double click or a resubmitted form: the first submission stands.
        messages.info(request, _("This response was already submitted."))
    return redirect("survey-receipt", response_uuid=response.uuid)


@login_required
@never_cache
@require_safe
def receipt(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    submission = response.submissions.select_related("submitted_by").last()
    if submission is None:
        raise Http404
    zone = response.campaign.display_timezone
    context = pages.page_context(
        response, list(response.uses.all()), "receipt", request
    )
    context.update(
        submission=submission,
        submitted_utc=f"{submission.submitted_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        submitted_local=describe(submission.submitted_at, zone),
    )
    return render(request, "survey/receipt.html", context)


@login_required
@never_cache
@require_GET
def export(request: HttpRequest, response_uuid: Any) -> FileResponse:
    response = _response(request, response_uuid)
    # An anonymous temporary file: nothing stays on disk, and FileResponse closes it.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    exports.response_workbook(response, list(response.uses.all()), handle)
    handle.seek(0)
    AuditEvent.record(
        "response.exported",
        actor=request.user,
        obj=response,
        organisation=response.organisation,
        campaign=response.campaign,
        ip=client_ip(request),
    )
    filename = f"{response.campaign.slug}-{response.organisation.uei}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


@login_required
@never_cache
@require_safe
def attachment(
    request: HttpRequest, response_uuid: Any, attachment_uuid: Any
) -> FileResponse:
    response = _response(request, response_uuid)
    stored = get_object_or_404(response.attachments, uuid=attachment_uuid)
    return FileResponse(
        BytesIO(bytes(stored.content)),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )


# Accounts ----------------------------------------------------------------------------


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """django-axes' answer to a login on a locked account: the same for unknown ones."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=429,
    )


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's password reset; a new password also lifts a login lockout."""

    def form_valid(self, form: Any) -> HttpResponse:
        axes_reset(username=form.user.get_username())
        return super().form_valid(form)


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.usable(token)
    if invitation is None:
        return render(request, "survey/invitation_invalid.html", status=404)
    user = User.objects.filter(email=invitation.email).first() or User(
        email=invitation.email, full_name=invitation.full_name
    )
    form = AcceptInvitationForm(
        user, request.POST or None, initial={"full_name": user.full_name}
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not invitation.mark_accepted():
                return render(request, "survey/invitation_invalid.html", status=404)
            user.full_name = form.cleaned_data["full_name"]
            form.save()
            Membership.objects.get_or_create(
                user=user,
                organisation=invitation.organisation,
                defaults={"role": invitation.role},
            )
            AuditEvent.record(
                "invitation.accepted",
                actor=user,
                obj=invitation,
                organisation=invitation.organisation,
                ip=client_ip(request),
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("survey-home")
    return render(
        request, "survey/invitation.html", {"form": form, "invitation": invitation}
    )
