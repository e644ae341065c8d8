from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.http import QueryDict
from django.test import SimpleTestCase, TestCase
from django.utils import timezone, translation

from survey import questionnaire as qn
from survey.demo import DEFAULT_DEFINITION
from survey.editing import Edit
from survey.forms import TEXT_MAX, TEXTAREA_MAX, AnswerForm
from tests.helpers import complete_org_answers, make_response, make_user

Q = qn.load_file(DEFAULT_DEFINITION)


def form_for(
    section_id: str,
    data: dict[str, Any] | None = None,
    answers: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AnswerForm:
    return AnswerForm(
        data,
        section=Q.section(section_id),
        vendor="Example AI",
        answers=answers or {},
        **kwargs,
    )


def posted(
    section_id: str, data: dict[str, Any], **kwargs: Any
) -> tuple[dict, AnswerForm]:
    form = form_for(section_id, data, **kwargs)
    form.is_valid()
    answers, _invalid = form.answers()
    return answers, form


class QuestionTypeTests(SimpleTestCase):
    """Each question type reads what a person types into the stored answer format."""

    def test_required_is_said_in_the_page_language(self) -> None:
        """Issue 10 §9: "(required)" was English on French labels."""
        with translation.override("fr"):
            label = form_for("A").fields["A1"].label
        self.assertTrue(label.endswith("(obligatoire)"), label)
        self.assertTrue(form_for("A").fields["A1"].label.endswith("(required)"))

    def test_text_with_pattern(self) -> None:
        answers, form = posted("A", {"A1": "  Acme Corp  ", "A2": "abcdefgh1234"})
        self.assertEqual((answers["A1"], answers["A2"]), ("Acme Corp", "abcdefgh1234"))
        answers, form = posted("A", {"A2": "0BCDEFGH1234"})
        self.assertIn("A2", form.errors)
        self.assertNotIn("A2", answers)

    def test_text_list(self) -> None:
        answers, form = posted("A", {"A3": "1abc5, 2DEF6\n3GHI7"})
        self.assertEqual(answers["A3"], ["1ABC5", "2DEF6", "3GHI7"])
        self.assertEqual(form.errors, {})

    def test_single_and_multi_choice(self) -> None:
        answers, _ = posted(
            "A", {"A4": "business_units", "A5": ["prime", "commercial_cots"]}
        )
        self.assertEqual(answers["A4"], "business_units")
        self.assertEqual(answers["A5"], ["prime", "commercial_cots"])
        _, form = posted("A", {"A4": "everything", "A5": ["prime", "B1"]})
        self.assertIn("A4", form.errors)
        self.assertIn("A5", form.errors)

    def test_yes_no_and_yes_no_unknown(self) -> None:
        answers, _ = posted("B", {"B1": "unknown", "B2": "yes"})
        self.assertEqual((answers["B1"], answers["B2"]), ("unknown", "yes"))
        _, form = posted("F", {"F3": "unknown"})
        self.assertIn("F3", form.errors)

    def test_int_with_unknown(self) -> None:
        answers, _ = posted("D", {"D14": "120"})
        self.assertEqual(answers["D14"], 120)
        answers, _ = posted("D", {"D14": "", "D14__unknown": "on"})
        self.assertEqual(answers["D14"], qn.UNKNOWN)
        for bad in ["-1", "1e309", "NaN", "12.5", "0x10", "１２", "١٢"]:
            with self.subTest(value=bad):
                _, form = posted("D", {"D14": bad})
                self.assertIn("D14", form.errors)

    def test_percentage_bounds(self) -> None:
        answers, _ = posted("E", {"E2a": "40"})
        self.assertEqual(answers["E2a"], 40)
        answers, _ = posted("E", {"E2a": "12.5"})
        self.assertEqual(answers["E2a"], 12.5)
        for bad in ["101", "-1", "Infinity", "NaN", "0x10", "１２"]:
            with self.subTest(value=bad):
                _, form = posted("E", {"E2a": bad})
                self.assertIn("E2a", form.errors)

    def test_currency_is_stored_exactly(self) -> None:
        answers, _ = posted("C", {"C2": "1234567.5"})
        self.assertEqual(answers["C2"], "1234567.50")
        answers, _ = posted("C", {"C2__unknown": "on"})
        self.assertEqual(answers["C2"], qn.UNKNOWN)
        _, form = posted("C", {"C2": "1e309"})
        self.assertIn("C2", form.errors)

    def test_dates(self) -> None:
        answers, _ = posted("E", {"E1a": "2027-06-30"})
        self.assertEqual(answers["E1a"], "2027-06-30")
        for bad in ["0000-00-00", "2025-02-30", "tomorrow", "9999-12-31", "1899-01-01"]:
            with self.subTest(value=bad):
                _, form = posted("E", {"E1a": bad})
                self.assertIn("E1a", form.errors)

    def test_rows_keep_filled_rows_and_check_required_subfields(self) -> None:
        data = {
            "A6__0__piid": "W1",
            "A6__0__program": "P1",
            "A6__1__piid": "",
            "A6__1__program": "",
            "A6__2__piid": "W3",
            "A6__2__program": "",
        }
        answers, form = posted("A", data)
        self.assertIn("A6__2__program", form.errors)
        self.assertNotIn("A6", answers)
        data["A6__2__program"] = "P3"
        answers, form = posted("A", data)
        self.assertEqual(
            answers["A6"],
            [{"piid": "W1", "program": "P1"}, {"piid": "W3", "program": "P3"}],
        )

    def test_rows_posted_beyond_the_spare_rows_are_kept(self) -> None:
        data = {f"A6__{i}__piid": f"W{i}" for i in range(6)}
        data |= {f"A6__{i}__program": f"P{i}" for i in range(6)}
        answers, _ = posted("A", data)
        self.assertEqual(len(answers["A6"]), 6)

    def test_group_with_email(self) -> None:
        answers, _ = posted("F", {"F1__name": "Pat", "F1__email": "pat@example.com"})
        self.assertEqual(
            answers["F1"],
            {"name": "Pat", "title": "", "email": "pat@example.com", "phone": ""},
        )
        _, form = posted("F", {"F1__email": "not an email"})
        self.assertIn("F1__email", form.errors)

    def test_choices_from_another_answer(self) -> None:
        org = {"A6": [{"piid": "W1", "program": "Vehicles"}]}
        answers, form = posted("D", {"D5": ["W1"]}, org_answers=org)
        self.assertEqual(answers["D5"], ["W1"])
        _, form = posted("D", {"D5": ["W9"]}, org_answers=org)
        self.assertIn("D5", form.errors)

    def test_control_characters_and_overlong_text_are_field_errors(self) -> None:
        for bad in ["a\x00b", "a\x07b", "x" * 201]:
            with self.subTest(value=bad[:5]):
                _, form = posted("A", {"A1": bad})
                self.assertIn("A1", form.errors)

    def test_empty_answer_clears(self) -> None:
        answers, _ = posted("A", {"A1": "", "A5": []})
        self.assertIsNone(answers["A1"])
        self.assertIsNone(answers["A5"])

    def test_every_field_has_a_label(self) -> None:
        for section in Q.sections:
            form = form_for(section.id)
            for name, field in form.fields.items():
                self.assertTrue(str(field.label).strip(), f"{section.id}: {name}")

    def test_required_questions_are_marked(self) -> None:
        with translation.override("en"):
            self.assertIn("(required)", str(form_for("A").fields["A1"].label))
            self.assertNotIn("(required)", str(form_for("B").fields["B6a"].label))

    def test_vendor_fills_labels_and_help(self) -> None:
        form = form_for("B")
        self.assertIn("Example AI", str(form.fields["B1"].label))
        self.assertNotIn("{vendor}", str(form.fields["B1"].label))


class LimitTests(SimpleTestCase):
    """IN-3: the length each page announces (maxlength) is the one the server enforces."""

    def test_every_text_input_announces_the_limit_the_server_enforces(self) -> None:
        """For every shipped definition: a question's max_length, else the defaults
        (TEXT_MAX, TEXTAREA_MAX), is the input's maxlength; the server refuses one
        character more whatever the page says, and takes exactly that many."""
        definitions = [
            path
            for path in sorted(DEFAULT_DEFINITION.parent.glob("*.json"))
            if not path.name.endswith(".demo.json")  # demo organisations, not questions
        ]
        self.assertGreaterEqual(len(definitions), 2)
        for path in definitions:
            questionnaire = qn.load_file(path)
            for section in questionnaire.sections:
                self.check_section(path, section)

    def check_section(self, path: Path, section: qn.Section) -> None:
        form = AnswerForm(section=section, vendor="Example AI", answers={})
        # Each input as the page renders it (crispy wraps these, attributes unchanged).
        html = "".join(str(form[name]) for name in form.fields)
        for question in section.questions:
            default = TEXTAREA_MAX if question.type == "textarea" else TEXT_MAX
            if question.type in {"text", "textarea", "text_list"}:
                limit = question.max_length or default
                self.assertEqual(form.fields[question.id].max_length, limit)
        announced = re.findall(r'name="([^"]+)"[^>]*maxlength="(\d+)"', html)
        announced += [
            (name, limit)
            for limit, name in re.findall(r'maxlength="(\d+)"[^>]*name="([^"]+)"', html)
        ]
        texts = {
            q.id
            for q in section.questions
            if q.type in {"text", "textarea", "text_list"}
        }
        self.assertLessEqual(texts, {name for name, _limit in announced}, section.id)
        for name, limit in announced:
            with self.subTest(definition=path.name, field=name):
                field = form.fields[name]
                self.assertEqual(field.max_length, int(limit))
                over = AnswerForm(
                    {name: "x" * (int(limit) + 1)},
                    section=section,
                    vendor="Example AI",
                    answers={},
                )
                codes = [e.code for e in over.errors.as_data().get(name, [])]
                self.assertIn("max_length", codes)
                at = AnswerForm(
                    {name: "x" * int(limit)},
                    section=section,
                    vendor="Example AI",
                    answers={},
                )
                codes = [e.code for e in at.errors.as_data().get(name, [])]
                self.assertNotIn("max_length", codes)


class TamperingTests(SimpleTestCase):
    """IN-4: what the page never sends is told apart from what a person mistypes."""

    def test_what_the_page_never_sends_is_tampering(self) -> None:
        several = QueryDict(mutable=True)
        several.setlist("A4", ["enterprise", "cage_codes"])
        yes_and_no = QueryDict(mutable=True)
        yes_and_no.setlist("B1", ["yes", "no"])
        cases: list[tuple[str, str, Any, str, str]] = [
            ("not a choice", "A", {"A4": "everything"}, "A4", "invalid_choice"),
            ("another question's option", "A", {"A4": "prime"}, "A4", "invalid_choice"),
            (
                "another question's options",
                "A",
                {"A5": ["enterprise"]},
                "A5",
                "invalid_choice",
            ),
            (
                "another questionnaire's option",
                "D",
                {"D2": "cloud"},
                "D2",
                "invalid_choice",
            ),
            ("several for a single choice", "A", several, "A4", "multiple_values"),
            ("several for yes or no", "B", yes_and_no, "B1", "multiple_values"),
            ("unknown for yes or no", "F", {"F3": "unknown"}, "F3", "invalid_choice"),
        ]
        for name, section, data, field, code in cases:
            with self.subTest(name):
                form = form_for(section, data)
                self.assertIs(form.is_valid(), False)
                self.assertIn(code, [e.code for e in form.errors.as_data()[field]])
                self.assertIs(form.tampered(), True)

    def test_what_a_person_can_type_is_not(self) -> None:
        org = {"A6": [{"piid": "W1", "program": "Vehicles"}]}
        cases: list[tuple[str, str, dict[str, Any], str]] = [
            ("a UEI in the wrong format", "A", {"A2": "0NOTAUEI"}, "A2"),
            ("an overlong name", "A", {"A1": "x" * 201}, "A1"),
            ("a malformed number", "D", {"D14": "NaN"}, "D14"),
            ("a date that does not exist", "E", {"E1a": "2025-02-30"}, "E1a"),
            # A colleague may remove the contract while this page is open.
            ("a contract no longer in A6", "D", {"D5": ["W9"]}, "D5"),
        ]
        for name, section, data, field in cases:
            with self.subTest(name):
                form = form_for(section, data, org_answers=org)
                self.assertIs(form.is_valid(), False)
                self.assertIn(field, form.errors)
                self.assertIs(form.tampered(), False)
        self.assertIs(form_for("A", {"A4": "enterprise"}).tampered(), False)


class ShowIfSaveTests(TestCase):
    """Hidden questions are neither required nor edited, whatever the browser sends."""

    def test_hidden_answers_are_dropped_on_save(self) -> None:
        response = make_response()
        user = make_user(organisation=response.organisation)
        section = Q.section("A")
        answers, _ = posted("A", {"A4": "enterprise", "A4a": "Sneaked in"})
        response.save_answers(
            Edit(answers, {}, 1, [q.id for q in section.questions]),
            user=user,
            ip=None,
            at=timezone.now(),
        )
        response.refresh_from_db()
        self.assertEqual(response.answers.get("A4"), "enterprise")
        self.assertNotIn("A4a", response.answers)

    def test_answers_of_a_section_that_becomes_hidden_stay_in_the_draft_only(
        self,
    ) -> None:
        response = make_response(answers={"B1": "yes", "C2": "100.00"})
        user = make_user(organisation=response.organisation)
        response.save_answers(
            Edit({"B1": "no"}, {"B1": "yes"}, 1, ["B1"]),
            user=user,
            ip=None,
            at=timezone.now(),
        )
        response.refresh_from_db()
        self.assertEqual(response.answers, {"B1": "no", "C2": "100.00"})
        self.assertEqual(Q.visible_answers(response.answers), {"B1": "no"})

    def test_hidden_questions_are_not_required(self) -> None:
        missing = {
            m.question.id
            for m in Q.missing_required(complete_org_answers(), [{}])
            if m.question
        }
        self.assertNotIn("A4a", missing)
        self.assertNotIn("C1", missing)
        missing = {
            m.question.id
            for m in Q.missing_required(
                complete_org_answers(A4="cage_codes", B1="yes"), []
            )
            if m.question
        }
        self.assertTrue({"A4a", "C1", "C2"} <= missing)
