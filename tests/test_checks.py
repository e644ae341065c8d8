from __future__ import annotations

from django.test import SimpleTestCase
from django.utils import translation

from survey.checks import soft_checks
from survey.demo import DEFAULT_DEFINITION
from survey.questionnaire import load_file
from tests.helpers import complete_use_answers

DEFAULT = load_file(DEFAULT_DEFINITION)


def checks(answers: dict, uses: list[dict]) -> list:
    return soft_checks(DEFAULT, answers, uses, "Acme AI")


class SoftCheckTests(SimpleTestCase):
    def test_screening_yes_needs_a_matching_use(self) -> None:
        answers = {"B2": "yes", "B3": "yes", "B5": "yes", "A7": "secret"}
        uses = [complete_use_answers(D2="cloud_platform")]
        messages = [w.message for w in checks(answers, uses)]
        self.assertEqual(len(messages), 2)
        self.assertIn("B3", messages[0])
        self.assertIn("B5", messages[1])
        uses.append(complete_use_answers(D2="embedded", D6="deliverable"))
        self.assertEqual(checks(answers, uses), [])

    def test_classified_use_checks(self) -> None:
        answers = {"A7": "none"}
        use = complete_use_answers(D8="secret", D9=["proprietary"])
        warnings = checks(answers, [use])
        self.assertEqual([w.use_index for w in warnings], [0, 0])
        use = complete_use_answers(D8="secret", D9=["classified"])
        self.assertEqual(len(checks({"A7": "secret"}, [use])), 0)
        # A more classified environment than the organisation's, with classified data.
        use = complete_use_answers(D8="top_secret", D9=["classified"])
        warnings = checks({"A7": "secret"}, [use])
        self.assertEqual([w.use_index for w in warnings], [0])
        self.assertIn("more classified", warnings[0].message)

    def test_messages_come_from_the_definition_in_the_page_language(self) -> None:
        with translation.override("fr"):
            warnings = checks({"B5": "yes"}, [complete_use_answers(D6="internal")])
        self.assertEqual(
            [w.message for w in warnings],
            [
                "Vous avez répondu Oui à B5, mais aucune utilisation ne fait partie "
                "d’un livrable (D6)."
            ],
        )
        self.assertEqual(warnings[0].section_id, "D")
