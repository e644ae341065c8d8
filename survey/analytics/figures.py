"""Counts of responses, contractors and uses (spec §3 Summary, By program, By channel)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, Min, Q, When

from survey.analytics.sources import (
    BANDS,
    TIERS,
    Filter,
    counted_uses,
    platform,
)
from survey.analytics.totals import (
    CROSSTABS,
    USE_FLAGS,
    Totals,
    answer_text,
    options,
    scan,
)
from survey.models import Campaign, Response

TOP_INTERMEDIARIES = 10


@dataclass(frozen=True)
class Tally:
    key: str
    count: int


@dataclass(frozen=True)
class Status:
    counts: tuple[Tally, ...]
    total: int
    responded: int
    non_respondents: int
    overdue: int
    late: int
    withdrawn: int


def status(campaign: Campaign, now: datetime) -> Status:
    """Where the responses stand (live rows; one query)."""
    responses = Response.objects.filter(campaign=campaign).with_deadline()
    active = ~Q(status=Response.Status.WITHDRAWN)
    figures = responses.aggregate(
        total=Count("pk", filter=active),
        responded=Count("pk", filter=active & Q(submitted_at__isnull=False)),
        overdue=Count(
            "pk", filter=active & Q(submitted_at__isnull=True, _deadline__lte=now)
        ),
        late=Count("pk", filter=Response.late_q(now)),
        withdrawn=Count("pk", filter=~active),
        **{
            f"s_{value}": Count("pk", filter=Q(status=value))
            for value in Response.Status.values
        },
    )
    return Status(
        counts=tuple(
            Tally(value, figures[f"s_{value}"]) for value in Response.Status.values
        ),
        total=figures["total"],
        responded=figures["responded"],
        non_respondents=figures["total"] - figures["responded"],
        overdue=figures["overdue"],
        late=figures["late"],
        withdrawn=figures["withdrawn"],
    )


@dataclass(frozen=True)
class DependencyTypes:
    contractors: int
    none_attested: int
    direct: int
    indirect_only: int
    direct_unknown: int
    unresolved: int


def dependency_types(
    campaign: Campaign, flt: Filter, totals: Totals | None = None
) -> DependencyTypes:
    """Contractors by how they depend on the vendor (spec §3 Summary)."""
    scores = (totals or scan(campaign, flt)).scores
    return DependencyTypes(**{f.name: scores[f.name] for f in fields(DependencyTypes)})


@dataclass(frozen=True)
class Bands:
    """Uses by band, and contractors by tier, computed and with overrides."""

    uses: tuple[Tally, ...]
    uses_total: int
    tiers: tuple[Tally, ...]
    effective_tiers: tuple[Tally, ...]
    flags: Mapping[str, int]


def bands(campaign: Campaign, flt: Filter, totals: Totals | None = None) -> Bands:
    totals = totals or scan(campaign, flt)
    uses, tiers = totals.uses, totals.scores
    return Bands(
        uses=tuple(Tally(b, uses[f"b_{b}"]) for b in BANDS),
        uses_total=uses["total"],
        tiers=tuple(Tally(t, tiers[f"t_{t}"]) for t in TIERS),
        effective_tiers=tuple(Tally(t, tiers[f"e_{t}"]) for t in TIERS),
        flags={flag: uses[f"f_{flag}"] for flag in USE_FLAGS},
    )


@dataclass(frozen=True)
class ProgramRow:
    program_key: str
    program: str
    piids: tuple[str, ...]  # the first and the last, by PIID
    piid_count: int
    contractors: int
    uses: int
    bands: tuple[Tally, ...]
    max_dri: float | None
    cost: Decimal
    unknown_costs: int
    max_days: int | None
    nss: int
    deliverable: int


def by_program(
    campaign: Campaign, flt: Filter, limit: int | None = None
) -> tuple[ProgramRow, ...]:
    """Which programs break: uses and their figures per program (D5 → A6), one query.

    A use that supports two contracts of one program counts once for that program,
    its cost included, hence the grouping over distinct (program, use) pairs. The
    links of the counted uses are read once (a CTE) for those pairs and for the PIIDs
    of each program, counted and the first and last named. With a program filter, only
    that program's row; `limit` keeps the programs with the most uses.
    """
    # The counted uses joined to their contracts, with the use columns carried along
    # (the ORM applies the filter's conditions to the uses themselves).
    links = (
        counted_uses(campaign, flt)
        .filter(contracts__isnull=False)
        .order_by()
        .values_list(
            "contracts__program_key",
            "contracts__program",
            "contracts__piid",
            "pk",
            "response_id",
            "band",
            "dri",
            "cost",
            "days",
            "flag_nss",
            "flag_deliverable",
        )
    )
    links_sql, links_params = links.query.sql_with_params()
    band_columns = ", ".join(
        "SUM(CASE WHEN p.band = %s THEN 1 ELSE 0 END)" for _b in BANDS
    )
    # The program filter already narrowed the counted uses; their other programs are
    # dropped below (a condition on program_key here made SQLite probe every contract
    # of the program against every counted use).
    top = f"LIMIT {int(limit)}" if limit and not flt.program else ""
    sql = f"""
        WITH links (program_key, program, piid, use_id, response_id, band, dri, cost,
                    days, flag_nss, flag_deliverable) AS ({links_sql}),
        pairs AS (
            SELECT DISTINCT program_key, use_id, response_id, band, dri, cost, days,
                   flag_nss, flag_deliverable
            FROM links
        ),
        piids AS (
            SELECT program_key, MIN(program) AS program, COUNT(DISTINCT piid) AS n,
                   MIN(piid) AS first_piid, MAX(piid) AS last_piid
            FROM links GROUP BY program_key
        )
        SELECT p.program_key, MAX(pi.program), COUNT(DISTINCT p.response_id), COUNT(*),
               {band_columns},
               MAX(p.dri), SUM(p.cost),
               SUM(CASE WHEN p.cost IS NULL THEN 1 ELSE 0 END), MAX(p.days),
               SUM(CASE WHEN p.flag_nss THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.flag_deliverable THEN 1 ELSE 0 END),
               MAX(pi.n), MAX(pi.first_piid), MAX(pi.last_piid)
        FROM pairs p JOIN piids pi ON pi.program_key = p.program_key
        GROUP BY p.program_key
        ORDER BY COUNT(*) DESC, p.program_key
        {top}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*links_params, *BANDS])
        rows = [r for r in cursor.fetchall() if not flt.program or r[0] == flt.program]
    width = len(BANDS)
    return tuple(
        ProgramRow(
            program_key=row[0],
            program=row[1],
            piids=tuple(dict.fromkeys(row[11 + width : 13 + width])),
            piid_count=int(row[10 + width] or 0),
            contractors=row[2],
            uses=row[3],
            bands=tuple(
                Tally(b, int(n or 0))
                for b, n in zip(BANDS, row[4 : 4 + width], strict=True)
            ),
            max_dri=row[4 + width],
            cost=Decimal(str(row[5 + width] or 0)).quantize(Decimal("0.01")),
            unknown_costs=int(row[6 + width] or 0),
            max_days=row[7 + width],
            nss=int(row[8 + width] or 0),
            deliverable=int(row[9 + width] or 0),
        )
        for row in rows
    )


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    contractors: int
    uses: int
    share: float  # % of the counted uses


