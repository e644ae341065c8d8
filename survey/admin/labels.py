"""Labels instead of codes on reviewer screens, worked out once, not per row.

A questionnaire definition never changes once stored, so its option labels are cached by
(definition digest, vendor, language): safe on every server, and a list of a thousand uses
does not parse the definition a thousand times. The digest, not the version's pk, is the
key: a pk can come back for another definition (a test database reuses them), a digest
cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from survey import questionnaire as qn
from survey.models import QuestionnaireVersion
from survey.pages import BAND_LABELS

# Factor columns, with what each letter stands for (spec §2.2).
FACTORS = {
    "c": _("C: criticality"),
    "t": _("T: time to replace"),
    "sub": _("Sub: substitutability"),
    "a": _("A: alternative credit"),
    "s": _("S: substitution difficulty"),
    "e": _("E: exposure"),
    "r": _("R: reliance"),
    "m": _("M: multiplier"),
}


def _factor(code: str) -> Callable[[Any, Any], Any]:
    """A use's stored factor as an admin column, headed by what the letter stands for."""

    @admin.display(description=FACTORS[code])
    def show(self: Any, use: Any) -> Any:
        return getattr(use, code)

    return show


class UseLabels:
    """Display columns of a use for the admin: labels, money, factor legends.

    A list of uses spans campaigns, and so questionnaires: no header names a question id.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The columns need the version's digest, not its definition: a large JSON a row.
        return digests_only(super().get_queryset(request))  # type: ignore[misc]

    @admin.display(description=_("channel"), ordering="channel")
    def channel_label(self, use: Any) -> str:
        return column(use, "channel")

    @admin.display(description=_("criticality"), ordering="criticality")
    def criticality_label(self, use: Any) -> str:
        return column(use, "criticality")

    @admin.display(description=_("function"), ordering="function")
    def function_label(self, use: Any) -> str:
        return column(use, "function")

    @admin.display(description=_("transition cost"), ordering="cost")
    def cost_money(self, use: Any) -> str:
        return money(use.cost)

    @admin.display(description=_("band"), ordering="band")
    def band_label(self, use: Any) -> str:
        return band(use.band)

    c_factor = _factor("c")
    t_factor = _factor("t")
    sub_factor = _factor("sub")
    a_factor = _factor("a")
    s_factor = _factor("s")
    e_factor = _factor("e")
    r_factor = _factor("r")
    m_factor = _factor("m")


FACTOR_FIELDS = [f"{code}_factor" for code in FACTORS]


# A use's questionnaire version: lists of uses join it (select_related) for its digest.
VERSION = "response__campaign__questionnaire"


def digests_only(uses: QuerySet[Any]) -> QuerySet[Any]:
    """Uses whose joined version brings its digest, the label caches' key, but not its
    definition, which only a cache miss reads."""
    return uses.defer(f"{VERSION}__definition")


@lru_cache(maxsize=64)
def _options(digest: str, vendor: str, language: str) -> dict[str, dict[str, str]]:
    parsed = QuestionnaireVersion.objects.get(digest=digest).parsed
    found: dict[str, dict[str, str]] = {}
    for question in parsed.questions:
        values = qn.FIXED_OPTIONS.get(question.type) or [
            o.value for o in question.options
        ]
        found[question.id] = {v: qn.display(question, v, vendor) for v in values}
    return found


def option(digest: str, vendor: str, qid: str, code: str) -> str:
    """The label of an answer code in the definition with this digest, in the admin's
    language ("" stays "")."""
    if not code:
        return ""
    labels = _options(digest, vendor, (get_language() or "en")[:2])
    return labels.get(qid, {}).get(code, code)


@lru_cache(maxsize=64)
def _binding(digest: str, name: str) -> str:
    return QuestionnaireVersion.objects.get(digest=digest).parsed.binding(name)


def column(use: Any, name: str) -> str:
    """The label of the code a use stores in one of its columns (channel, ...)."""
    campaign = use.response.campaign
    digest = campaign.questionnaire.digest
    qid = _binding(digest, name)
    return option(digest, campaign.vendor.name, qid, getattr(use, name))


@lru_cache(maxsize=8)
def _bands(language: str) -> dict[str, str]:
    return {code: str(label) for code, label in BAND_LABELS.items()}


def band(code: str) -> str:
    return _bands((get_language() or "en")[:2]).get(code, code) if code else ""


def money(value: Decimal | None) -> str:
    return f"{value:,.2f} USD" if value is not None else "—"


def details(value: Any) -> list[str]:
    """An audit event's details as readable lines ("questions: A1, A4")."""
    if not isinstance(value, dict):
        return [str(value)] if value else []
    return [f"{key}: {_plain(item)}" for key, item in value.items()]


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return "—" if value in (None, "") else str(value)


@lru_cache(maxsize=8)
def _flag_badges(language: str) -> dict[str, tuple[str, str]]:
    names = {
        "late": (_("submitted after the deadline"), _("late")),
        "flag_nss": (_("national security system"), _("NSS")),
        "flag_classified": (_("classified environment"), _("classified")),
        "flag_deliverable": (_("part of a deliverable"), _("deliverable")),
        "flag_policy_friction": (_("policy friction"), _("policy")),
        "flag_unresolved": (_("unresolved"), _("unresolved")),
    }
    return {k: (str(title), str(short)) for k, (title, short) in names.items()}


def flag_badges() -> dict[str, tuple[str, str]]:
    """Response flags as (title, short badge text), in the admin's language, made once."""
    return _flag_badges((get_language() or "en")[:2])
