"""EX-3: what the workbook holds equals a direct ORM query, for campaigns Hypothesis draws.

A campaign of 1 to 300 organisations comes from survey.generate with a drawn seed: a mix
of invitations nobody answered, drafts, submissions, responses in review, accepted, and
returned ones. On top of it, some returned responses are amended (their live answers no
longer equal what they attested) and some submitted ones are withdrawn. Both exports
are read back (codes in the answer cells, so that values compare without labels):

- the default one holds exactly the organisations that submitted and are not withdrawn,
  each with its last submission's answers and uses, never the amendment or a draft;
- with drafts included, every live response that has been started, with its live
  answers (those its show-if leaves visible) and its status flagging it.

The expected cells are worked out here from the answers, by question type, not by the
export's own column code (survey.exports.columns).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from openpyxl import load_workbook

from survey import exports
from survey import questionnaire as qn
from survey.analytics import Filter
from survey.generate import generate
from survey.models import Response, Submission, Use
from tests.helpers import make_campaign, make_user

EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
AMENDED = "Amended after the return, not attested"


def expected_cells(
    question: qn.Question, answers: dict[str, Any], vendor: str
) -> dict[str, Any]:
    """The cells (by header key, "D9" or "D9=classified" or "F1.name") one answer
    fills in an export with codes, as openpyxl reads them back."""
    value = answers.get(question.id)
    qid = question.id
    if question.type in qn.FIXED_OPTIONS or question.type == "single":
        return {qid: value or None}
    if question.type == "multi":
        chosen = value if isinstance(value, list) else None
        return {
            qid: "; ".join(chosen) if chosen else None,
            **{
                f"{qid}={o.value}": None if chosen is None else int(o.value in chosen)
                for o in question.options
            },
        }
    if question.type in qn.NUMERIC_TYPES:
        if value in (None, ""):
            return {qid: None}
        if value == qn.UNKNOWN:
            return {qid: qn.UNKNOWN}
        number = Decimal(str(value))
        return {qid: int(number) if number == int(number) else float(number)}
    if question.type == "date":
        return {
            qid: datetime.combine(date.fromisoformat(value), time()) if value else None
        }
    if question.type == "group":
        return {
            f"{qid}.{sub.id}": (str(value.get(sub.id) or "") or None)
            if isinstance(value, dict)
            else None
            for sub in question.subfields
        }
    if question.type in ("text_list", "rows", "file"):
        return {qid: qn.display(question, value, vendor) or None}
    return {qid: value or None}


def read(content: bytes, title: str) -> list[dict[str, Any]]:
    """A sheet's rows by header key: the question id before ": ", else the header."""
    book = load_workbook(BytesIO(content), read_only=True)
    rows = list(book[title].iter_rows(values_only=True))
    book.close()
    keys = [str(h).split(": ", 1)[0] if ": " in str(h) else h for h in rows[0]]
    return [dict(zip(keys, row, strict=False)) for row in rows[1:]]


def export(campaign: Any, drafts: bool) -> bytes:
    handle = BytesIO()
    exports.write(
        campaign,
        exports.Options(filter=Filter(include_drafts=drafts), codes=True),
        handle,
        generated_by="analyst@example.com",
        now=timezone.now(),
    )
    return handle.getvalue()


class CompletenessTests(TestCase):
    """One drawn campaign per example, in its own rolled-back transaction."""

    def campaign(self, size: int, seed: int, amend: int, withdraw: int) -> Any:
        campaign = make_campaign()
        staff = make_user(is_staff=True)
        generate(campaign, size, seed, make_user(), timezone.now())
        returned = Response.objects.filter(
            campaign=campaign, status=Response.Status.RETURNED
        ).order_by("pk")[:amend]
        for response in returned:
            response.answers = {**response.answers, "A1": AMENDED}
            response.save(update_fields=["answers"])
            Use.objects.filter(response=response).update(answers={"D1": AMENDED})
        submitted = Response.objects.filter(
            campaign=campaign, status=Response.Status.SUBMITTED
        ).order_by("-pk")[:withdraw]
        for response in submitted:
            response.withdraw(staff, "Invited by mistake")
        return campaign

    def assert_rows(
        self,
        rows: list[dict[str, Any]],
        expected: dict[int, dict[str, Any]],
        questions: list[qn.Question],
        key: str,
        vendor: str,
    ) -> None:
        self.assertEqual(sorted(r[key] for r in rows), sorted(expected))
        for row in rows:
            answers = expected[row[key]]
            for question in questions:
                for column, cell in expected_cells(question, answers, vendor).items():
                    self.assertEqual(
                        row.get(column), cell, (key, row[key], column, answers)
                    )

    @EXAMPLES
    # The largest campaign the check asks for, whatever the draws.
    @example(size=300, seed=1, amend=3, withdraw=3)
    @given(
        size=st.integers(1, 300),
        seed=st.integers(0, 2**16),
        amend=st.integers(0, 3),
        withdraw=st.integers(0, 3),
    )
    def test_exported_rows_and_answers_equal_the_database(
        self, size: int, seed: int, amend: int, withdraw: int
    ) -> None:
        campaign = self.campaign(size, seed, amend, withdraw)
        q = campaign.questionnaire.parsed
        vendor = campaign.vendor.name
        org_questions = [q for s in q.sections if not s.repeatable for q in s.questions]
        use_questions = list(q.use_section.questions)
        counted = Response.objects.filter(
            campaign=campaign, submitted_at__isnull=False
        ).exclude(status=Response.Status.WITHDRAWN)

        content = export(campaign, drafts=False)
        contractors = read(content, "Contractors")
        self.assertEqual(len(contractors), counted.count())
        last = {
            s.response_id: s
            for s in Submission.objects.filter(response__in=counted).order_by("number")
        }
        self.assert_rows(
            contractors,
            {pk: s.answers for pk, s in last.items()},
            org_questions,
            "Response id",
            vendor,
        )
        for row in contractors:
            self.assertEqual(row["Submission number"], last[row["Response id"]].number)
        attested = Use.attested.filter(submission__in=last.values())
        uses = read(content, "Uses")
        self.assert_rows(
            uses, {u.pk: u.answers for u in attested}, use_questions, "Use id", vendor
        )
        # Amendments and drafts are nowhere in it.
        cells = {v for r in [*contractors, *uses] for v in r.values()}
        self.assertNotIn(AMENDED, cells)

        content = export(campaign, drafts=True)
        live = (
            Response.objects.filter(campaign=campaign)
            .exclude(status=Response.Status.WITHDRAWN)
            .exclude(route="")
        )
        rows = read(content, "Contractors")
        visible = {r.pk: q.visible_answers(r.answers) for r in live}
        self.assert_rows(rows, visible, org_questions, "Response id", vendor)
        status = {r.pk: str(r.get_status_display()) for r in live}
        self.assertEqual({r["Response id"]: r["Status"] for r in rows}, status)
        uses = Use.objects.filter(response__in=live, response__route="dependence")
        self.assert_rows(
            read(content, "Uses"),
            {
                u.pk: q.visible_use_answers(u.answers, visible[u.response_id])
                for u in uses
            },
            use_questions,
            "Use id",
            vendor,
        )
