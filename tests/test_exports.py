from __future__ import annotations

import re
import zipfile
from io import BytesIO

from django.test import TestCase
from openpyxl import load_workbook

from survey import exports
from survey.models import Use
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_response,
)

TRIGGERS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "\n=1",
    " =1",
    "＝1",
    "=cmd|'/c calc'!A1",
]


def build(response) -> bytes:  # type: ignore[no-untyped-def]
    handle = BytesIO()
    exports.response_workbook(response, list(response.uses.all()), handle)
    return handle.getvalue()


class FormulaInjectionTests(TestCase):
    """EX-1: user text never becomes a formula, and reads back unchanged."""

    def test_no_trigger_becomes_a_formula(self) -> None:
        campaign = make_campaign(title="=1+1 campaign", handling_banner="CUI")
        for index, trigger in enumerate(TRIGGERS):
            response = make_response(campaign, answers=complete_org_answers(A1=trigger))
            Use.objects.create(
                response=response,
                position=1,
                answers=complete_use_answers(D1=trigger, D3=trigger),
            )
            with self.subTest(trigger=repr(trigger)):
                content = build(response)
                with zipfile.ZipFile(BytesIO(content)) as archive:
                    for name in archive.namelist():
                        if (
                            name.startswith("xl/worksheets/")
                            or name == "xl/sharedStrings.xml"
                        ):
                            self.assertNotRegex(archive.read(name).decode(), r"<f[ >]")
                book = load_workbook(BytesIO(content))
                a1 = next(r for r in book["Answers"].iter_rows() if r[1].value == "A1")[
                    3
                ]
                self.assertEqual(a1.value, trigger)
                self.assertEqual(a1.data_type, "s")
                if trigger.lstrip(" ").startswith(exports.TRIGGERS):
                    self.assertTrue(a1.quotePrefix, index)
                use_row = list(book["Uses"].iter_rows())[1]
                self.assertEqual(use_row[1].value, trigger)

    def test_numbers_stay_numbers(self) -> None:
        response = make_response(answers=complete_org_answers())
        Use.objects.create(
            response=response,
            position=1,
            answers=complete_use_answers(D14=45, D15="1250.50"),
        )
        book = load_workbook(BytesIO(build(response)))
        header, row = list(book["Uses"].iter_rows(values_only=True))[:2]
        by_id = {str(h).split(": ")[0]: v for h, v in zip(header, row, strict=True)}
        self.assertEqual((by_id["D14"], by_id["D15"]), (45, 1250.5))


class RobustnessTests(TestCase):
    """EX-2: control characters and over-long answers do not break the file."""

    def test_illegal_characters_are_removed_and_long_text_is_marked(self) -> None:
        long_text = "x" * 40_000
        response = make_response(
            answers=complete_org_answers(
                A1="bad\x01\x07\x1fname", A4="business_units", A4a=long_text
            )
        )
        book = load_workbook(BytesIO(build(response)))
        values = {r[1]: r[3] for r in book["Answers"].iter_rows(values_only=True)}
        self.assertEqual(values["A1"], "badname")
        self.assertEqual(len(values["A4a"]), exports.EXCEL_CELL_LIMIT)
        self.assertTrue(values["A4a"].endswith(exports.TRUNCATED))

    def test_handling_banner_is_in_header_and_footer(self) -> None:
        campaign = make_campaign(handling_banner="CUI // PROPRIETARY")
        response = make_response(campaign, answers=complete_org_answers())
        with zipfile.ZipFile(BytesIO(build(response))) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        self.assertEqual(len(re.findall("CUI // PROPRIETARY", sheet)), 2)

    def test_openpyxl_uses_lxml(self) -> None:
        import openpyxl

        self.assertTrue(openpyxl.LXML)


