"""The visibility walk: which sections and questions show for the answers given so far,
what is still missing, how far along a response is and how complete its answers are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from survey.questionnaire.elements import UNKNOWN, Missing, Question, Section

if TYPE_CHECKING:
    from survey.questionnaire.definition import Questionnaire


class Visibility:
    """The walk over a questionnaire's sections (mixed into Questionnaire)."""

    sections: tuple[Section, ...]

    @property
    def use_section(self) -> Section | None:
        return next((s for s in self.sections if s.repeatable), None)

    def section_visible(self, section: Section, answers: Mapping[str, Any]) -> bool:
        return section.shown(answers)

    def visible_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The organisation-level answers that count: hidden questions are dropped."""
        kept: dict[str, Any] = {}
        for section in self.sections:
            if section.repeatable or not self.section_visible(section, kept):
                continue
            for question in section.questions:
                if question.shown(kept) and question.id in answers:
                    kept[question.id] = answers[question.id]
        return kept

    def register_shown(self, org_answers: Mapping[str, Any]) -> bool:
        """Whether the use register (section D) shows for the organisation's answers."""
        section = self.use_section
        return section is not None and self.section_visible(
            section, self.visible_answers(org_answers)
        )

    def visible_use_answers(
        self, use_answers: Mapping[str, Any], org_answers: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The answers of one use that count, given the organisation's answers.

        None count while the register itself is hidden (B1-B5 all No): the uses are
        kept in the draft, but neither submitted nor shown.
        """
        section = self.use_section
        if section is None or not self.register_shown(org_answers):
            return {}
        context = dict(org_answers)
        kept: dict[str, Any] = {}
        for question in section.questions:
            if question.shown(context) and question.id in use_answers:
                kept[question.id] = context[question.id] = use_answers[question.id]
        return kept

    def visible_questions(
        self, section: Section, answers: Mapping[str, Any], org: Mapping[str, Any] = {}
    ) -> list[Question]:
        """The questions of a section shown for these answers (a use's, for section D)."""
        if section.repeatable:
            context = {**org, **self.visible_use_answers(answers, org)}
        else:
            context = self.visible_answers(answers)
            if not self.section_visible(section, context):
                return []
        return [q for q in section.questions if q.shown(context)]

    def shown_ids(
        self, answers: Mapping[str, Any], org: Mapping[str, Any] | None = None
    ) -> set[str]:
        """Ids of the questions shown for these answers, answered or not.

        Organisation-level questions by default; with `org` (the organisation's
        answers), the questions of the use whose answers these are.
        """
        if org is not None:
            section = self.use_section
            if section is None:
                return set()
            visible = self.visible_answers(org)
            return {q.id for q in self.visible_questions(section, answers, visible)}
        return {
            q.id
            for section in self.sections
            if not section.repeatable
            for q in self.visible_questions(section, answers)
        }

    def missing_required(
        self,
        answers: Mapping[str, Any],
        uses: Sequence[Mapping[str, Any]],
        also_required: frozenset[str] = frozenset(),
    ) -> list[Missing]:
        """Every required answer still to give, in questionnaire order.

        `also_required` names questions that a campaign setting makes required.
        """
        org = self.visible_answers(answers)
        missing: list[Missing] = []
        for section in self.sections:
            if not self.section_visible(section, org):
                continue
            if not section.repeatable:
                for question in self.visible_questions(section, answers):
                    required = question.required or question.id in also_required
                    if required and not is_answered(question, org.get(question.id)):
                        missing.append(Missing(section, question))
                continue
            if len(uses) < section.min_items:
                missing.append(Missing(section))
            for index, use in enumerate(uses):
                kept = self.visible_use_answers(use, org)
                for question in self.visible_questions(section, use, org):
                    required = question.required or question.id in also_required
                    if required and not is_answered(question, kept.get(question.id)):
                        missing.append(Missing(section, question, index))
        return missing

    def progress(
        self,
        answers: Mapping[str, Any],
        uses: Sequence[Mapping[str, Any]],
        also_required: frozenset[str] = frozenset(),
    ) -> dict[str, tuple[int, int]]:
        """Per visible section: (required answers given, required answers)."""
        org = self.visible_answers(answers)
        result: dict[str, tuple[int, int]] = {}
        for section in self.sections:
            if not self.section_visible(section, org):
                continue
            if section.repeatable:
                groups = [(u, self.visible_use_answers(u, org)) for u in uses]
                required = section.min_items if not uses else 0
            else:
                groups = [(answers, org)]
                required = 0
            given = 0
            for raw, kept in groups:
                for question in self.visible_questions(section, raw, org):
                    if question.required or question.id in also_required:
                        required += 1
                        given += is_answered(question, kept.get(question.id))
            result[section.id] = (given, required)
        return result


def is_answered(question: Question, value: Any) -> bool:
    """Whether a stored value answers a question (Unknown counts as an answer)."""
    if value is None or value == "" or value == [] or value == {}:
        return False
    if question.type == "file":
        return isinstance(value, dict) and bool(value.get("attachment"))
    if question.type == "group":
        return isinstance(value, dict) and all(
            value.get(sub.id) for sub in question.subfields if sub.required
        )
    if question.must_be:
        return value == question.must_be
    return True


def completeness(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    use_answers: list[dict[str, Any]],
) -> float:
    """Share (%) of visible required questions answered with something other than Unknown."""
    required = known = 0

    def count(question: Question, value: Any) -> None:
        nonlocal required, known
        if not question.required:
            return
        required += 1
        option = question.option(value) if isinstance(value, str) else None
        if value in (None, "", [], {}, UNKNOWN) or (option and option.unknown):
            return
        known += 1

    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, answers):
            continue
        for question in section.questions:
            if question.shown(answers):
                count(question, answers.get(question.id))
    use_section = questionnaire.use_section
    if use_section is not None and questionnaire.section_visible(use_section, answers):
        for raw in use_answers:
            context = {**answers, **raw}
            for question in use_section.questions:
                if question.shown(context):
                    count(question, raw.get(question.id))
    return round(100 * known / required, 1) if required else 100.0
