"""The sheets that say how to read the workbook: Method, Codebook, Sanitised cells and
Manifest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

import survey
from survey import questionnaire as qn
from survey.exports.cells import (
    EXCEL_CELL_LIMIT,
    Column,
    excel_length,
    naive_utc,
    utf16_parts,
)
from survey.exports.writer import Writer


class ReferenceSheets(Writer):
    """The Method, Codebook, Sanitised cells and Manifest sheets."""

    def method(self) -> None:
        config = self.campaign.scoring()
        sheet = self.book.sheet(
            _("Method"),
            [Column(_("Item"), "label", 40), Column(_("Value"), "label", 90)],
        )
        rows = [
            (_("Scoring version"), config.version),
            (_("Questionnaire version"), str(self.campaign.questionnaire)),
            (
                _("Substitution difficulty"),
                _(
                    "S = max(1, max(T, Sub) − A); with no alternative identified "
                    "(%(alternative)s = No), S is at least the floor below."
                )
                % self.questionnaire.bound_ids,
            ),
            (
                _("Formula"),
                _(
                    "Core = C × S (0–16); M = 1 + classified bonus if E ≥ the "
                    "exposure threshold + reliance bonus if R ≥ the reliance "
                    "threshold; DRI = round(100 × Core × M / normaliser, 1). Per "
                    "contractor: CDI = min(100, max DRI + step × (High or Critical "
                    "uses − 1)); tier = band of CDI, or None (attested), or "
                    "Unresolved."
                ),
            ),
            (_("Step per extra High or Critical use"), str(config.extra_high_use_step)),
            (_("Normaliser"), str(config.normaliser)),
            (
                _("Band thresholds (DRI ≥ Critical, High, Medium)"),
                ", ".join(str(v) for v in config.band_thresholds),
            ),
            (
                _("Time thresholds (days for T = 1, 2, 3; beyond or unknown T = 4)"),
                ", ".join(str(v) for v in config.time_thresholds),
            ),
            (
                _("Classified exposure (E ≥) and bonus"),
                f"{config.classified_exposure}, +{config.classified_bonus}",
            ),
            (
                _("Full reliance (R ≥) and bonus"),
                f"{config.full_reliance}, +{config.full_reliance_bonus}",
            ),
            (
                _("No identified alternative: Sub at least"),
                str(config.no_alternative_floor),
            ),
            (
                _("What counts"),
                _(
                    "Dependency figures count the last submission of each response "
                    "that has one (submitted, in review, escalated, accepted, and "
                    "returned while being amended); withdrawn responses count nowhere. "
                    "With drafts included, the live rows are counted instead."
                ),
            ),
            (
                _("NSS"),
                _("National security system (44 U.S.C. 3552), as answered in %(nss)s.")
                % self.questionnaire.bound_ids,
            ),
            (
                _("Reasonable inquiry"),
                _(
                    "An inquiry of the records and people that could know of a use, "
                    "short of a full audit of every supplier."
                ),
            ),
        ]
        section = self.questionnaire.use_section
        for question in section.questions if section else ():
            if question.scores:
                for option in question.options:
                    if option.factor is not None:
                        # The campaign's mapping where it changed the questionnaire's.
                        factor = config.factor(question.id, option.value, option.factor)
                        rows.append(
                            (
                                f"{question.scores} ← {question.id}={option.value}",
                                f"{factor:g} ({option.label.render(self.vendor)})",
                            )
                        )
        for label, value in rows:
            sheet.append([label, value])
        self.finish(sheet)

    def codebook(self) -> None:
        config = self.campaign.scoring()
        sheet = self.book.sheet(
            _("Codebook"),
            [
                Column(_("Question id"), "label", 10),
                Column(_("Section"), "label", 8),
                Column(_("Type"), "label", 12),
                Column(_("Label"), "label", 70),
                Column(_("Option code"), "label", 18),
                Column(_("Option label"), "label", 40),
                Column(_("Factor"), "number", 8),
                Column(_("Required"), "number", 9),
                Column(_("Questionnaire version"), "label", 18),
            ],
        )
        version = str(self.campaign.questionnaire)
        for question in self.questionnaire.questions:
            label = question.label.render(self.vendor)
            sheet.append(
                [
                    question.id,
                    question.section_id,
                    question.type,
                    label,
                    None,
                    None,
                    None,
                    int(question.required),
                    version,
                ]
            )
            values: Sequence[tuple[str, str, float | None]]
            if question.type in qn.FIXED_OPTIONS:
                values = [
                    (v, qn.display(question, v, self.vendor), None)
                    for v in qn.FIXED_OPTIONS[question.type]
                ]
            else:
                values = [
                    (
                        o.value,
                        o.label.render(self.vendor),
                        None
                        if o.factor is None
                        else config.factor(question.id, o.value, o.factor),
                    )
                    for o in question.options
                ]
            for code, option_label, factor in values:
                sheet.append(
                    [
                        question.id,
                        question.section_id,
                        question.type,
                        label,
                        code,
                        option_label,
                        factor,
                        None,
                        version,
                    ]
                )
            for sub in question.subfields:
                sheet.append(
                    [
                        f"{question.id}.{sub.id}",
                        question.section_id,
                        sub.format,
                        sub.label.render(self.vendor),
                        None,
                        None,
                        None,
                        int(sub.required),
                        version,
                    ]
                )
        self.finish(sheet)

    def sanitised(self) -> None:
        """The cells the cell writer had to change (checklist EX-2): where, which
        characters went, and the whole text of a cut cell in parts a cell can hold.
        Written only when there is something to say (the Manifest has the count)."""
        changed = list(self.book.changed)
        if not changed:
            return
        sheet = self.book.sheet(
            _("Sanitised cells"),
            [
                Column(_("Sheet"), "label", 18),
                Column(_("Cell"), "label", 8),
                Column(_("Column"), "label", 30),
                Column(_("First cell of the row"), "label", 14),
                Column(_("Characters removed"), "label", 20),
                Column(_("Length (UTF-16 units)"), "number", 12),
                Column(_("Cut at the cell limit"), "number", 8),
                Column(_("Part"), "number", 6),
                Column(_("Whole text, in parts"), "text", 80),
            ],
        )
        for change in changed:
            full = change.full
            where = [
                change.sheet,
                change.cell,
                change.column,
                change.first,
                change.removed,
                excel_length(full),
                int(change.cut),
            ]
            if not change.cut:
                sheet.append([*where, None, None])
                continue
            for number, part in enumerate(utf16_parts(full, EXCEL_CELL_LIMIT), 1):
                sheet.append([*where, number, part])
        self.finish(sheet)

    def manifest(self, generated_by: str) -> None:
        campaign = self.campaign
        sheet = self.book.sheet(
            _("Manifest"),
            [Column(_("Item"), "label", 36), Column(_("Value"), "text", 70)],
        )
        flt = self.flt
        filters = ", ".join(f"{k}={v}" for k, v in flt.query().items()) or _("none")
        rows: list[tuple[str, Any]] = [
            (_("Campaign"), campaign.title),
            (_("Campaign slug"), campaign.slug),
            (_("AI vendor"), self.vendor),
            (_("Deadline (UTC)"), naive_utc(campaign.deadline)),
            (
                _("Deadline (%(zone)s)") % {"zone": self.zone_label},
                self.local(campaign.deadline),
            ),
            (_("Generated at (UTC)"), naive_utc(self.now)),
            (_("Generated by"), generated_by),
            (_("Filters"), filters),
            (_("Drafts included"), _("Yes") if flt.include_drafts else _("No")),
            (
                _("Answer cells"),
                _("Option codes") if self.options.codes else _("Labels"),
            ),
            (_("Language"), self.options.language),
            (
                _("Scope"),
                _("%(n)s selected responses") % {"n": len(self.options.responses)}
                if self.options.responses
                else (
                    _("Aggregate sheets only")
                    if self.options.aggregates_only
                    else _("Full")
                ),
            ),
            (_("Questionnaire version"), str(campaign.questionnaire)),
            (_("Scoring version in force"), campaign.scoring().version),
            (
                _("Scoring versions of the rows"),
                ", ".join(self.figures.scoring_versions) if self.figures else "",
            ),
            (_("Handling"), campaign.handling_banner),
            (_("Cells sanitised"), len(self.book.changed)),
            (_("Software"), f"survey {survey.__version__}"),
        ]
        rows += [
            (_("Rows: %(sheet)s") % {"sheet": name}, n)
            for name, n in self.counts.items()
        ]
        for label, value in rows:
            sheet.append([label, value])
        self.finish(sheet)
