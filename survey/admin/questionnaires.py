"""Questionnaire versions: upload (workbook or JSON), preview and download as a workbook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from survey import questionnaire as qn
from survey.admin.audited import AuditedMixin
from survey.audit import client_ip
from survey.forms import AnswerForm
from survey.models import AuditEvent, QuestionnaireVersion
from survey.xlsform import WorkbookError, read_definition, write_workbook
from survey.xlsform.expressions import format_condition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_PERMISSION = "survey.add_questionnaireversion"
# Shown where a campaign would put its vendor's name.
VENDOR_PLACEHOLDER = "{vendor}"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Definition file (.xlsx or .json)"),
        help_text=_(
            "A workbook with the survey, choices, subfields, settings and checks "
            "sheets (download one from any version to start), or a JSON definition."
        ),
    )
    # A definition is tens of kilobytes; this refuses zip bombs and mistakes early.
    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".json")):
            raise forms.ValidationError(_("Upload a .xlsx workbook or a .json file."))
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.")
                % {"mb": self.MAX_BYTES // (1024 * 1024)}
            )
        return upload


@dataclass(frozen=True)
class PreviewSection:
    """One section as a contractor sees it, with empty answers and nothing to submit."""

    section: qn.Section
    title: str
    intro: str
    item_label: str
    show_if: str
    attestations: list[tuple[str, str]]
    form: AnswerForm


def preview_sections(
    version: QuestionnaireVersion, vendor: str
) -> list[PreviewSection]:
    parsed = version.parsed
    raw = {s["id"]: s.get("show_if") for s in version.definition["sections"]}
    routes = [
        (gettext("When a dependence is found"), "dependence"),
        (gettext("When no dependence is found"), "no_dependence"),
        (gettext("When the inquiry is incomplete"), "inquiry_incomplete"),
    ]
    sections = []
    for section in parsed.sections:
        attests = any(q.must_be for q in section.questions)
        sections.append(
            PreviewSection(
                section=section,
                title=section.title.render(vendor),
                intro=section.intro.render(vendor) if section.intro else "",
                item_label=section.item_label.render(vendor)
                if section.item_label
                else gettext("Entry"),
                show_if=format_condition(raw[section.id]) if raw[section.id] else "",
                attestations=[
                    (label, parsed.attestation[key].render(vendor))
                    for label, key in routes
                ]
                if attests
                else [],
                form=AnswerForm(
                    section=section, vendor=vendor, answers={}, readonly=True
                ),
            )
        )
    return sections


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(AuditedMixin, admin.ModelAdmin):
    change_form_template = "admin/survey/questionnaireversion/change_form.html"
    change_list_template = "admin/survey/questionnaireversion/change_list.html"
    list_display = ["key", "version", "title", "question_count", "created_at", "links"]
    list_filter = ["key"]
    search_fields = ["key", "title"]
    # Versions are loaded from files (the upload page, manage.py load_questionnaire)
    # and never edited here.
    readonly_fields = ["key", "version", "title", "digest", "created_at", "definition"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("questions"))
    def question_count(self, obj: QuestionnaireVersion) -> int:
        return len(obj.parsed.questions)

    @admin.display(description=_("see"))
    def links(self, obj: QuestionnaireVersion) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:survey_questionnaireversion_preview", args=[obj.pk]),
            _("Preview"),
            reverse("admin:survey_questionnaireversion_workbook", args=[obj.pk]),
            _("Workbook"),
        )

    def get_urls(self) -> list[URLPattern]:
        def view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(func)

        return [
            path(
                "upload/",
                view(require_http_methods(["GET", "POST"])(self.upload_view)),
                name="survey_questionnaireversion_upload",
            ),
            path(
                "<path:object_id>/preview/",
                view(require_safe(self.preview_view)),
                name="survey_questionnaireversion_preview",
            ),
            path(
                "<path:object_id>/workbook/",
                view(require_safe(self.workbook_view)),
                name="survey_questionnaireversion_workbook",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_upload": request.user.has_perm(UPLOAD_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def _version(self, request: HttpRequest, object_id: str) -> QuestionnaireVersion:
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = self.get_object(request, unquote(object_id))
        if version is None:
            raise Http404
        return version

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every section as a contractor sees it, before any campaign uses the version."""
        version = self._version(request, object_id)
        vendor = request.GET.get("vendor", "").strip()[:200] or VENDOR_PLACEHOLDER
        parsed = version.parsed
        return TemplateResponse(
            request,
            "admin/survey/questionnaireversion/preview.html",
            {
                "version": version,
                "vendor": vendor,
                "title": parsed.title.render(vendor),
                "banner": parsed.banner.render(vendor),
                "sections": preview_sections(version, vendor),
                "change_url": reverse(
                    "admin:survey_questionnaireversion_change", args=[version.pk]
                ),
            },
        )

    def workbook_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as a workbook that the upload page reads back."""
        version = self._version(request, object_id)
        content = write_workbook(version.definition).getvalue()
        response = HttpResponse(content, content_type=XLSX)
        name = get_valid_filename(f"{version.key}-v{version.version}.xlsx")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                version = QuestionnaireVersion.objects.create_from_definition(
                    read_definition(BytesIO(upload.read()), upload.name),
                    source=upload.name,
                )
            except WorkbookError as exc:
                problems = exc.errors
            except qn.DefinitionError as exc:
                problems = [str(exc)]
            except ValidationError as exc:
                problems = exc.messages
            else:
                return self._uploaded(request, version, upload.name)
            form.add_error("file", problems)
        return TemplateResponse(
            request,
            "admin/survey/questionnaireversion/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Upload a questionnaire version"),
                "form": form,
                "problems": problems,
            },
        )

    def _uploaded(
        self, request: HttpRequest, version: QuestionnaireVersion, name: str
    ) -> HttpResponse:
        AuditEvent.record(
            "questionnaire.uploaded",
            actor=request.user,
            obj=version,
            ip=client_ip(request),
            file=name,
        )
        self.message_user(
            request,
            gettext("%(version)s was loaded (%(count)d questions).")
            % {"version": version, "count": len(version.parsed.questions)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:survey_questionnaireversion_preview", args=[version.pk])
        )