class CellWriterTests(TestCase):
    """The one cell writer's rules, directly."""

    def test_sheet_titles_are_unique_valid_and_short(self) -> None:
        from survey.exports.cells import Book

        book = Book()
        long = "By channel and intermediary: a very long title indeed"
        titles = [
            book.title(t) for t in (long, long, "What? [draft]/x", "summary", "Summary")
        ]
        self.assertEqual(len({t.casefold() for t in titles}), 5)
        for title in titles:
            self.assertLessEqual(len(title), 31)
            self.assertNotRegex(title, r"[\[\]:*?/\\]")
        self.assertTrue(titles[1].endswith("(2)"))

    def test_csv_values_are_neutralised_the_same_way(self) -> None:
        from survey.exports.cells import plain

        for trigger in TRIGGERS:
            with self.subTest(trigger=repr(trigger)):
                value = plain(trigger)
                if trigger.lstrip(" ").startswith(exports.TRIGGERS):
                    self.assertTrue(value.startswith("'"))
                else:
                    self.assertEqual(value, trigger)
        self.assertEqual(plain("bad\x01\x1fname"), "badname")
        self.assertEqual(plain(12), 12)

    def test_every_xml_illegal_character_is_removed_and_noted(self) -> None:
        """NUL and the other C0 controls, lone surrogates and U+FFFE/U+FFFF: lxml
        refuses each one, which would end the whole export."""
        from survey.exports.cells import Book, Column

        illegal = [
            *map(chr, range(0x00, 0x09)),
            "\x0b",
            "\x0c",
            *map(chr, range(0x0E, 0x20)),
            "\ud800",
            "\udfff",
            "\ufffe",
            "\uffff",
        ]
        book = Book()
        sheet = book.sheet("Answers", [Column("Id", "number"), Column("Text")])
        for n, char in enumerate(illegal, 1):
            sheet.append([n, f"a{char}b"])
        sheet.append([0, "tab\tand\nnewline kept; \x7f and \x85 too"])
        handle = BytesIO()
        book.save(handle)
        rows = list(
            load_workbook(BytesIO(handle.getvalue()))["Answers"].iter_rows(
                min_row=2, values_only=True
            )
        )
        self.assertEqual([r[1] for r in rows[:-1]], ["ab"] * len(illegal))
        self.assertEqual(rows[-1][1], "tab\tand\nnewline kept; \x7f and \x85 too")
        self.assertEqual(
            [(c.sheet, c.cell, c.column, c.first) for c in book.changed],
            [("Answers", f"B{n + 1}", "Text", n) for n in range(1, len(illegal) + 1)],
        )
        self.assertEqual(
            [c.removed for c in book.changed],
            [f"U+{ord(c):04X}" for c in illegal],
        )
        self.assertFalse(any(c.cut for c in book.changed))

    def test_the_cell_limit_counts_utf16_units_and_keeps_pairs_whole(self) -> None:
        from survey.exports.cells import clean, excel_length, utf16_parts

        # 20,000 emoji: 20,000 characters, but 40,000 units for Excel.
        cut = clean("🚀" * 20_000)
        self.assertTrue(cut.endswith(exports.TRUNCATED))
        self.assertLessEqual(excel_length(cut), exports.EXCEL_CELL_LIMIT)
        self.assertEqual(set(cut.removesuffix(exports.TRUNCATED)), {"🚀"})
        ascii_cut = clean("x" * 40_000)
        self.assertEqual(len(ascii_cut), exports.EXCEL_CELL_LIMIT)
        self.assertEqual(clean("é" * exports.EXCEL_CELL_LIMIT), "é" * 32_767)
        mixed = "a🚀" * 30_000
        parts = utf16_parts(mixed, exports.EXCEL_CELL_LIMIT)
        self.assertEqual("".join(parts), mixed)
        self.assertTrue(all(excel_length(p) <= 32_767 for p in parts))


class OwnDownloadTests(TestCase):
    """EX: a contractor's download holds its own response and nothing of another's."""

    def test_nothing_of_another_organisation(self) -> None:
        from tests.helpers import make_organisation

        campaign = make_campaign()
        mine = make_response(
            campaign,
            make_organisation(legal_name="Mine Ltd"),
            answers=complete_org_answers(A1="Mine Ltd"),
        )
        other = make_response(
            campaign,
            make_organisation(legal_name="Rival Corp", uei="RVLC12345678"),
            answers=complete_org_answers(A1="Rival Corp", A2="RVLC12345678"),
        )
        Use.objects.create(
            response=mine, position=1, answers=complete_use_answers(D1="Our use")
        )
        Use.objects.create(
            response=other,
            position=1,
            answers=complete_use_answers(D1="Rival secret use"),
        )
        book = load_workbook(BytesIO(build(mine)))
        values = {
            str(v)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v
        }
        self.assertIn("Our use", values)
        self.assertTrue(
            all("Rival" not in v for v in values), [v for v in values if "Rival" in v]
        )
