"""The campaign workbook (spec §3), written for real and read back with openpyxl."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from datetime import datetime
from io import BytesIO
from typing import Any

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from survey import analytics, exports
from survey import questionnaire as qn
from survey.analytics import Filter
from survey.demo import DEFAULT_DEFINITION
from survey.exports.cells import risky
from survey.models import QuestionnaireVersion, Response, Use
from tests.analytics_data import respond, seven_contractors
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_response,
    make_user,
    section_a_post,
)

SHEETS = [
    "Summary",
    "Contractors",
    "Uses",
    "By program",
    "By classification",
    "By channel and intermediary",
    "By function",
    "Transition",
    "High-risk uses",
    "Policy constraints",
    "Data quality",
    "Method",
    "Codebook",
    "Manifest",
]


def export(campaign: Any, **options: Any) -> bytes:
    handle = BytesIO()
    exports.write(
        campaign,
        exports.Options(**options),
        handle,
        generated_by="analyst@example.com",
        now=timezone.now(),
    )
    return handle.getvalue()


def workbook(campaign: Any, **options: Any) -> Any:
    return load_workbook(BytesIO(export(campaign, **options)))


def table(sheet: Any) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_id(header: tuple[Any, ...]) -> dict[str, int]:
    """Question columns by the id their header starts with ("D14: ...")."""
    return {
        str(h).split(": ", 1)[0]: i for i, h in enumerate(header) if h and ": " in h
    }


class SevenContractorsTests(TestCase):
    """The workbook of the hand-counted campaign (tests/analytics_data.py)."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = seven_contractors()
        cls.admin = make_user("admin@example.com", is_staff=True, is_superuser=True)

    def dashboard_json(self, **params: str) -> dict[str, Any]:
        self.client.force_login(self.admin)
        url = reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk])
        reply = self.client.get(url, {"format": "json", **params})
        self.assertEqual(reply.status_code, 200)
        return reply.json()["figures"] if "figures" in reply.json() else reply.json()

    def test_every_sheet_with_its_headers(self) -> None:
        book = workbook(self.campaign)
        self.assertEqual(book.sheetnames, SHEETS)
        for name in SHEETS:
            header = next(book[name].iter_rows(max_row=1, values_only=True))
            self.assertTrue(all(header), name)
        contractors = next(book["Contractors"].iter_rows(max_row=1, values_only=True))
        for expected in ("Response id", "UEI", "Status", "A1: ", "B1: ", "Tier"):
            self.assertTrue(any(str(h).startswith(expected) for h in contractors))
        self.assertEqual(book["Uses"].freeze_panes, "A2")
        self.assertTrue(book["Uses"].auto_filter.ref.startswith("A1:"))

    def test_row_counts_equal_the_database(self) -> None:
        for drafts, contractors, uses in ((False, 4, 4), (True, 5, 5)):
            flt = Filter(include_drafts=drafts)
            book = workbook(self.campaign, filter=flt)
            with self.subTest(drafts=drafts):
                self.assertEqual(len(table(book["Contractors"])), contractors)
                self.assertEqual(len(table(book["Uses"])), uses)
                self.assertEqual(
                    contractors,
                    analytics.counted_scores(self.campaign, flt).count(),
                )
                self.assertEqual(
                    uses, analytics.counted_uses(self.campaign, flt).count()
                )
                manifest = dict(book["Manifest"].iter_rows(values_only=True))
                self.assertEqual(manifest["Rows: Contractors"], contractors)
                self.assertEqual(manifest["Rows: Uses"], uses)

    def test_what_was_attested_is_exported_not_the_amendment(self) -> None:
        # Foxtrot was returned and its live use amended to Critical: the workbook shows
        # the High use it submitted until it submits again.
        uses = table(workbook(self.campaign)["Uses"])
        foxtrot = [u for u in uses if u["Organisation"] == "Foxtrot"]
        self.assertEqual([u["Band"] for u in foxtrot], ["High"])
        self.assertNotIn("Echo", {u["Organisation"] for u in uses})  # withdrawn
        self.assertNotIn("Delta", {u["Organisation"] for u in uses})  # a draft
        with_drafts = table(
            workbook(self.campaign, filter=Filter(include_drafts=True))["Uses"]
        )
        self.assertEqual(
            [u["Band"] for u in with_drafts if u["Organisation"] == "Foxtrot"],
            ["Critical"],
        )

    def test_cells_are_typed(self) -> None:
        book = workbook(self.campaign)
        rows = list(book["Uses"].iter_rows())
        header = [c.value for c in rows[0]]
        ids = by_id(tuple(header))
        alpha = next(
            r for r in rows[1:] if r[header.index("Organisation")].value == "Alpha"
        )
        days, cost = alpha[ids["D14"]], alpha[ids["D15"]]
        self.assertEqual((days.value, days.data_type), (200, "n"))
        self.assertEqual((cost.value, cost.data_type), (1000, "n"))
        self.assertIn("USD", cost.number_format)
        self.assertEqual(alpha[header.index("DRI")].data_type, "n")
        # A multiple choice: one joined column and a 0/1 column per option.
        self.assertEqual(alpha[ids["D9=classified"]].value, 1)
        self.assertEqual(alpha[ids["D9=proprietary"]].value, 0)
        self.assertIn("Classified", alpha[ids["D9"]].value)
        contractors = list(book["Contractors"].iter_rows())
        header = [c.value for c in contractors[0]]
        first = contractors[1]
        uei = first[header.index("UEI")]
        self.assertEqual(uei.data_type, "s")
        self.assertTrue(uei.value.startswith("T000"))  # leading zeros kept
        submitted = first[header.index("Submitted at (UTC)")]
        local = first[header.index("Submitted at (ET)")]
        self.assertIsInstance(submitted.value, datetime)
        self.assertTrue(submitted.is_date)
        self.assertNotEqual(submitted.value, local.value)
        manifest = {r[0].value: r[1] for r in book["Manifest"].iter_rows()}
        self.assertIsInstance(manifest["Deadline (UTC)"].value, datetime)
        self.assertIsInstance(manifest["Deadline (ET)"].value, datetime)

    def test_two_exports_of_unchanged_data_are_identical(self) -> None:
        """Checklist EX-3: the same cells apart from when and by whom."""

        def cells(book: Any) -> list[Any]:
            return [
                (sheet.title, row)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                if not (sheet.title == "Manifest" and row[0] == "Generated at (UTC)")
            ]

        self.assertEqual(cells(workbook(self.campaign)), cells(workbook(self.campaign)))

    def test_codes_instead_of_labels(self) -> None:
        labels = table(workbook(self.campaign)["Uses"])
        codes = table(workbook(self.campaign, codes=True)["Uses"])
        key = next(k for k in labels[0] if str(k).startswith("D2: "))
        self.assertEqual(
            {u[key] for u in codes}, {"direct", "cloud_platform", "subcontractor"}
        )
        self.assertIn("Cloud platform under our account", {u[key] for u in labels})

    def test_codebook_lists_every_question_and_option(self) -> None:
        rows = table(workbook(self.campaign)["Codebook"])
        definition = self.campaign.questionnaire.parsed
        listed = {(r["Question id"], r["Option code"]) for r in rows}
        for question in definition.questions:
            self.assertIn((question.id, None), listed)
            for option in question.options:
                self.assertIn((question.id, option.value), listed)
            for code in qn.FIXED_OPTIONS.get(question.type, ()):
                self.assertIn((question.id, code), listed)

    def test_aggregate_sheets_equal_the_dashboard_json(self) -> None:
        for params, flt in (
            ({}, Filter()),
            ({"channel": "cloud_platform"}, Filter(channel="cloud_platform")),
            ({"drafts": "1"}, Filter(include_drafts=True)),
        ):
            figures = self.dashboard_json(**params)
            book = workbook(self.campaign, filter=flt)
            with self.subTest(params=params):
                programs = {
                    r["Program key"]: (
                        r["Contractors"],
                        r["Uses"],
                        r["Max days to transition"],
                    )
                    for r in table(book["By program"])
                }
                self.assertEqual(
                    programs,
                    {
                        p["program_key"]: (p["contractors"], p["uses"], p["max_days"])
                        for p in figures["programs"]
                    },
                )
                summary = {
                    r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)
                }
                for tally in figures["bands"]["uses"]:
                    label = {
                        "critical": "Critical",
                        "high": "High",
                        "medium": "Medium",
                        "low": "Low",
                        "none": "None",
                    }[tally["key"]]
                    self.assertEqual(summary[label], tally["count"], label)
                self.assertEqual(
                    summary["Contractors counted"], figures["dependency"]["contractors"]
                )
                self.assertEqual(
                    summary["Indirect only"], figures["dependency"]["indirect_only"]
                )
                channels = {
                    r["Key"]: (r["Contractors"], r["Uses"], r["Share of uses (%)"])
                    for r in table(book["By channel and intermediary"])
                    if r["Kind"] == "Channel (D2)"
                }
                self.assertEqual(
                    channels,
                    {
                        c["key"]: (c["contractors"], c["uses"], c["share"])
                        for c in figures["channels"]["channels"]
                    },
                )
                transition = table(book["Transition"])
                buckets = {
                    r["Key"]: r["Uses"]
                    for r in transition
                    if r["Table"] == "Days to transition (D14)"
                }
                self.assertEqual(
                    buckets,
                    {b["key"]: b["count"] for b in figures["transition"]["buckets"]},
                )
                cells = {
                    (r["Row code"], r["Column code"]): r["Uses"]
                    for r in table(book["By classification"])
                    if r["Table"].startswith("Classification")
                }
                crosstab = next(
                    t for t in figures["crosstabs"] if t["row"] == "classification"
                )
                for row, counts in zip(
                    crosstab["rows"], crosstab["counts"], strict=True
                ):
                    for column, n in zip(crosstab["columns"], counts, strict=True):
                        self.assertEqual(cells[(row, column)], n)
                high_risk = table(book["High-risk uses"])
                self.assertEqual(
                    [(r["Response id"], r["#"]) for r in high_risk[:20]],
                    [(u["response_id"], u["position"]) for u in figures["high_risk"]],
                )

    def test_hand_counted_figures(self) -> None:
        """The By program row of Ground Vehicles, counted by hand (analytics_data)."""
        book = workbook(self.campaign)
        ground = next(
            r
            for r in table(book["By program"])
            if r["Program key"] == "ground vehicles"
        )
        # Alpha's two uses (one supports two PIIDs of the program) and Bravo's one.
        self.assertEqual(
            (ground["Contractors"], ground["Uses"], ground["PIIDs"]), (2, 3, 3)
        )
        self.assertEqual(ground["Σ transition cost"], 1500)
        self.assertEqual(ground["Unknown costs"], 1)
        policy = table(book["Policy constraints"])
        self.assertEqual([(r["Organisation"], r["#"]) for r in policy], [("Alpha", 2)])
        quality = table(book["Data quality"])
        listed = {
            (r["Category"], r["Organisation"]) for r in quality if r["Organisation"]
        }
        self.assertIn(("Non-respondents", "Golf"), listed)
        self.assertIn(("Non-respondents", "Delta"), listed)
        self.assertNotIn("Echo", {r["Organisation"] for r in quality})

    def test_aggregates_only_and_a_selection(self) -> None:
        book = workbook(self.campaign, aggregates_only=True)
        self.assertNotIn("Contractors", book.sheetnames)
        self.assertNotIn("Uses", book.sheetnames)
        self.assertIn("By program", book.sheetnames)
        alpha = Response.objects.get(
            campaign=self.campaign, organisation__legal_name="Alpha"
        )
        book = workbook(self.campaign, responses=(alpha.pk,))
        self.assertEqual(
            [r["Organisation"] for r in table(book["Contractors"])], ["Alpha"]
        )
        self.assertEqual(len(table(book["Uses"])), 2)
        self.assertNotIn("By program", book.sheetnames)

    def test_banner_in_header_and_footer(self) -> None:
        banner = "CUI // PROPRIETARY – FOIA exempt (b)(4)"
        self.campaign.handling_banner = banner
        self.campaign.save()
        book = workbook(self.campaign)
        for sheet in book.worksheets:
            self.assertEqual(sheet.oddHeader.center.text, banner, sheet.title)
            self.assertEqual(sheet.oddFooter.center.text, banner, sheet.title)

    def test_french_export(self) -> None:
        book = workbook(self.campaign, language="fr")
        self.assertIn("Résumé", book.sheetnames)
        self.assertIn("Utilisations", book.sheetnames)
        header = next(book["Utilisations"].iter_rows(max_row=1, values_only=True))
        d1 = next(h for h in header if str(h).startswith("D1: "))
        french = self.campaign.questionnaire.parsed.question("D1").label.get("fr")
        self.assertEqual(d1, f"D1: {french}")
        self.assertIn("Identifiant de la réponse", header)

    def test_csv_zip(self) -> None:
        handle = BytesIO()
        exports.write_csv(
            self.campaign,
            exports.Options(format="csv"),
            handle,
            generated_by="analyst@example.com",
            now=timezone.now(),
        )
        with zipfile.ZipFile(BytesIO(handle.getvalue())) as archive:
            self.assertEqual(
                sorted(archive.namelist()), ["contractors.csv", "uses.csv"]
            )
            text = archive.read("uses.csv").decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(len(rows) - 1, 4)
        self.assertTrue(rows[0][0] == "Response id")


