"""The detail sheets, Contractors and Uses: one row per contractor or use, streamed.

Rows come from the database in chunks through `values_list(...).iterator()` and go
straight into openpyxl's write-only sheets, so memory stays flat in the campaign's size.
"""

from __future__ import annotations

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _

from survey import analytics
from survey import questionnaire as qn
from survey.exports.cells import DATETIME, MONEY, Column, naive_utc
from survey.exports.columns import fields_for
from survey.exports.writer import CHUNK, Writer, contractor_rows, use_rows

_FACTORS = ("C", "T", "Sub", "A", "S", "E", "R", "M")


def _contractor_flags() -> dict[str, str]:
    return {
        "direct": _("Direct relationship"),
        "indirect_only": _("Indirect only"),
        "nss": _("NSS"),
        "classified": _("Classified"),
        "deliverable": _("Deliverable"),
        "policy_friction": _("Policy friction"),
        "assumed": _("Assumed values"),
        "unresolved": _("Unresolved"),
    }


def _use_flags() -> dict[str, str]:
    return {
        "nss": _("NSS"),
        "deliverable": _("Deliverable"),
        "classified": _("Classified"),
        "policy_friction": _("Policy friction"),
        "assumed": _("Assumed values"),
    }


class DetailSheets(Writer):
    """The Contractors and Uses sheets, also the CSV zip's two files."""

    def contractors(self) -> None:
        attested = not self.flt.include_drafts
        own = "response__" if attested else ""
        fields = fields_for(self.org_questions(), self.vendor, codes=self.options.codes)
        zone = self.zone_label
        ids = self.questionnaire.bound_ids
        sheet = self.book.sheet(
            _("Contractors"),
            [
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("CAGE codes"), "text", 14),
                Column(_("Status"), "label", 14),
                Column(_("Submission number"), "number", 10),
                Column(_("Submitted at (UTC)"), "datetime", 17),
                Column(_("Submitted at (%(zone)s)") % {"zone": zone}, "datetime", 17),
                Column(_("Reviewed at (UTC)"), "datetime", 17),
                Column(_("Reviewer"), "text", 22),
                Column(_("Carried forward from"), "text", 22),
                *(f.column for f in fields),
                Column(_("Uses"), "number", 8),
                Column(_("Max C"), "number", 8),
                Column(_("Max days to transition (%(days)s)") % ids, "number", 12),
                Column(_("Σ transition cost (%(cost)s)") % ids, "money", 16),
                Column(_("Dependency index (CDI)"), "number", 10),
                Column(_("Tier"), "label", 12),
                Column(_("Override band"), "label", 12),
                Column(_("Effective tier"), "label", 12),
                *(
                    Column(label, "number", 10)
                    for label in _contractor_flags().values()
                ),
                Column(_("Completeness (%)"), "number", 12),
                Column(_("Scoring version"), "label", 12),
            ],
        )
        readers = [f.bind(sheet) for f in fields]
        guard = sheet.guard
        status_cells = {k: guard(str(v)) for k, v in self.status.items()}
        band_cells = {k: guard(v) for k, v in self.band.items()}
        # Each contractor's uses in figures (count, max C, max days, Σ cost): one
        # GROUP BY over the counted uses, read beside the contractors in the same order
        # (by response id), instead of four correlated subqueries per contractor.
        uses = use_rows(self.campaign, self.options)
        per_response = (
            uses.order_by("response_id")
            .values("response_id")
            .annotate(n=Count("pk"), c=Max("c"), days=Max("days"), cost=Sum("cost"))
            .values_list("response_id", "n", "c", "days", "cost")
            .iterator(chunk_size=CHUNK)
        )
        rows = (
            contractor_rows(self.campaign, self.options)
            .order_by("response_id" if attested else "pk")
            .values_list(
                "response_id" if attested else "pk",
                f"{own}organisation__uei",
                f"{own}organisation__legal_name",
                f"{own}organisation__cage_codes",
                f"{own}status",
                "number" if attested else "version",
                "submitted_at",
                f"{own}reviewed_at",
                f"{own}reviewed_by__email",
                "answers",
                "cdi",
                "tier",
                f"{own}override_band",
                "effective_tier",
                *(f"flag_{k}" for k in _contractor_flags()),
                "completeness",
                "scoring_version",
                f"{own}carried_from__response__campaign__slug",
                f"{own}carried_from__number",
            )
        )
        pending = next(per_response, None)
        visible = self.questionnaire.visible_answers
        for row in rows.iterator(chunk_size=CHUNK):
            (pk, uei, name, cage, status, number, submitted, reviewed, reviewer) = row[
                :9
            ]
            answers = row[9] if attested else visible(row[9])
            if not attested:
                number = None
            while pending is not None and pending[0] < pk:
                pending = next(per_response, None)
            if pending is not None and pending[0] == pk:
                uses_n, max_c, max_days, cost = pending[1:]
            else:
                uses_n, max_c, max_days, cost = 0, None, None, None
            cdi, tier, override, effective = row[10:14]
            sheet.append_raw(
                [
                    pk,
                    guard(uei),
                    guard(name),
                    guard(cage),
                    status_cells.get(status),
                    number,
                    sheet.cell(naive_utc(submitted), DATETIME) if submitted else None,
                    sheet.cell(self.local(submitted), DATETIME) if submitted else None,
                    sheet.cell(naive_utc(reviewed), DATETIME) if reviewed else None,
                    guard(reviewer or ""),
                    # The predecessor campaign and its submission's number.
                    guard(f"{row[-2]} #{row[-1]}") if row[-1] else None,
                    *[read(answers) for read in readers],
                    uses_n,
                    max_c,
                    max_days,
                    sheet.cell(float(cost), MONEY) if cost is not None else None,
                    cdi,
                    band_cells.get(tier),
                    band_cells.get(override),
                    band_cells.get(effective),
                    *(int(v) for v in row[14:-4]),
                    row[-4],
                    guard(row[-3]),
                ]
            )
            self.step()
        self.finish(sheet)

    def org_questions(self) -> list[qn.Question]:
        return [
            q
            for section in self.questionnaire.sections
            if not section.repeatable
            for q in section.questions
        ]

    # Uses ----------------------------------------------------------------------------

    def uses(self) -> None:
        attested = not self.flt.include_drafts
        section = self.questionnaire.use_section
        questions = list(section.questions) if section else []
        fields = fields_for(questions, self.vendor, codes=self.options.codes)
        sheet = self.book.sheet(
            _("Uses"),
            [
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("Use id"), "number", 10),
                Column("#", "number", 5),
                *(f.column for f in fields),
                Column(
                    _("Platform (normalised %(intermediary)s)")
                    % self.questionnaire.bound_ids,
                    "text",
                    24,
                ),
                Column(_("Supply-chain tier"), "label", 8),
                *(Column(name, "number", 6) for name in _FACTORS),
                Column("DRI", "number", 8),
                Column(_("Band"), "label", 10),
                Column(_("Assumed factors"), "label", 12),
                *(Column(label, "number", 10) for label in _use_flags().values()),
                Column(_("Scoring version"), "label", 12),
            ],
        )
        readers = [f.bind(sheet) for f in fields]
        guard = sheet.guard
        band_cells = {k: guard(v) for k, v in self.band.items()}
        columns = [
            "response_id",
            "response__organisation__uei",
            "response__organisation__legal_name",
            "pk",
            "position",
            "answers",
            "_platform",
            "supply_tier",
            *(name.lower() for name in _FACTORS),
            "dri",
            "band",
            "assumed_factors",
            *(f"flag_{k}" for k in _use_flags()),
            "scoring_version",
        ]
        if not attested:
            # Live rows keep answers a show-if hides (a draft may bring them back):
            # the organisation's answers decide what counts.
            columns.append("response__answers")
        rows = (
            use_rows(self.campaign, self.options)
            .annotate(_platform=analytics.sources.platform())
            .order_by("response_id", "position", "pk")
            .values_list(*columns)
        )
        visible = self.questionnaire.visible_use_answers
        last_response, org = None, {}
        flags = len(_use_flags())
        for row in rows.iterator(chunk_size=CHUNK):
            answers = row[5]
            if not attested:
                if row[0] != last_response:
                    last_response, org = (
                        row[0],
                        self.questionnaire.visible_answers(row[-1]),
                    )
                answers = visible(answers, org)
                row = row[:-1]
            factors = row[8:16]
            rest = row[16:]
            sheet.append_raw(
                [
                    row[0],
                    guard(row[1]),
                    guard(row[2]),
                    row[3],
                    row[4],
                    *[read(answers) for read in readers],
                    guard(row[6] or ""),
                    guard(row[7]),
                    *factors,
                    rest[0],
                    band_cells.get(rest[1]),
                    guard(rest[2]),
                    *(int(v) for v in rest[3 : 3 + flags]),
                    guard(rest[3 + flags]),
                ]
            )
            self.step()
        self.finish(sheet)
