"""What the figures count: the filter, and the uses and contractor scores it selects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from survey.models import (
    Campaign,
    Response,
    Submission,
    Use,
)
from survey.scoring import Band

BANDS = tuple(reversed(Band.ORDER))  # critical first
TIERS = (*BANDS, "none_attested", "unresolved")
HIGH_RISK = (Band.CRITICAL, Band.HIGH)


@dataclass(frozen=True)
class Filter:
    """The dashboard's filters, as kept in its URL; empty means "all"."""

    program: str = ""
    band: str = ""
    channel: str = ""
    intermediary: str = ""
    classification: str = ""
    status: str = ""
    include_drafts: bool = False

    KEYS = ("program", "band", "channel", "intermediary", "classification", "status")

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> Filter:
        """From a query string; a value that is not a plausible code is dropped."""
        values = {
            key: str(params.get(key) or "").strip()[:200]
            for key in cls.KEYS
            if "\x00" not in str(params.get(key) or "")
        }
        if values.get("band") not in ("", *BANDS):
            values["band"] = ""
        if values.get("status") not in ("", *Response.Status.values):
            values["status"] = ""
        drafts = str(params.get("drafts") or "") in ("1", "on", "true")
        return cls(**values, include_drafts=drafts)

    def query(self) -> dict[str, str]:
        """The filter as query-string parameters (for links that keep it)."""
        params = {key: getattr(self, key) for key in self.KEYS if getattr(self, key)}
        if self.include_drafts:
            params["drafts"] = "1"
        return params

    @property
    def narrows_uses(self) -> bool:
        return any(
            (
                self.program,
                self.band,
                self.channel,
                self.intermediary,
                self.classification,
            )
        )


# Sources ------------------------------------------------------------------------------


def platform() -> F:
    """A use's intermediary platform: an admin's alias for its name, else the name's key
    (stored on the use: Use.platform)."""
    return F("platform")


def counted_uses(campaign: Campaign, flt: Filter) -> QuerySet[Use]:
    """The uses the dependency figures count, narrowed by the filter."""
    if flt.include_drafts:
        uses = Use.objects.filter(
            response__campaign=campaign, response__route="dependence"
        ).exclude(response__status=Response.Status.WITHDRAWN)
    else:
        # The copies of each response's last submission while it is not withdrawn
        # (Use.counted_in, kept by submit and withdraw). Copies exist only where the
        # register showed, i.e. on the route "dependence".
        uses = Use.attested.filter(counted_in=campaign)
    if flt.status:
        uses = uses.filter(response__status=flt.status)
    if flt.band:
        uses = uses.filter(band=flt.band)
    if flt.channel:
        uses = uses.filter(channel=flt.channel)
    if flt.classification:
        uses = uses.filter(classification=flt.classification)
    if flt.program:
        # An IN list worked out once: a correlated EXISTS per use made SQLite scan the
        # program's contracts for every use.
        linked = Use.contracts.through.objects.filter(contract__program_key=flt.program)
        uses = uses.filter(pk__in=linked.values("use_id"))
    if flt.intermediary:
        uses = uses.filter(platform=flt.intermediary)
    return uses


def counted_scores(campaign: Campaign, flt: Filter) -> QuerySet[Any]:
    """One row of scores per counted contractor: its last Submission, or with drafts its
    live Response. Both have the same score columns (models.scores.ResponseScores)."""
    model = Response if flt.include_drafts else Submission
    override = "override_band" if flt.include_drafts else "response__override_band"
    if flt.narrows_uses:
        # The owners of the counted uses the filter keeps, found from those uses
        # alone (they are counted, so their contractor is): with the campaign and
        # status conditions beside an IN list, SQLite probed the list once per row.
        owner = "response_id" if flt.include_drafts else "submission_id"
        rows: QuerySet[Any] = model.objects.filter(
            pk__in=counted_uses(campaign, flt).values(owner)
        )
    elif flt.include_drafts:
        # Invitations nobody has answered yet have no route: they are no contractor
        # figure yet (the status figures count them).
        rows = (
            Response.objects.filter(campaign=campaign)
            .exclude(status=Response.Status.WITHDRAWN)
            .exclude(route="")
        )
    else:
        rows = Submission.objects.filter(
            response__campaign=campaign, latest=True
        ).exclude(response__status=Response.Status.WITHDRAWN)
    if flt.status:
        rows = rows.filter(
            **{"status" if flt.include_drafts else "response__status": flt.status}
        )
    return rows.annotate(effective_tier=Coalesce(NullIf(override, Value("")), "tier"))
