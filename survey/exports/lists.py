"""The list sheets: high-risk uses, policy constraints and the data quality issues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from survey import analytics
from survey.exports.cells import Column
from survey.exports.writer import Writer


class ListSheets(Writer):
    """The High-risk uses, Policy constraints and Data quality sheets."""

    def use_list(self, title: str, rows: Iterator[Any], with_text: bool) -> None:
        channels = self.option_labels("channel")
        functions = self.option_labels("function")
        alternatives = self.option_labels("alternative")
        policies = self.option_labels("policy")
        ids = self.questionnaire.bound_ids
        sheet = self.book.sheet(
            title,
            [
                Column(_("Response id"), "number", 10),
                Column(_("Organisation"), "text", 30),
                Column(_("UEI"), "text", 14),
                Column("#", "number", 5),
                Column(_("Use"), "text", 30),
                Column(_("Programs and contracts (%(programs)s)") % ids, "text", 24),
                Column(_("Channel (%(channel)s)") % ids, "label", 18),
                Column(_("Intermediary (%(intermediary)s)") % ids, "text", 24),
                Column(_("Function (%(function)s)") % ids, "label", 18),
                Column(_("Band"), "label", 10),
                Column("DRI", "number", 8),
                Column("C", "number", 5),
                Column("S", "number", 5),
                Column("E", "number", 5),
                Column(_("Days to transition"), "number", 10),
                Column(_("Transition cost"), "money", 14),
                Column(_("Alternative (%(alternative)s)") % ids, "label", 18),
                Column(_("Policy friction (%(policy)s)") % ids, "label", 18),
                *(
                    [Column(_("Constraint (%(policy_detail)s)") % ids, "text", 50)]
                    if with_text
                    else []
                ),
            ],
        )
        for item in rows:
            use, programs, text = item
            sheet.append(
                [
                    use.response_id,
                    use.organisation,
                    use.uei,
                    use.position,
                    use.name,
                    programs,
                    self.label(channels, use.channel),
                    use.intermediary,
                    self.label(functions, use.function),
                    self.band.get(use.band, use.band),
                    use.dri,
                    use.c,
                    use.s,
                    use.e,
                    use.days,
                    use.cost,
                    self.label(alternatives, use.alternative),
                    self.label(policies, use.policy),
                    *([text] if with_text else []),
                ]
            )
        self.finish(sheet)

    def high_risk(self) -> None:
        self.use_list(
            _("High-risk uses"),
            analytics.each_high_risk_use(self.campaign, self.flt),
            with_text=False,
        )

    def policy(self) -> None:
        self.use_list(
            _("Policy constraints"),
            analytics.each_policy_constraint(self.campaign, self.flt),
            with_text=True,
        )

    def data_quality(self) -> None:
        f = self.figures
        assert f is not None
        q = f.quality
        sheet = self.book.sheet(
            _("Data quality"),
            [
                Column(_("Category"), "label", 30),
                Column(_("Count"), "number", 9),
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("Status"), "label", 16),
                Column(_("Detail"), "text", 30),
            ],
        )
        inquiry = self.org_option_labels("inquiry_status")
        for label, n in [
            (_("Non-respondents"), q.non_respondents),
            (_("Overdue responses"), q.overdue),
            (_("Unresolved responses"), q.unresolved),
            (_("Uses scored with assumed values (ASSUMED_*)"), q.assumed_uses),
            (_("Contractors with assumed values"), q.assumed_contractors),
        ]:
            sheet.append([label, n])
        for t in q.inquiry:
            sheet.append(
                [
                    _("Supplier inquiry (%(question)s): %(status)s")
                    % {
                        "question": self.questionnaire.binding("inquiry_status"),
                        "status": inquiry.get(t.key, t.key) or _("(not asked)"),
                    },
                    t.count,
                ]
            )
        for kind, pk, uei, name, status, detail in analytics.each_quality_issue(
            self.campaign, self.flt, self.now
        ):
            sheet.append(
                [
                    {
                        "overdue": _("Overdue responses"),
                        "non_respondent": _("Non-respondents"),
                        "unresolved": _("Unresolved responses"),
                        "assumed": _("Uses scored with assumed values (ASSUMED_*)"),
                    }[kind],
                    None,
                    pk,
                    uei,
                    name,
                    self.status.get(status, status),
                    detail,
                ]
            )
        self.finish(sheet)

    def org_option_labels(self, binding: str) -> dict[str, str]:
        question = self.questionnaire.bound(binding)
        if question is None:
            return {}
        return {o.value: o.label.render(self.vendor) for o in question.options}
