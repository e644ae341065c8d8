"""Questionnaire workbooks (survey.xlsform): the lossless round trip and located faults."""

from __future__ import annotations

import json
import tempfile
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import openpyxl
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase
from openpyxl.workbook.workbook import Workbook

from survey import questionnaire as qn
from survey.demo import DEFAULT_DEFINITION
from survey.models import QuestionnaireVersion
from survey.models.questionnaires import canonical_json
from survey.xlsform import WorkbookError, read_workbook, write_workbook
from survey.xlsform.expressions import (
    ExpressionError,
    format_condition,
    parse_expression,
)


def default_data() -> dict[str, Any]:
    return json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))


def default_book() -> Workbook:
    return openpyxl.load_workbook(write_workbook(default_data()))


def saved(book: Workbook) -> BytesIO:
    content = BytesIO()
    book.save(content)
    content.seek(0)
    return content


def column(book: Workbook, sheet: str, header: str) -> int:
    return next(c.column for c in book[sheet][1] if c.value == header)


def row_of(book: Workbook, sheet: str, **match: Any) -> int:
    """The first row whose cells hold these values (by column header)."""
    wanted = {column(book, sheet, h): v for h, v in match.items()}
    for cells in book[sheet].iter_rows(min_row=2):
        if all(cells[i - 1].value == v for i, v in wanted.items()):
            return cells[0].row
    raise AssertionError(f"no row {match} on {sheet}")


def put(book: Workbook, sheet: str, row: int, header: str, value: Any) -> None:
    book[sheet].cell(row, column(book, sheet, header)).value = value


def question_row(book: Workbook, qid: str) -> int:
    return row_of(book, "survey", id=qid, **{"type": _type(book, qid)})


def _type(book: Workbook, qid: str) -> str:
    ids = column(book, "survey", "id")
    for cells in book["survey"].iter_rows(min_row=2):
        if cells[ids - 1].value == qid and "section" not in str(cells[0].value):
            return cells[0].value
    raise AssertionError(qid)


