"""The questionnaire itself: its sections, bindings, routing and attestation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from survey.questionnaire.elements import (
    BINDINGS,
    OPTION_FLAGS,
    Check,
    ContractLinks,
    Question,
    Routing,
    Section,
    Text,
)
from survey.questionnaire.visibility import Visibility


@dataclass(frozen=True)
class Questionnaire(Visibility):
    key: str
    version: str
    title: Text
    banner: Text
    routing: Routing
    attestation: Mapping[str, Text]
    sections: tuple[Section, ...]
    checks: tuple[Check, ...] = ()
    _by_id: Mapping[str, Question] = field(
        repr=False, compare=False, default_factory=dict
    )
    _bound: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def bound(self, binding: str) -> Question | None:
        """The question that plays `binding` (see BINDINGS), None if none does."""
        qid = self._bound.get(binding)
        return self._by_id[qid] if qid else None

    def binding(self, binding: str) -> str:
        """The id of the question that plays `binding`, "" if none does."""
        return self._bound.get(binding, "")

    @property
    def bound_ids(self) -> dict[str, str]:
        """Every binding's question id, "—" where no question plays it: the figures and
        columns that name their question ("Channel (%(channel)s)") fill it from here."""
        return {name: self._bound.get(name, "—") for name in BINDINGS}

    def flagged(self, flag: str) -> frozenset[str]:
        """The option values carrying `flag` (see OPTION_FLAGS) on its bound question."""
        question = self.bound(OPTION_FLAGS[flag])
        options = question.options if question else ()
        return frozenset(o.value for o in options if o.flag == flag)

    @property
    def supply_tiers(self) -> dict[str, str]:
        """Channel option → supply tier ("1", "2", "2+") where the definition gives one."""
        channel = self.bound("channel")
        options = channel.options if channel else ()
        return {o.value: o.tier for o in options if o.tier}

    @property
    def contract_links(self) -> ContractLinks | None:
        section = self.use_section
        for question in section.questions if section else ():
            if question.options_from:
                return ContractLinks(question.options_from, question.id)
        return None

    def route(self, answers: Mapping[str, Any]) -> str:
        """Screening route of spec §1 'Routing after B'."""
        screening = [answers.get(q) for q in self.routing.screening]
        if "yes" in screening:
            return "dependence"
        if all(a == "no" for a in screening):
            return "no_dependence"
        return "unresolved"

    def attestation_text(
        self, answers: Mapping[str, Any], vendor: str, completion_date: str
    ) -> str:
        """The attestation for the answers' route; completion_date fills the incomplete one."""
        key = {"dependence": "dependence", "no_dependence": "no_dependence"}.get(
            self.route(answers), "inquiry_incomplete"
        )
        return (
            self.attestation[key]
            .render(vendor)
            .replace("{completion_date}", completion_date)
        )