class HostileAnswerTests(TestCase):
    """EX-1/EX-2 through the real contractor form, in both workbooks."""

    HOSTILE = [
        '=HYPERLINK("http://example.com","x")',
        "@SUM(1)",
        "+1",
        "-1",
        "\tled by a tab",
    ]

    def setUp(self) -> None:
        from survey.models import Membership

        self.campaign = make_campaign(handling_banner="CUI")
        self.response = make_response(self.campaign, answers=complete_org_answers())
        self.user = make_user(
            "preparer@example.com", self.response.organisation, Membership.Role.PREPARER
        )
        self.client.force_login(self.user)
        self.use = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )

    def type_in(self, path: str, data: dict[str, Any]) -> None:
        page = self.client.get(path)
        state = {
            "version": str(page.context["version"]),
            "loaded": page.context["loaded"],
        }
        reply = self.client.post(path, {**state, **data})
        self.assertEqual(reply.status_code, 302, getattr(reply, "content", b"")[:500])

    def test_hostile_text_stays_text(self) -> None:
        section = reverse("survey-section", args=[self.response.uuid, "A"])
        use_path = reverse("survey-use", args=[self.response.uuid, self.use.uuid])
        for value in self.HOSTILE:
            self.type_in(section, section_a_post(A1=value))
            self.type_in(use_path, {**_use_form(), "D1": value})
            self.response.refresh_from_db()
            # The form trims surrounding whitespace: the tab goes, the rest stays.
            stored = self.response.answers["A1"]
            self.assertEqual(stored, value.strip())
            self.assertEqual(Use.objects.get(pk=self.use.pk).answers["D1"], stored)
            own = self.client.get(reverse("survey-export", args=[self.response.uuid]))
            campaign_book = export(self.campaign, filter=Filter(include_drafts=True))
            with self.subTest(value=value):
                for content, sheets in (
                    (campaign_book, ("Contractors", "Uses")),
                    (b"".join(own.streaming_content), ("Answers", "Uses")),
                ):
                    _assert_no_formula(self, content)
                    book = load_workbook(BytesIO(content))
                    for sheet in sheets:
                        cells = [
                            c
                            for row in book[sheet].iter_rows()
                            for c in row
                            if c.value == stored
                        ]
                        self.assertTrue(cells, sheet)
                        for cell in cells:
                            self.assertEqual(cell.data_type, "s")
                            self.assertEqual(cell.quotePrefix, risky(stored))

    def test_tab_led_and_other_triggers_written_directly(self) -> None:
        """What the form would trim still cannot become a formula in the writer."""
        for value in [*self.HOSTILE, "\r=1", "\n=1", " =1", "＝1"]:
            Response.objects.filter(pk=self.response.pk).update(
                answers=complete_org_answers(A1=value)
            )
            self.response.refresh_from_db()
            self.response.refresh_scores([])
            self.response.save()
            content = export(self.campaign, filter=Filter(include_drafts=True))
            _assert_no_formula(self, content)
            row = table(load_workbook(BytesIO(content))["Contractors"])[0]
            with self.subTest(value=repr(value)):
                self.assertEqual(
                    next(v for k, v in row.items() if k.startswith("A1: ")), value
                )

    def test_control_characters_and_long_text(self) -> None:
        long_text = "y" * 40_000
        Response.objects.filter(pk=self.response.pk).update(
            answers=complete_org_answers(
                A1="bad\x01\x07\x1fname", A4="business_units", A4a=long_text
            )
        )
        self.response.refresh_from_db()
        self.response.refresh_scores([])
        self.response.save()
        book = workbook(self.campaign, filter=Filter(include_drafts=True))
        row = table(book["Contractors"])[0]
        a1 = next(v for k, v in row.items() if str(k).startswith("A1: "))
        a4a = next(v for k, v in row.items() if str(k).startswith("A4a: "))
        self.assertEqual(a1, "badname")
        self.assertEqual(len(a4a), exports.EXCEL_CELL_LIMIT)
        self.assertTrue(a4a.endswith(exports.TRUNCATED))