class RoundTripTests(SimpleTestCase):
    def test_the_default_definition_comes_back_exactly(self) -> None:
        data = default_data()
        back = read_workbook(write_workbook(data), source="default.xlsx")
        self.assertEqual(back, data)
        # Same types too: 1 is not 1.0 nor True, "1" is not 1.
        self.assertEqual(
            json.dumps(back, sort_keys=True), json.dumps(data, sort_keys=True)
        )

    def test_every_shipped_definition_comes_back_exactly(self) -> None:
        """The second questionnaire too (issue 11 §4): dotted ids, other sections."""
        paths = [
            p
            for p in sorted(DEFAULT_DEFINITION.parent.glob("*.json"))
            if not p.name.endswith(".demo.json")
        ]
        self.assertGreater(len(paths), 1)
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            with self.subTest(path=path.name):
                back = read_workbook(write_workbook(data), source=path.name)
                self.assertEqual(
                    json.dumps(back, sort_keys=True), json.dumps(data, sort_keys=True)
                )

    def test_types_absent_keys_and_empty_french_survive(self) -> None:
        data = default_data()
        d14 = next(q for q in data["sections"][3]["questions"] if q["id"] == "D14")
        d14["min"] = 0.0
        d14["max"] = 3650
        data["sections"][0]["questions"][0]["label"]["fr"] = ""
        data["sections"][0]["questions"][0]["label"]["en"] = "=not a formula"
        del data["sections"][1]["repeatable"]
        back = read_workbook(write_workbook(data), source="changed.xlsx")
        self.assertEqual(back, data)
        d14_back = next(q for q in back["sections"][3]["questions"] if q["id"] == "D14")
        self.assertIs(type(d14_back["min"]), float)
        self.assertIs(type(d14_back["max"]), int)
        self.assertNotIn("repeatable", back["sections"][1])

    def test_it_writes_to_a_path_and_reads_from_it(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = f"{folder}/definition.xlsx"
            write_workbook(default_data(), path)
            self.assertEqual(read_workbook(path, source=path), default_data())

    def test_a_key_without_a_column_is_refused_by_the_writer(self) -> None:
        data = default_data()
        data["sections"][0]["questions"][0]["colour"] = "red"
        with self.assertRaisesMessage(ValueError, "no column for key(s) 'colour'"):
            write_workbook(data)


class ExpressionTests(SimpleTestCase):
    def test_each_form_maps_to_its_condition(self) -> None:
        cases = {
            "${A4} != 'enterprise'": {"question": "A4", "not_equals": "enterprise"},
            "${B1} = 'yes'": {"question": "B1", "equals": "yes"},
            "${D2} in ('a', 'b')": {"question": "D2", "in": ["a", "b"]},
            "${D2} not in ('a')": {"question": "D2", "not_in": ["a"]},
            "selected(${C1}, 'other')": {"question": "C1", "includes": "other"},
            "not(selected(${D9}, 'x'))": {"question": "D9", "excludes": "x"},
            "any(${use.channel} = 'it''s')": {
                "any": [{"question": "use.channel", "equals": "it's"}]
            },
            "(${A} = 1 or ${B} = 2.5) or ${C} = true": {
                "any": [
                    {
                        "any": [
                            {"question": "A", "equals": 1},
                            {"question": "B", "equals": 2.5},
                        ]
                    },
                    {"question": "C", "equals": True},
                ]
            },
        }
        for text, condition in cases.items():
            with self.subTest(text):
                self.assertEqual(parse_expression(text), condition)
                self.assertEqual(format_condition(condition), text)

    def test_and_binds_tighter_than_or(self) -> None:
        self.assertEqual(
            parse_expression("${A} = 'x' and ${B} = 'y' or ${C} = 'z'"),
            {
                "any": [
                    {
                        "all": [
                            {"question": "A", "equals": "x"},
                            {"question": "B", "equals": "y"},
                        ]
                    },
                    {"question": "C", "equals": "z"},
                ]
            },
        )

    def test_a_syntax_error_names_its_character(self) -> None:
        with self.assertRaisesMessage(
            ExpressionError, "expected ')', found end of expression (at character 12)"
        ):
            parse_expression("(${A} = 'x'")


class LocatedFaultTests(SimpleTestCase):
    def errors(self, book: Workbook) -> list[str]:
        with self.assertRaises(WorkbookError) as caught:
            read_workbook(saved(book), source="broken.xlsx")
        self.assertIsInstance(caught.exception, qn.DefinitionError)
        return caught.exception.errors

    def test_an_unknown_type(self) -> None:
        book = default_book()
        row = question_row(book, "D13")
        put(book, "survey", row, "type", "singel")
        self.assertEqual(
            self.errors(book),
            [f"survey!row {row}, column type: unknown type 'singel'"],
        )

    def test_a_duplicate_question_id(self) -> None:
        book = default_book()
        first, row = question_row(book, "A1"), question_row(book, "A2")
        put(book, "survey", row, "id", "A1")
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column id: duplicate question id 'A1' "
                f"(first on row {first})"
            ],
        )

    def test_a_show_if_on_a_later_question(self) -> None:
        book = default_book()
        row = question_row(book, "A4a")
        put(book, "survey", row, "show_if", "${A7} = 'none'")
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column show_if: show-if refers to 'A7', "
                "which is missing or comes later"
            ],
        )

    def test_a_missing_required_binding(self) -> None:
        book = default_book()
        put(book, "survey", question_row(book, "D1"), "binds", None)
        self.assertEqual(
            self.errors(book),
            [
                "survey!row —, column binds: no question binds 'name' (required: "
                "a text question of the repeatable section)"
            ],
        )

    def test_a_choice_list_that_does_not_exist(self) -> None:
        book = default_book()
        row = question_row(book, "D13")
        put(book, "survey", row, "choices", "criticality")
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column choices: choice list 'criticality' "
                "does not exist on the choices sheet"
            ],
        )

    def test_a_scored_option_without_a_factor(self) -> None:
        book = default_book()
        row = row_of(book, "choices", list_name="D13", value="level_1")
        put(book, "choices", row, "factor", None)
        self.assertEqual(
            self.errors(book),
            [
                f"choices!row {row}, column factor: option 'level_1' of list 'D13' "
                "has no factor, but question D13 is scored (C)"
            ],
        )

    def test_a_broken_workbook_lists_every_fault_at_once(self) -> None:
        book = default_book()
        d13, a2 = question_row(book, "D13"), question_row(book, "A2")
        put(book, "survey", d13, "type", "singel")
        put(book, "survey", a2, "id", "A1")
        put(book, "survey", question_row(book, "D1"), "binds", None)
        put(book, "survey", question_row(book, "A3"), "required", "maybe")
        factor = row_of(book, "choices", list_name="D16", value="easy")
        put(book, "choices", factor, "factor", None)
        put(book, "settings", row_of(book, "settings", key="format"), "value", "one")
        errors = self.errors(book)
        a1, a3 = question_row(book, "A1"), question_row(book, "A3")
        self.assertEqual(
            errors,
            [
                "survey!row —, column binds: no question binds 'name' (required: "
                "a text question of the repeatable section)",
                f"survey!row {a2}, column id: duplicate question id 'A1' "
                f"(first on row {a1})",
                f"survey!row {a3}, column required: 'maybe' is not a yes/no value "
                "(yes, no, TRUE or FALSE)",
                f"survey!row {d13}, column type: unknown type 'singel'",
                f"choices!row {factor}, column factor: option 'easy' of list 'D16' "
                "has no factor, but question D16 is scored (Sub)",
                "settings!row 2, column value: 'one' is not a number",
            ],
        )

    def test_an_expression_syntax_error(self) -> None:
        book = default_book()
        row = question_row(book, "D3")
        put(book, "survey", row, "show_if", "${D2} == 'direct'")
        check = row_of(book, "checks", warn_if="${B2} = 'yes'")
        put(book, "checks", check, "unless_some_use", "selected(${D2} 'x')")
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column show_if: syntax error: expected a value "
                "in quotes, found '=' (at character 8)",
                f"checks!row {check}, column unless_some_use: syntax error: "
                "expected ',', found \"'x'\" (at character 16)",
            ],
        )

    def test_unknown_sheets_and_columns_and_bad_numbers(self) -> None:
        book = default_book()
        book.create_sheet("notes")
        book["survey"].cell(1, column(book, "survey", "label::fr"), "lable::fr")
        row = question_row(book, "A1")
        put(book, "survey", row, "max_length", "long")
        self.assertEqual(
            self.errors(book),
            [
                "notes!row —, column —: unknown sheet (the sheets are survey, "
                "choices, subfields, settings, checks)",
                "survey!row 1, column lable::fr: unknown column (did you mean "
                "label::fr?)",
                f"survey!row {row}, column max_length: 'long' is not a number",
            ],
        )

    def test_the_parser_s_faults_are_traced_to_their_row(self) -> None:
        """Once the workbook's own checks pass, parse() judges; its fault is located."""
        book = default_book()
        row = question_row(book, "F3")
        put(book, "survey", row, "must_be", "maybe")
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column must_be: question F3: 'must_be' names "
                "one of the question's fixed options"
            ],
        )

    def test_a_parser_fault_on_an_option_points_at_the_choices_sheet(self) -> None:
        book = default_book()
        row = row_of(book, "choices", list_name="D8", value="secret")
        put(book, "choices", row, "flag", "deliverable")
        [error] = self.errors(book)
        self.assertTrue(
            error.startswith(f"choices!row {row}, column flag: question D8: "), error
        )

    def test_a_routing_fault_points_at_its_setting(self) -> None:
        book = default_book()
        row = row_of(book, "settings", key="routing.direct")
        put(book, "settings", row, "value", "A1")
        self.assertEqual(
            self.errors(book),
            [
                f"settings!row {row}, column value: routing: A1 must be a "
                "yesno_unknown question"
            ],
        )

    def test_a_section_fault_from_the_parser_points_at_the_section_row(self) -> None:
        book = default_book()
        row = row_of(book, "survey", type="begin section", id="D")
        put(book, "survey", row, "min_items", -1)
        self.assertEqual(
            self.errors(book),
            [
                f"survey!row {row}, column min_items: section D: 'min_items' must "
                "be a whole number ≥ 0"
            ],
        )

    def test_a_check_fault_from_the_parser_points_at_the_check_row(self) -> None:
        book = default_book()
        put(book, "checks", 2, "for_each_use", True)
        self.assertEqual(
            self.errors(book),
            [
                "checks!row 2, column unless_some_use: check #1: 'unless_some_use' "
                "is for organisation-level checks"
            ],
        )

    def test_a_section_needs_its_end_row(self) -> None:
        book = default_book()
        begin = row_of(book, "survey", type="begin section", id="A")
        book["survey"].delete_rows(row_of(book, "survey", type="end section", id="A"))
        self.assertEqual(
            self.errors(book),
            [f"survey!row {begin}, column type: section 'A' has no end section row"],
        )

    def test_a_file_that_is_not_a_workbook(self) -> None:
        with self.assertRaises(WorkbookError) as caught:
            read_workbook(BytesIO(b"not a zip"), source="notes.xlsx")
        self.assertIn(
            "notes.xlsx: not a readable .xlsx workbook", str(caught.exception)
        )


