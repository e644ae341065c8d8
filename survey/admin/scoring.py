"""Scoring configuration per campaign, as numbered versions that are only ever added."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from survey import questionnaire as qn
from survey.admin.scoping import CampaignScopedAdmin
from survey.models import Campaign, ScoringVersion
from survey.scoring import DEFAULT_CONFIG, ScoringConfig

FACTOR = {"min_value": 1, "max_value": 4}
BONUS = {"min_value": 0, "max_value": 1, "decimal_places": 2}
# The range each option factor may take (spec §2.2): C may be 0 (no mission impact), A is
# a credit taken off S.
OPTION_FACTOR_RANGES = {
    "C": (0, 4),
    "Sub": (1, 4),
    "A": (0, 3),
    "E": (1, 4),
    "R": (1, 4),
}
SIMPLE = [
    k
    for k in ScoringConfig.EDITABLE
    if k not in ("time_thresholds", "band_thresholds", "factors")
]


def _campaign(value: Any) -> Campaign | None:
    """The campaign a form or address names by id; None for anything else."""
    text = str(value or "")
    return Campaign.objects.filter(pk=text).first() if text.isdigit() else None


def campaign_in(request: HttpRequest) -> Campaign | None:
    """The campaign the add form is about: posted, else named in the address."""
    return _campaign(request.POST.get("campaign") or request.GET.get("campaign"))


def scored_options(
    campaign: Campaign,
) -> Iterator[tuple[str, qn.Question, qn.Option]]:
    """Each option a use question maps to a factor, with its field name
    ("factor__<question id>__<option code>")."""
    section = campaign.questionnaire.parsed.use_section
    for question in section.questions if section else ():
        if question.scores in OPTION_FACTOR_RANGES:
            for option in question.options:
                yield f"factor__{question.id}__{option.value}", question, option


def option_factor_fields(campaign: Campaign | None) -> dict[str, forms.IntegerField]:
    """One field per scored option of the campaign's questionnaire, starting from the
    mapping in force."""
    if campaign is None:
        return {}
    config = campaign.scoring()
    vendor = campaign.vendor.name
    fields: dict[str, forms.IntegerField] = {}
    for name, question, option in scored_options(campaign):
        low, high = OPTION_FACTOR_RANGES[question.scores]
        fields[name] = forms.IntegerField(
            label=f"{question.scores} ← {question.id}: {option.label.render(vendor)}",
            min_value=low,
            max_value=high,
            required=False,  # left empty: the mapping in force
            initial=config.factor(question.id, option.value, option.factor or 0),
        )
    return fields


class ScoringVersionForm(forms.ModelForm):
    """The editable values of scoring.ScoringConfig, with their order checked."""

    t1 = forms.IntegerField(label=_("T = 1 up to (days)"), min_value=1, max_value=3650)
    t2 = forms.IntegerField(label=_("T = 2 up to (days)"), min_value=1, max_value=3650)
    t3 = forms.IntegerField(label=_("T = 3 up to (days)"), min_value=1, max_value=3650)
    critical = forms.DecimalField(
        label=_("Critical from DRI"), min_value=0, max_value=100
    )
    high = forms.DecimalField(label=_("High from DRI"), min_value=0, max_value=100)
    medium = forms.DecimalField(label=_("Medium from DRI"), min_value=0, max_value=100)
    classified_exposure = forms.IntegerField(label=_("Classified from E"), **FACTOR)
    classified_bonus = forms.DecimalField(label=_("Classified bonus to M"), **BONUS)
    full_reliance = forms.IntegerField(label=_("Full reliance from R"), **FACTOR)
    full_reliance_bonus = forms.DecimalField(
        label=_("Full-reliance bonus to M"), **BONUS
    )
    no_alternative_floor = forms.IntegerField(
        label=_("S at least, without an alternative"), **FACTOR
    )
    extra_high_use_step = forms.DecimalField(
        label=_("CDI step per further High or Critical use"),
        min_value=0,
        max_value=20,
        decimal_places=1,
    )

    class Meta:
        model = ScoringVersion
        fields = ["campaign", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        found = _campaign(self.initial.get("campaign"))
        current = found.scoring() if found else DEFAULT_CONFIG
        for name, value in self.values_of(current).items():
            self.initial.setdefault(name, value)

    @staticmethod
    def values_of(config: ScoringConfig) -> dict[str, Any]:
        t1, t2, t3 = config.time_thresholds
        critical, high, medium = config.band_thresholds
        return {
            "t1": t1,
            "t2": t2,
            "t3": t3,
            "critical": critical,
            "high": high,
            "medium": medium,
            **{k: getattr(config, k) for k in SIMPLE},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        days = [data.get(k) for k in ("t1", "t2", "t3")]
        if None not in days and not days[0] < days[1] < days[2]:
            self.add_error("t2", _("The day bounds must rise: T = 1 < T = 2 < T = 3."))
        bands = [data.get(k) for k in ("critical", "high", "medium")]
        if None not in bands and not bands[0] > bands[1] > bands[2] > 0:
            self.add_error(
                "high", _("The bands must fall: Critical > High > Medium > 0.")
            )
        return data

    def config(self, campaign: Campaign) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "time_thresholds": [data["t1"], data["t2"], data["t3"]],
            "band_thresholds": [float(data[k]) for k in ("critical", "high", "medium")],
            **{
                k: float(data[k]) if "bonus" in k or "step" in k else data[k]
                for k in SIMPLE
            },
            "factors": self.factors(campaign),
        }

    def factors(self, campaign: Campaign) -> dict[str, dict[str, int]]:
        """The option factors that differ from the questionnaire's: the stored mapping
        stays short, and reads as what the campaign changed."""
        in_force = campaign.scoring()
        changed: dict[str, dict[str, int]] = {}
        for name, question, option in scored_options(campaign):
            own = int(option.factor or 0)
            value = self.cleaned_data.get(name)
            if value is None:
                value = int(in_force.factor(question.id, option.value, own))
            if value != own:
                changed.setdefault(question.id, {})[option.value] = value
        return changed


@admin.register(ScoringVersion)
class ScoringVersionAdmin(CampaignScopedAdmin):
    form = ScoringVersionForm
    list_display = ["campaign", "number", "note", "created_by", "created_at"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign", "created_by"]
    readonly_fields = ["number", "config", "created_by", "created_at"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            # The option factors depend on the campaign's questionnaire: a form class per
            # campaign, its fields declared so that the admin lays them out.
            fields = option_factor_fields(campaign_in(request))
            kwargs["form"] = type("ScoringVersionForm", (ScoringVersionForm,), fields)
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:
            return ["campaign", "number", "note", "config", "created_by", "created_at"]
        return [
            "campaign",
            "note",
            *ScoringVersionForm.declared_fields,
            *option_factor_fields(campaign_in(request)),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["campaign", *self.readonly_fields, "note"] if obj else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A version in force scored rows: it is never edited, only followed by another.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ScoringVersion, form: Any, change: bool
    ) -> None:
        with transaction.atomic():
            Campaign.objects.select_for_update().get(pk=obj.campaign_id)
            last = obj.campaign.scoring_versions.aggregate(n=Max("number"))["n"] or 0
            obj.number = last + 1
            obj.config = form.config(obj.campaign)
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