@dataclass(frozen=True)
class Channels:
    channels: tuple[Share, ...]
    intermediaries: tuple[Share, ...]
    uses_total: int


def channels(campaign: Campaign, flt: Filter, totals: Totals | None = None) -> Channels:
    """Through which channels and platforms the dependence flows (two queries)."""
    uses = counted_uses(campaign, flt)
    total = (totals or scan(campaign, flt)).uses["total"]

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    by_channel = (
        uses.values("channel")
        .annotate(n=Count("pk"), c=Count("response", distinct=True))
        .order_by("-n", "channel")
    )
    by_platform = (
        uses.exclude(intermediary_key="")
        .annotate(
            _platform=platform(),
            # An aliased platform goes by its alias; others by a spelling typed.
            _label=Case(
                When(platform=F("intermediary_key"), then=F("intermediary")),
                default=F("platform"),
            ),
        )
        .values("_platform")
        .annotate(
            n=Count("pk"),
            c=Count("response", distinct=True),
            label=Min("_label"),
        )
        .order_by("-n", "_platform")[:TOP_INTERMEDIARIES]
    )
    return Channels(
        channels=tuple(
            Share(r["channel"], r["channel"], r["c"], r["n"], share(r["n"]))
            for r in by_channel
        ),
        intermediaries=tuple(
            Share(r["_platform"], r["label"], r["c"], r["n"], share(r["n"]))
            for r in by_platform
        ),
        uses_total=total,
    )


@dataclass(frozen=True)
class CrossTab:
    """Uses counted by two answers (spec §3 By classification, By function)."""

    row: str  # the column of the rows: classification, function, stage, oversight, data
    column: str  # band or nss
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


def crosstabs(campaign: Campaign, flt: Filter) -> tuple[CrossTab, ...]:
    """Two GROUP BY queries: the use columns together, and D9's lists by band.

    The groups (a few hundred combinations of codes) are added up here.
    """
    uses = counted_uses(campaign, flt).order_by()
    columns = sorted({c for pair in CROSSTABS for c in pair})
    cells: Counter[tuple[str, str, str, str]] = Counter()
    for group in uses.values(*columns).annotate(n=Count("pk")):
        for row, column in CROSSTABS:
            cells[(row, group[row], column, group[column])] += group["n"]
    data = uses.annotate(_data=answer_text(campaign.questionnaire.parsed, "data"))
    for band, text, n in (
        data.values("band", "_data")
        .annotate(n=Count("pk"))
        .values_list("band", "_data", "n")
    ):
        for code in _codes(text):
            cells[("data", code, "band", band)] += n
    tables = []
    for row, column in (*CROSSTABS, ("data", "band")):
        rows, others = options(campaign, row), options(campaign, column)
        if not rows or not others:
            continue  # the questionnaire does not ask one of the two questions
        tables.append(
            CrossTab(
                row,
                column,
                rows,
                others,
                tuple(
                    tuple(cells[(row, value, column, other)] for other in others)
                    for value in rows
                ),
            )
        )
    return tuple(tables)


def _codes(text: str | None) -> list[str]:
    """The codes of a stored multiple choice (its JSON text, as the database gives it)."""
    try:
        value = json.loads(text) if text else []
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
