"""Forms of the admin's review, extension and import pages (validation only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from survey import readable
from survey.deadlines import describe, known_zones, validate_instant, zone_label
from survey.models import Campaign, QuestionnaireVersion, Response, Use
from survey.scoring import Band

BAND_CHOICES = [
    ("", _("No override (use the computed band)")),
    (Band.NONE, _("None")),
    (Band.LOW, _("Low")),
    (Band.MEDIUM, _("Medium")),
    (Band.HIGH, _("High")),
    (Band.CRITICAL, _("Critical")),
]


class ReturnForm(forms.Form):
    """One optional comment box beside every answered question of a response."""

    def __init__(
        self, response: Response, uses: list[Use], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        questionnaire = response.campaign.questionnaire.parsed
        vendor = response.campaign.vendor.name
        # A message on the response as a whole (stored with no question id), then the
        # questions, each behind its section's disclosure on the page.
        self.fields["message"] = forms.CharField(
            label=_("Message to the organisation"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        )
        self.targets: dict[str, tuple[str, Use | None]] = {"message": ("", None)}
        self.groups: list[tuple[str, list[tuple[readable.Line, Any]]]] = []
        answers = questionnaire.visible_answers(response.answers)
        for block in readable.blocks(questionnaire, answers, [], vendor):
            self.groups.append((block.title, self._fields(block, None)))
        section = questionnaire.use_section
        for use in uses:
            use_answers = questionnaire.visible_use_answers(use.answers, answers)
            lines = (
                readable.section_lines(section, use_answers, vendor) if section else ()
            )
            title = _("Use %(position)s: %(name)s") % {
                "position": use.position,
                "name": use.name,
            }
            self.groups.append(
                (str(title), self._fields(readable.Block(title, lines), use))
            )

    def opened(self, rows: list[tuple[readable.Line, Any]]) -> bool:
        """Whether a section's disclosure starts open: it holds something typed."""
        return any(field.value() or field.errors for _line, field in rows)

    def _fields(
        self, block: readable.Block, use: Use | None
    ) -> list[tuple[readable.Line, Any]]:
        rows = []
        for line in block.lines:
            name = f"c_{use.pk}_{line.question_id}" if use else f"c_{line.question_id}"
            self.fields[name] = forms.CharField(
                label=_("Comment on %(id)s") % {"id": line.question_id},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
            )
            self.targets[name] = (line.question_id, use)
            rows.append((line, self[name]))
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any((data.get(name) or "").strip() for name in self.targets):
            raise forms.ValidationError(
                _("Write a message or comment on at least one question.")
            )
        return data

    def comments(self) -> list[tuple[str, Use | None, str]]:
        return [
            (question_id, use, self.cleaned_data[name])
            for name, (question_id, use) in self.targets.items()
            if self.cleaned_data.get(name, "").strip()
        ]


class BulkReturnForm(forms.Form):
    """One comment on one organisation-level question, for every selected response."""

    question = forms.ChoiceField(label=_("Question"))
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, responses: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seen: dict[str, str] = {}
        versions = {r.campaign.questionnaire_id: r.campaign for r in responses}
        for campaign in versions.values():
            questionnaire = campaign.questionnaire.parsed
            for section in questionnaire.sections:
                if section.repeatable:
                    continue
                for question in section.questions:
                    label = question.label.render(campaign.vendor.name)
                    seen.setdefault(question.id, f"{question.id} – {label[:80]}")
        self.fields["question"].choices = list(seen.items())


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )


