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
    later: qn.Questionnaire | None = None,
) -> list[Change]:
    """What changed between two submitted versions ({"answers": …, "uses": […]} each).

    `later` is the questionnaire `after` was given on when it is not `questionnaire`
    (the campaign moved to another version between the two): each answer is then read
    with its own version's question, and a question only one of them has is listed
    where it stood.
    """
    later = later or questionnaire
    org = [s for s in questionnaire.sections if not s.repeatable]
    changes = _diff_answers(
        _aligned(
            [q for s in org for q in s.questions],
            [q for s in later.sections if not s.repeatable for q in s.questions],
        ),
        before.get("answers") or {},
        after.get("answers") or {},
        vendor,
        where=_("Organisation"),
    )
    pairs = _aligned(
        list(questionnaire.use_section.questions) if questionnaire.use_section else [],
        list(later.use_section.questions) if later.use_section else [],
    )
    old_uses, new_uses = before.get("uses") or [], after.get("uses") or []
    for index in range(max(len(old_uses), len(new_uses))):
        changes += _diff_answers(
            pairs,
            old_uses[index] if index < len(old_uses) else {},
            new_uses[index] if index < len(new_uses) else {},
            vendor,
            where=_("Use %(position)s") % {"position": index + 1},
        )
    return changes


# A question as the earlier and the later version ask it (the same one twice where
# only one of them has it).
Pair = tuple[qn.Question, qn.Question]


def _aligned(earlier: list[qn.Question], later: list[qn.Question]) -> list[Pair]:
    """The questions of both versions in the later one's order, each question only the
    earlier one has right after the question it followed there."""
    known = {q.id for q in later}
    by_id = {q.id: q for q in earlier}
    gone: dict[str | None, list[qn.Question]] = {}
    previous = None
    for question in earlier:
        if question.id in known:
            previous = question.id
        else:
            gone.setdefault(previous, []).append(question)
    pairs: list[Pair] = [(q, q) for q in gone.get(None, [])]
    for question in later:
        pairs.append((by_id.get(question.id, question), question))
        pairs += [(q, q) for q in gone.get(question.id, [])]
    return pairs


def _diff_answers(
    pairs: list[Pair],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    vendor: str,
    where: str,
) -> list[Change]:
    return [
        Change(
            where,
            q.id,
            q.label.render(vendor),
            format_answer(earlier, before.get(q.id), vendor),
            format_answer(q, after.get(q.id), vendor),
        )
        for earlier, q in pairs
        if before.get(q.id) != after.get(q.id)
    ]
