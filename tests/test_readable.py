from __future__ import annotations

from django.test import SimpleTestCase

from survey import questionnaire as qn
from survey import readable
from survey.demo import DEFAULT_DEFINITION


class ReadableAnswersTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.q = qn.load_file(DEFAULT_DEFINITION)

    def test_labels_replace_codes_and_the_vendor_is_filled_in(self) -> None:
        answers = {
            "A3": ["1ABC5", "2DEF6"],
            "B1": "yes",
            "F1": {"name": "Jordan Lee", "title": "Manager"},
        }
        uses = [{"D13": "level_1", "D14": "unknown"}]
        blocks = readable.blocks(self.q, answers, uses, "Example AI")
        lines = {line.question_id: line for b in blocks for line in b.lines}
        self.assertEqual(lines["A3"].value, "1ABC5; 2DEF6")
        self.assertEqual(lines["B1"].value, "Yes")
        self.assertIn("with Example AI?", lines["B1"].label)
        self.assertNotIn("{vendor}", lines["B1"].label)
        self.assertEqual(lines["F1"].value, "Name: Jordan Lee, Title: Manager")
        self.assertEqual(lines["D13"].value, "Level I – total mission failure")
        self.assertEqual(lines["D14"].value, "Unknown / not yet assessed")
        titles = [b.title for b in blocks]
        self.assertEqual(sum(t.endswith("– use 1") for t in titles), 1, titles)

    def test_unanswered_questions_are_left_out(self) -> None:
        blocks = readable.blocks(self.q, {"B1": "no"}, [], "Example AI")
        self.assertEqual([[ln.question_id for ln in b.lines] for b in blocks], [["B1"]])

    def test_diff_reports_added_removed_and_changed_uses(self) -> None:
        before = {"answers": {"B2": "no"}, "uses": [{"D1": "Chat"}]}
        after = {
            "answers": {"B2": "yes"},
            "uses": [{"D1": "Chat"}, {"D1": "Coding"}],
        }
        changes = readable.diff(self.q, before, after, "Example AI")
        self.assertEqual(
            [(c.where, c.question_id, c.before, c.after) for c in changes],
            [("Organisation", "B2", "No", "Yes"), ("Use 2", "D1", "—", "Coding")],
        )
        self.assertEqual(readable.diff(self.q, after, after, "Example AI"), [])