class CommandTests(TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def test_load_questionnaire_reads_a_workbook(self) -> None:
        path = self.folder / "v1.xlsx"
        write_workbook(default_data(), path)
        out = StringIO()
        call_command("load_questionnaire", str(path), stdout=out)
        self.assertIn("Loaded ai-vendor-dependence v1", out.getvalue())
        self.assertEqual(QuestionnaireVersion.objects.get().definition, default_data())

    def test_a_broken_workbook_prints_each_fault_and_loads_nothing(self) -> None:
        book = default_book()
        d13, a2 = question_row(book, "D13"), question_row(book, "A2")
        put(book, "survey", d13, "type", "singel")
        put(book, "survey", a2, "id", "A1")
        path = self.folder / "broken.xlsx"
        book.save(path)
        err = StringIO()
        with self.assertRaisesMessage(
            CommandError, f"{path}: 2 problem(s); nothing was loaded."
        ):
            call_command("load_questionnaire", str(path), stdout=StringIO(), stderr=err)
        self.assertEqual(
            err.getvalue().splitlines(),
            [
                f"survey!row {a2}, column id: duplicate question id 'A1' "
                f"(first on row {question_row(book, 'A1')})",
                f"survey!row {d13}, column type: unknown type 'singel'",
            ],
        )
        self.assertFalse(QuestionnaireVersion.objects.exists())

    def test_dump_questionnaire_writes_what_was_stored(self) -> None:
        version = QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION)
        path = self.folder / "dump.xlsx"
        out = StringIO()
        call_command(
            "dump_questionnaire",
            "ai-vendor-dependence",
            "1",
            output=str(path),
            stdout=out,
        )
        self.assertIn(f"Wrote ai-vendor-dependence v1 to {path}", out.getvalue())
        back = read_workbook(path, source=str(path))
        self.assertEqual(back, version.definition)
        self.assertEqual(canonical_json(back), canonical_json(version.definition))
        # Loading the dump again is loading the same definition: refused as identical.
        with self.assertRaisesMessage(CommandError, "is identical to questionnaire"):
            call_command("load_questionnaire", str(path), stdout=StringIO())

    def test_dump_questionnaire_names_a_missing_version(self) -> None:
        with self.assertRaisesMessage(CommandError, "No questionnaire version x v9."):
            call_command("dump_questionnaire", "x", "9", stdout=StringIO())
