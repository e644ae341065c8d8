from __future__ import annotations

import ast
import copy
import json
import re
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase
from django.utils import translation

from survey import questionnaire as qn
from survey.demo import DEFAULT_DEFINITION
from survey.models import QuestionnaireVersion

SPEC_ORG_IDS = [
    "A1",
    "A2",
    "A3",
    "A4",
    "A5",
    "A6",
    "A7",
    "B1",
    "B2",
    "B3",
    "B4",
    "B5",
    "B6",
]
SPEC_ORG_IDS += ["C1", "C2", "E1", "E2", "E3", "F1", "F2", "F3", "F4"]
SPEC_USE_IDS = [f"D{n}" for n in range(1, 19)]
# Follow-ups named in the spec's logic column ("show A4a", "D16a (multi)", ...).
SPEC_FOLLOW_UPS = ["A4a", "D16a", "D17a", "D18a", "E1a", "E2a"]


def default_data() -> dict[str, Any]:
    return json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))


def all_texts(node: Any) -> list[dict[str, str]]:
    """Every {"en", "fr"} text object in a definition."""
    if isinstance(node, dict):
        if "en" in node and set(node) <= {"en", "fr"}:
            return [node]
        return [t for value in node.values() for t in all_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in all_texts(value)]
    return []


def question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    return next(q for s in data["sections"] for q in s["questions"] if q["id"] == qid)


class DefaultDefinitionTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.q = qn.load_file(DEFAULT_DEFINITION)

    def test_it_has_every_question_of_the_spec(self) -> None:
        ids = [q.id for q in self.q.questions]
        main = [i for i in ids if re.fullmatch(r"[A-F][0-9]+", i)]
        self.assertEqual(sorted(main), sorted([*SPEC_ORG_IDS, *SPEC_USE_IDS, "D19"]))
        for follow_up in SPEC_FOLLOW_UPS:
            self.assertIn(follow_up, ids)

    def test_the_40_spec_questions_are_22_per_organisation_and_18_per_use(self) -> None:
        use_ids = {q.id for q in self.q.use_section.questions}
        org = [i for i in SPEC_ORG_IDS if i not in use_ids]
        self.assertEqual(len(org), 22)
        self.assertTrue(set(SPEC_USE_IDS) <= use_ids)
        self.assertEqual(self.q.use_section.id, "D")
        self.assertEqual(self.q.use_section.min_items, 1)

    def test_every_text_has_english_and_french(self) -> None:
        texts = all_texts(default_data())
        self.assertGreater(len(texts), 200)
        for text in texts:
            self.assertTrue(text["en"].strip() and text.get("fr", "").strip(), text)
            self.assertEqual(
                text["en"].count("{vendor}"), text["fr"].count("{vendor}"), text
            )

    def test_scored_options_carry_the_spec_factors(self) -> None:
        factors = {
            qid: {o.value: o.factor for o in self.q.question(qid).options}
            for qid in ("D8", "D12", "D13", "D16", "D17")
        }
        self.assertEqual(
            factors["D13"],
            {
                "level_1": 4,
                "level_2": 3,
                "level_3": 2,
                "level_4": 1,
                "no_impact": 0,
                "not_assessed": 4,
            },
        )
        self.assertEqual(
            factors["D16"],
            {
                "easy": 1,
                "medium": 2,
                "highly_complex": 3,
                "not_substitutable": 4,
                "not_assessed": 4,
            },
        )
        self.assertEqual(
            factors["D17"],
            {"yes_tested": 1, "yes_identified": 0, "no": 0, "not_assessed": 0},
        )
        self.assertEqual(
            factors["D8"],
            {"commercial": 1, "cui": 2, "secret": 3, "top_secret": 4, "unknown": 4},
        )
        self.assertEqual(
            factors["D12"],
            {
                "not_significant": 1,
                "low": 2,
                "material": 3,
                "full": 4,
                "not_assessed": 4,
            },
        )
        self.assertEqual(self.q.question("D14").scores, "T")

    def test_vendor_fills_every_placeholder(self) -> None:
        label = self.q.question("B1").label
        self.assertIn("{vendor}", label.en)
        self.assertIn("Example AI", label.render("Example AI", "en"))
        self.assertNotIn("{vendor}", label.render("Example AI", "fr"))
        self.assertNotEqual(label.render("X", "en"), label.render("X", "fr"))


class ShowIfTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.q = qn.load_file(DEFAULT_DEFINITION)

    def test_routes_follow_the_screening_answers(self) -> None:
        no = dict.fromkeys(["B1", "B2", "B3", "B4", "B5"], "no")
        self.assertEqual(self.q.route(no), "no_dependence")
        self.assertEqual(self.q.route({**no, "B3": "unknown"}), "unresolved")
        self.assertEqual(
            self.q.route({**no, "B3": "unknown", "B4": "yes"}), "dependence"
        )
        self.assertEqual(self.q.route({}), "unresolved")

    def test_hidden_answers_are_dropped(self) -> None:
        answers = {"A4": "enterprise", "A4a": "stale", "B1": "no", "C1": ["api_payg"]}
        kept = self.q.visible_answers(answers)
        self.assertEqual(kept, {"A4": "enterprise", "B1": "no"})
        answers = {
            "A4": "business_units",
            "A4a": "Units X and Y",
            "B1": "yes",
            "C2": "5",
        }
        self.assertEqual(self.q.visible_answers(answers), answers)

    def test_unknown_route_shows_e1_and_e2_but_not_e3(self) -> None:
        base = {"B1": "no", "B2": "unknown", "E1": "no", "E2": "complete", "E3": "10"}
        self.assertEqual(
            self.q.visible_answers(base),
            {"B1": "no", "B2": "unknown", "E1": "no", "E2": "complete"},
        )
        self.assertIn("E3", self.q.visible_answers({**base, "B2": "yes"}))

    def test_use_follow_ups_depend_on_the_use(self) -> None:
        org = {"B2": "yes"}
        use = {"D2": "direct", "D3": "stale", "D16": "easy", "D16a": ["other"]}
        self.assertEqual(
            self.q.visible_use_answers(use, org), {"D2": "direct", "D16": "easy"}
        )
        use = {
            "D2": "embedded",
            "D3": "Platform X",
            "D16": "not_substitutable",
            "D16a": ["other"],
        }
        self.assertEqual(self.q.visible_use_answers(use, org), use)
        # While the register is hidden (no screening Yes), no use answer counts.
        self.assertEqual(self.q.visible_use_answers(use, {"B2": "no"}), {})

    def test_questions_and_sections_say_whether_they_show(self) -> None:
        follow_up = self.q.question("A4a")  # shown when A4 is "business_units"
        self.assertTrue(self.q.question("A4").shown({}))  # no condition
        self.assertFalse(follow_up.shown({"A4": "enterprise"}))
        self.assertTrue(follow_up.shown({"A4": "business_units"}))
        register = self.q.use_section
        self.assertFalse(register.shown(dict.fromkeys(["B1", "B2", "B3"], "no")))
        self.assertTrue(register.shown({"B2": "yes"}))

    @translation.override("en")
    def test_attestation_follows_the_route(self) -> None:
        no = dict.fromkeys(["B1", "B2", "B3", "B4", "B5"], "no")
        text = self.q.attestation_text(no, "Example AI", "")
        self.assertIn("no direct or indirect use or provision of Example AI", text)
        text = self.q.attestation_text(
            {**no, "B2": "unknown"}, "Example AI", "2027-01-31"
        )
        self.assertIn("2027-01-31", text)
        self.assertNotIn("{", text)