def _use_form() -> dict[str, Any]:
    return {
        "D2": "cloud_platform",
        "D4": "proposal_communications",
        "D13": "level_4",
        "D14": "30",
        "D16": "easy",
        "D17": "no",
        "D8": "commercial",
        "D12": "low",
    }


def _assert_no_formula(test: TestCase, content: bytes) -> None:
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                test.assertNotRegex(archive.read(name).decode(), r"<f[ >]", name)


class DefinitionVersionTests(TestCase):
    """Columns come from question ids: a second definition that adds a question and an
    option keeps the shared questions' headers and codes."""

    def test_shared_questions_keep_their_headers_and_codes(self) -> None:
        second = copy.deepcopy(json.loads(DEFAULT_DEFINITION.read_text()))
        second["version"] = "2"
        register = next(s for s in second["sections"] if s.get("repeatable"))
        d2 = next(q for q in register["questions"] if q["id"] == "D2")
        d2["options"].insert(
            0,
            {"value": "marketplace", "label": {"en": "Marketplace", "fr": "Place"}},
        )
        register["questions"].insert(
            1, {"id": "D1b", "type": "text", "label": {"en": "Owner", "fr": "Chef"}}
        )
        v2 = QuestionnaireVersion.objects.create_from_definition(second, "test v2")
        books = []
        for version, extra in ((None, {}), (v2, {"D1b": "Ops team"})):
            campaign = make_campaign(**({"questionnaire": version} if version else {}))
            respond(
                campaign,
                "Alpha",
                complete_org_answers(),
                [complete_use_answers(**extra)],
                submit=False,
            )
            if version:
                respond(
                    campaign,
                    "Bravo",
                    complete_org_answers(),
                    [complete_use_answers(D2="marketplace")],
                    submit=False,
                )
            books.append(
                workbook(campaign, filter=Filter(include_drafts=True), codes=True)
            )
        headers = [
            next(b["Uses"].iter_rows(max_row=1, values_only=True)) for b in books
        ]
        first, later = (by_id(h) for h in headers)
        self.assertEqual(set(later) - set(first), {"D1b"})
        for key in first:
            self.assertEqual(headers[0][first[key]], headers[1][later[key]], key)
        rows = [list(b["Uses"].iter_rows(min_row=2, values_only=True)) for b in books]
        for key in first:
            self.assertEqual(rows[0][0][first[key]], rows[1][0][later[key]], key)
        self.assertEqual(rows[1][0][later["D1b"]], "Ops team")
        self.assertEqual(rows[1][1][later["D2"]], "marketplace")
        codebook = {
            (r["Question id"], r["Option code"]) for r in table(books[1]["Codebook"])
        }
        self.assertIn(("D2", "marketplace"), codebook)
        self.assertIn(("D1b", None), codebook)
