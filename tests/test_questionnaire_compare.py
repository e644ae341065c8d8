"""survey.questionnaire.compare: what carries from one version of a questionnaire to the next."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase

from survey import questionnaire as qn
from survey.questionnaire import compare
from tests.test_questionnaire import default_data, question


def next_version() -> dict[str, Any]:
    """v1 after counsel's review: A4a gone, C1 with one more option, A1 reworded, a new
    question after A7, and D7 now a plain yes/no."""
    data = default_data()
    data["version"] = "1.1"
    section_a = data["sections"][0]["questions"]
    section_a[:] = [q for q in section_a if q["id"] != "A4a"]
    question(data, "A1")["label"]["en"] = "Legal name of the organisation"
    question(data, "C1")["options"].append(
        {
            "value": "other_gov",
            "label": {"en": "Another agency", "fr": "Une autre agence"},
        }
    )
    question(data, "D7")["type"] = "yesno"
    section_a.append(
        {
            "id": "A8",
            "type": "text",
            "label": {"en": "Website", "fr": "Site web"},
        }
    )
    return data


class ChangesTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.old = qn.parse(default_data())
        cls.new = qn.parse(next_version())

    def test_new_and_changed_questions_are_named_and_nothing_else(self) -> None:
        self.assertEqual(
            compare.changes(self.old, self.new),
            {"A1": "changed", "C1": "changed", "D7": "changed", "A8": "new"},
        )

    def test_the_same_version_changes_nothing(self) -> None:
        self.assertEqual(compare.changes(self.old, self.old), {})


class CarryTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.old = qn.parse(default_data())
        cls.new = qn.parse(next_version())

    def test_matched_answers_are_kept_and_the_others_dropped(self) -> None:
        answers = {
            "A1": "Northwind",  # reworded: the answer still stands
            "A4a": "Prime unit",  # removed
            "B1": "yes",
            "C1": ["api_payg"],  # options changed
            "F3": "yes",  # an attestation: given afresh
            "E1b": {"attachment": "x"},  # a file: stays with its response
            "ZZ9": "stray",  # not in either version
        }
        carried = compare.carry(self.old, self.new, answers)
        self.assertEqual(carried.answers, {"A1": "Northwind", "B1": "yes"})
        self.assertEqual(set(carried.dropped), {"A4a", "C1", "F3", "E1b", "ZZ9"})

    def test_use_answers_whose_type_changed_are_dropped(self) -> None:
        org, (use,) = compare.carry_response(
            self.old,
            self.new,
            {"B1": "yes"},
            [{"D1": "Drafting", "D7": "unknown", "D13": "level_2"}],
        )
        self.assertEqual(org.answers, {"B1": "yes"})
        self.assertEqual(use.answers, {"D1": "Drafting", "D13": "level_2"})
        self.assertEqual(use.dropped, ("D7",))

    def test_an_unchanged_version_keeps_every_answer_but_files_and_attestations(
        self,
    ) -> None:
        answers = {"A1": "Northwind", "A4": "enterprise", "F3": "yes"}
        carried = compare.carry(self.old, self.old, answers)
        self.assertEqual(carried.answers, {"A1": "Northwind", "A4": "enterprise"})