class BrokenDefinitionTests(SimpleTestCase):
    """Each kind of broken definition names the file, the question and the problem."""

    def assert_error(self, data: dict[str, Any], *fragments: str) -> None:
        with self.assertRaises(qn.DefinitionError) as caught:
            qn.parse(data, source="broken.json")
        message = str(caught.exception)
        self.assertTrue(message.startswith("broken.json: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)

    def setUp(self) -> None:
        self.data = default_data()

    def test_unknown_type(self) -> None:
        question(self.data, "A5")["type"] = "slider"
        self.assert_error(self.data, "question A5", "unknown type 'slider'")

    def test_duplicate_id(self) -> None:
        question(self.data, "B2")["id"] = "B1"
        self.assert_error(self.data, "question B1", "duplicate question id")

    def test_show_if_on_a_missing_question(self) -> None:
        question(self.data, "A4a")["show_if"] = {"question": "Z9", "equals": "yes"}
        self.assert_error(
            self.data, "question A4a", "'Z9', which is missing or comes later"
        )

    def test_show_if_on_a_later_question(self) -> None:
        question(self.data, "A4a")["show_if"] = {"question": "B1", "equals": "yes"}
        self.assert_error(
            self.data, "question A4a", "'B1', which is missing or comes later"
        )

    def test_show_if_on_its_own_question(self) -> None:
        question(self.data, "A4a")["show_if"] = {"question": "A4a", "equals": "x"}
        self.assert_error(self.data, "question A4a", "missing or comes later")

    def test_section_show_if_on_a_later_question(self) -> None:
        self.data["sections"][2]["show_if"] = {"question": "E1", "equals": "no"}
        self.assert_error(
            self.data, "section C", "'E1', which is missing or comes later"
        )

    def test_show_if_on_a_value_that_is_not_an_option(self) -> None:
        question(self.data, "A4a")["show_if"] = {
            "question": "A4",
            "equals": "everything",
        }
        self.assert_error(
            self.data, "question A4a", "'everything', which is not an option"
        )

    def test_scored_option_without_factor(self) -> None:
        del question(self.data, "D13")["options"][2]["factor"]
        self.assert_error(
            self.data, "question D13", "scored option 'level_3' has no 'factor'"
        )

    def test_option_list_on_a_type_that_takes_none(self) -> None:
        question(self.data, "A1")["options"] = [{"value": "x", "label": {"en": "X"}}]
        self.assert_error(self.data, "question A1", "type text takes no option list")

    def test_option_list_on_a_yes_no_question(self) -> None:
        question(self.data, "B1")["options"] = [
            {"value": "yes", "label": {"en": "Yes"}}
        ]
        self.assert_error(self.data, "question B1", "fixed options")

    def test_choice_question_without_options(self) -> None:
        del question(self.data, "A5")["options"]
        self.assert_error(self.data, "question A5", "needs a non-empty 'options' list")

    def test_misspelt_key(self) -> None:
        question(self.data, "A1")["requried"] = True
        self.assert_error(self.data, "question A1", "unknown key(s) 'requried'")

    def test_bad_regular_expression(self) -> None:
        question(self.data, "A2")["pattern"] = "^[A-Z"
        self.assert_error(self.data, "question A2", "not a valid regular expression")

    def test_unknown_scoring_factor(self) -> None:
        question(self.data, "D13")["scores"] = "X"
        self.assert_error(self.data, "question D13", "unknown scoring factor 'X'")

    def test_org_question_cannot_depend_on_a_use_answer(self) -> None:
        question(self.data, "E3")["show_if"] = {"question": "D2", "equals": "direct"}
        self.assert_error(self.data, "question E3", "inside the repeatable section")

    def test_text_without_english(self) -> None:
        question(self.data, "A1")["label"] = {"fr": "Nom"}
        self.assert_error(self.data, "question A1 'label'", "non-empty 'en'")

    def test_routing_to_a_missing_question(self) -> None:
        self.data["routing"]["screening"].append("B9")
        self.assert_error(self.data, "routing", "missing question 'B9'")

    def test_a_valid_copy_still_parses(self) -> None:
        parsed = qn.parse(copy.deepcopy(self.data), source="ok.json")
        self.assertEqual(parsed.key, "ai-vendor-dependence")

    def test_unreadable_file_names_the_file(self) -> None:
        with self.assertRaises(qn.DefinitionError) as caught:
            qn.load_file(Path("/nonexistent/questionnaire.json"))
        self.assertIn("/nonexistent/questionnaire.json", str(caught.exception))


class BindingTests(SimpleTestCase):
    """The code reaches questions through the definition's bindings, checked at load."""

    def assert_error(self, data: dict[str, Any], *fragments: str) -> qn.DefinitionError:
        with self.assertRaises(qn.DefinitionError) as caught:
            qn.parse(data, source="bound.json")
        message = str(caught.exception)
        self.assertTrue(message.startswith("bound.json: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return caught.exception

    def setUp(self) -> None:
        self.data = default_data()

    def test_the_default_binds_every_role_the_code_reads(self) -> None:
        parsed = qn.parse(self.data)
        self.assertEqual(set(parsed._bound), set(qn.BINDINGS))
        self.assertEqual(parsed.bound("channel").id, "D2")
        self.assertEqual(parsed.binding("transition_date"), "E1a")
        self.assertEqual(parsed.binding("nowhere"), "")
        self.assertEqual(
            parsed.supply_tiers,
            {
                "direct": "1",
                "cloud_platform": "2",
                "embedded": "2+",
                "subcontractor": "2+",
            },
        )
        self.assertEqual(
            parsed.flagged("policy_friction"),
            {"task_blocked", "contractual_restriction"},
        )
        self.assertEqual(parsed.flagged("unconstrained"), {"no"})

    def test_a_missing_required_binding_names_the_file_and_the_binding(self) -> None:
        del question(self.data, "D13")["binds"]
        error = self.assert_error(
            self.data, "bindings", "no question binds 'criticality'", "single"
        )
        self.assertEqual(error.key, "binds")

    def test_a_binding_on_the_wrong_type(self) -> None:
        question(self.data, "D1")["binds"] = "days"
        del question(self.data, "D14")["binds"]
        error = self.assert_error(
            self.data, "question D1", "binding 'days' needs a int question"
        )
        self.assertEqual((error.question, error.key), ("D1", "binds"))

    def test_a_use_binding_outside_the_use_section(self) -> None:
        question(self.data, "A4a")["binds"] = "intermediary"
        del question(self.data, "D3")["binds"]
        self.assert_error(self.data, "question A4a", "inside the repeatable section")

    def test_a_binding_twice(self) -> None:
        question(self.data, "D2b")["binds"] = "intermediary"
        self.assert_error(
            self.data, "question D3", "binding 'intermediary' is already on D2b"
        )

    def test_an_unknown_binding(self) -> None:
        question(self.data, "A4a")["binds"] = "colour"
        self.assert_error(self.data, "question A4a", "unknown binding 'colour'")

    def test_option_flags_and_tiers_go_on_their_bound_question(self) -> None:
        question(self.data, "D4")["options"][0]["flag"] = "deliverable"
        self.assert_error(self.data, "question D4", "question bound to 'relationship'")
        self.data = default_data()
        question(self.data, "D4")["options"][0]["tier"] = "2"
        self.assert_error(self.data, "question D4", "channel question")

    def test_checks_are_conditions_on_known_questions(self) -> None:
        self.data["checks"][0]["warn_if"] = {"question": "Z1", "equals": "yes"}
        self.assert_error(self.data, "check #1", "'Z1', which is missing")
        self.data = default_data()
        self.data["checks"][0]["warn_if"] = {"question": "D2", "equals": "direct"}
        self.assert_error(self.data, "check #1", "inside the repeatable section")

    def test_no_question_id_is_written_into_the_code(self) -> None:
        """Every string constant of survey/ (migrations aside) that equals the id of a
        question of a shipped definition: the code must reach it through a binding."""
        ids = {
            q["id"]
            for path in DEFAULT_DEFINITION.parent.glob("*.json")
            if not path.name.endswith(".demo.json")
            for s in json.loads(path.read_text())["sections"]
            for q in s["questions"]
        }
        self.assertIn("E1a", ids)
        found = []
        package = DEFAULT_DEFINITION.parent.parent
        for path in sorted(package.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and node.value in ids:
                    found.append(
                        f"{path.relative_to(package)}:{node.lineno} {node.value}"
                    )
        self.assertEqual(found, [])


class LoadQuestionnaireCommandTests(TestCase):
    def test_it_loads_a_file_as_a_new_version(self) -> None:
        out = StringIO()
        call_command("load_questionnaire", str(DEFAULT_DEFINITION), stdout=out)
        version = QuestionnaireVersion.objects.get()
        self.assertEqual((version.key, version.version), ("ai-vendor-dependence", "1"))
        self.assertEqual(version.definition, default_data())
        self.assertIn("Loaded ai-vendor-dependence v1", out.getvalue())

    def test_it_refuses_an_identical_duplicate(self) -> None:
        call_command("load_questionnaire", str(DEFAULT_DEFINITION), stdout=StringIO())
        with self.assertRaisesMessage(
            CommandError, "is identical to questionnaire version"
        ):
            call_command(
                "load_questionnaire", str(DEFAULT_DEFINITION), stdout=StringIO()
            )
        self.assertEqual(QuestionnaireVersion.objects.count(), 1)

    def test_it_refuses_changed_content_under_an_existing_version(self) -> None:
        call_command("load_questionnaire", str(DEFAULT_DEFINITION), stdout=StringIO())
        data = default_data()
        question(data, "A1")["label"]["en"] = "Legal name"
        path = self.write(data)
        with self.assertRaisesMessage(CommandError, "give the file a new version"):
            call_command("load_questionnaire", str(path), stdout=StringIO())
        data["version"] = "2"
        call_command("load_questionnaire", str(self.write(data)), stdout=StringIO())
        self.assertEqual(QuestionnaireVersion.objects.count(), 2)

    def test_a_broken_file_loads_nothing_and_says_why(self) -> None:
        data = default_data()
        question(data, "D13")["options"][0].pop("factor")
        path = self.write(data)
        with self.assertRaises(CommandError) as caught:
            call_command("load_questionnaire", str(path), stdout=StringIO())
        self.assertIn(str(path), str(caught.exception))
        self.assertIn(
            "question D13: scored option 'level_1' has no 'factor'",
            str(caught.exception),
        )
        self.assertFalse(QuestionnaireVersion.objects.exists())

    def write(self, data: dict[str, Any]) -> Path:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = Path(directory.name) / "definition.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path
