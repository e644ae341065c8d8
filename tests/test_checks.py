from __future__ import annotations

from django.test import SimpleTestCase

from survey.checks import soft_checks
from tests.helpers import complete_use_answers


class SoftCheckTests(SimpleTestCase):
    def test_screening_yes_needs_a_matching_use(self) -> None:
        answers = {"B2": "yes", "B3": "yes", "B5": "yes", "A7": "secret"}
        uses = [complete_use_answers(D2="cloud_platform")]
        messages = [w.message for w in soft_checks(answers, uses)]
        self.assertEqual(len(messages), 2)
        self.assertIn("B3", messages[0])
        self.assertIn("B5", messages[1])
        uses.append(complete_use_answers(D2="embedded", D6="deliverable"))
        self.assertEqual(soft_checks(answers, uses), [])

    def test_classified_use_checks(self) -> None:
        answers = {"A7": "none"}
        use = complete_use_answers(D8="secret", D9=["proprietary"])
        warnings = soft_checks(answers, [use])
        self.assertEqual([w.use_index for w in warnings], [0, 0])
        use = complete_use_answers(D8="secret", D9=["classified"])
        self.assertEqual(len(soft_checks({"A7": "secret"}, [use])), 0)