class OverrideForm(forms.Form):
    band = forms.ChoiceField(label=_("Band"), choices=BAND_CHOICES, required=False)
    justification = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4})
    )


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in one zone (the campaign's), entered and shown in that zone.

    The server's and the browser's zones play no part: "17:00" in America/New_York is
    22:00 UTC in winter and 21:00 UTC in summer. The cleaned value is an aware instant.
    """

    widget = forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
    )
    input_formats = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]

    def __init__(self, zone: str, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(**kwargs)
        self.label = _("%(label)s (%(zone)s time)") % {
            "label": self.label or "",
            "zone": zone_label(zone),
        }

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.make_naive(value, ZoneInfo(self.zone))
        return value

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value
        with timezone.override(ZoneInfo(self.zone)):
            # Parses, then reads the wall-clock time in the zone; a time that a DST
            # change skips or repeats is a field error (Django's from_current_timezone).
            parsed = super().to_python(value)
        if parsed is not None:
            validate_instant(parsed)
        return parsed

    def describe(self, value: Any) -> str:
        """The stored instant in the zone with UTC beside it, for the help text."""
        return describe(value, self.zone) if isinstance(value, datetime) else ""


def _help(field: LocalDateTimeField, stored: datetime | None) -> str:
    text = _("Entered and shown in the campaign's time zone, %(zone)s.") % {
        "zone": field.zone
    }
    if stored is not None:
        text += " " + _("Now: %(instant)s.") % {"instant": field.describe(stored)}
    return text


class ExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, zone: str, *args: Any, current: datetime | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = LocalDateTimeField(zone, label=_("New deadline"))
        field.help_text = _help(field, current)
        self.fields = {"deadline": field, **self.fields}


class CampaignForm(forms.ModelForm):
    """The campaign; its opening and deadline are read in its display time zone."""

    ZONED = ("opens_at", "deadline")

    class Meta:
        model = Campaign
        fields = [
            "vendor",
            "questionnaire",
            "predecessor",
            "slug",
            "title",
            "instructions",
            "opens_at",
            "deadline",
            "display_timezone",
            "handling_banner",
            "status",
            "require_signed_attestation",
            "reminder_offsets",
            "target_removal_date",
            "reviewers",
        ]
        # A plain date input: the admin's calendar widget notes the browser's offset from
        # the server's time, which means nothing for a date of the campaign's zone.
        widgets = {
            "target_removal_date": forms.DateInput(
                attrs={"type": "date"}, format="%Y-%m-%d"
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_zone = (
            self.instance.display_timezone or settings.DEFAULT_DISPLAY_TIME_ZONE
        )
        zone = self.data.get(self.add_prefix("display_timezone"))
        if zone not in known_zones():
            zone = self.shown_zone
        for name in self.ZONED:
            if name not in self.fields:
                continue
            model_field = Campaign._meta.get_field(name)
            field = LocalDateTimeField(
                zone,
                label=model_field.verbose_name.capitalize(),
                required=self.fields[name].required,
            )
            field.help_text = _help(field, getattr(self.instance, name, None))
            self.fields[name] = field
        self._lock_questionnaire()

    def _lock_questionnaire(self) -> None:
        """Once the campaign has responses its version changes only through the move
        page, which carries their answers and says what would be dropped (DL-8)."""
        field = self.fields.get("questionnaire")
        if field is None or self.instance.pk is None:
            return
        if not self.instance.responses.exists():
            return
        field.disabled = True
        field.help_text = format_html(
            '{} <a href="{}">{}</a>.',
            _("The campaign has responses: its version changes only through"),
            reverse("admin:survey_campaign_move", args=[self.instance.pk]),
            _("Move to another questionnaire version"),
        )

    def clean(self) -> dict[str, Any]:
        """A new time zone keeps the instants of the times left as they were shown.

        The form showed them in the old zone; read in the new one they would silently
        move. A time edited in the same save as a zone change is ambiguous: refused.
        """
        data = super().clean()
        if not self.instance.pk or data.get("display_timezone") in (
            None,
            self.shown_zone,
        ):
            return data
        old = LocalDateTimeField(self.shown_zone)
        for name in self.ZONED:
            stored = getattr(self.instance, name)
            typed = self.data.get(self.add_prefix(name), "")
            if name not in data or stored is None:
                continue
            if old.to_python(typed) == stored:
                data[name] = stored
            else:
                self.add_error(
                    name,
                    _(
                        "Change the time zone and the times in two saves, so that it "
                        "is clear in which zone this time is meant."
                    ),
                )
        return data

    def clean_reminder_offsets(self) -> list[int]:
        # The reminder command trusts this list: whole hours, each at most 60 days.
        value = self.cleaned_data["reminder_offsets"] or []
        if not isinstance(value, list) or not all(
            isinstance(h, int) and not isinstance(h, bool) and 0 < h <= 1440
            for h in value
        ):
            raise forms.ValidationError(
                _(
                    "Give a list of whole hours between 1 and 1440, e.g. [168, 72, 24, 4]."
                )
            )
        return sorted(set(value), reverse=True)


class MoveForm(forms.Form):
    """The version a campaign moves to: another version of its own questionnaire."""

    version = forms.ModelChoiceField(
        label=_("Move to questionnaire version"), queryset=QuestionnaireVersion.objects
    )
    # The fingerprint of the preview being confirmed (MoveReport.fingerprint).
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = campaign.questionnaire
        self.fields["version"].queryset = QuestionnaireVersion.objects.filter(
            key=current.key
        ).exclude(pk=current.pk)
        self.fields["version"].help_text = _(
            "Now: %(current)s. Only versions of the same questionnaire are listed."
        ) % {"current": current}


class ImportForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.all()
    )
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        help_text=_(
            "Columns: legal name, UEI, CAGE codes, contact name, email, role "
            "(preparer or signatory)."
        ),
    )
    # Far above any real contact list; refuses zip bombs and mistakes early.
    MAX_BYTES = 5 * 1024 * 1024

    send_emails = forms.BooleanField(
        label=_("Send the invitation emails now"), required=False, initial=True
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.")
                % {"mb": self.MAX_BYTES // (1024 * 1024)}
            )
        return upload
