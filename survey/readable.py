"""Answers as people read them: labels instead of codes, by section, and diffs of versions.

Pure functions over a parsed questionnaire and answer dicts, so that the admin page, an
export or a test can use them without a request or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from survey import questionnaire as qn


@dataclass(frozen=True)
class Line:
    question_id: str
    label: str
    value: str


@dataclass(frozen=True)
class Block:
    """One section of the organisation's answers, or one use (a repeat of section D)."""

    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Change:
    where: str
    question_id: str
    label: str
    before: str
    after: str


def format_answer(question: qn.Question, value: Any, vendor: str) -> str:
    """One answer as text (see questionnaire.display); "—" marks no answer."""
    return qn.display(question, value, vendor) or "—"


def blocks(
    questionnaire: qn.Questionnaire,
    answers: Mapping[str, Any],
    uses: Sequence[Mapping[str, Any]],
    vendor: str,
) -> list[Block]:
    """The answered questions by section, then one block per use, in order."""
    result = []
    for section in questionnaire.sections:
        if section.repeatable:
            for position, use in enumerate(uses, start=1):
                title = _("%(section)s – use %(position)s") % {
                    "section": section.title.render(vendor),
                    "position": position,
                }
                result.append(Block(title, section_lines(section, use, vendor)))
            continue
        lines = section_lines(section, answers, vendor)
        if lines:
            result.append(Block(section.title.render(vendor), lines))
    return result


def section_lines(
    section: qn.Section, answers: Mapping[str, Any], vendor: str
) -> tuple[Line, ...]:
    return tuple(
        Line(q.id, q.label.render(vendor), format_answer(q, answers[q.id], vendor))
        for q in section.questions
        if q.id in answers
    )


def diff(
    questionnaire: qn.Questionnaire,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    vendor: str,
) -> list[Change]:
    """What changed between two submitted versions ({"answers": …, "uses": […]} each)."""
    changes = _diff_answers(
        questionnaire,
        before.get("answers") or {},
        after.get("answers") or {},
        vendor,
        where=_("Organisation"),
        questions=[
            q for s in questionnaire.sections if not s.repeatable for q in s.questions
        ],
    )
    use_section = questionnaire.use_section
    old_uses, new_uses = before.get("uses") or [], after.get("uses") or []
    for index in range(max(len(old_uses), len(new_uses))):
        changes += _diff_answers(
            questionnaire,
            old_uses[index] if index < len(old_uses) else {},
            new_uses[index] if index < len(new_uses) else {},
            vendor,
            where=_("Use %(position)s") % {"position": index + 1},
            questions=list(use_section.questions) if use_section else [],
        )
    return changes


def _diff_answers(
    questionnaire: qn.Questionnaire,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    vendor: str,
    where: str,
    questions: list[qn.Question],
) -> list[Change]:
    return [
        Change(
            where,
            q.id,
            q.label.render(vendor),
            format_answer(q, before.get(q.id), vendor),
            format_answer(q, after.get(q.id), vendor),
        )
        for q in questions
        if before.get(q.id) != after.get(q.id)
    ]
