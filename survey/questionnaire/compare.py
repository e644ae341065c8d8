"""Two versions of a questionnaire side by side: which questions are new or changed, and
which answers given on the older one still stand on the newer.

Used when a campaign's responses start from a predecessor campaign's submissions, and when
an admin moves a campaign to another version. Pure functions, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from survey.questionnaire.definition import Questionnaire
from survey.questionnaire.elements import Question

NEW = "new"
CHANGED = "changed"


@dataclass(frozen=True)
class Carried:
    """Answers that still stand on the newer version, and the question ids dropped."""

    answers: dict[str, Any]
    dropped: tuple[str, ...]


def _shape(question: Question) -> tuple[Any, ...]:
    """What an answer's meaning rests on: its type, its option codes, its subfields."""
    return (
        question.type,
        tuple(o.value for o in question.options),
        tuple(s.id for s in question.subfields),
        question.options_from,
        question.section_id,
    )


def _wording(question: Question) -> tuple[Any, ...]:
    return (
        question.label,
        question.help,
        tuple(o.label for o in question.options),
        tuple(s.label for s in question.subfields),
    )


def keeps_answers(old: Question, new: Question, *, files: bool = False) -> bool:
    """Whether an answer to `old` still answers `new`.

    Not when the type, the option codes (one added, removed or renamed: the contractor
    would have chosen among other options), the subfields or the section changed. Files
    are not carried (the evidence belongs to the response it was uploaded with) unless
    `files` says the answers stay on their own response (a campaign moved to another
    version); attestations never are (a question that must be affirmed is affirmed
    afresh each time).
    """
    if new.type == "file" and not files:
        return False
    return not new.must_be and _shape(old) == _shape(new)


def changes(old: Questionnaire, new: Questionnaire) -> dict[str, str]:
    """Question id → NEW (not in `old`) or CHANGED (worded or shaped otherwise), for the
    questions of `new` that a contractor answering it again should look at."""
    result = {}
    for question in new.questions:
        before = old._by_id.get(question.id)
        if before is None:
            result[question.id] = NEW
        elif _shape(before) != _shape(question) or _wording(before) != _wording(
            question
        ):
            result[question.id] = CHANGED
    return result


def carry(
    old: Questionnaire,
    new: Questionnaire,
    answers: Mapping[str, Any],
    *,
    files: bool = False,
) -> Carried:
    """The answers to `old` that still stand on `new`, matched by question id.

    Dropped: answers to questions `new` does not have, or whose answers it no longer
    takes (keeps_answers, which `files` is passed to). Nothing else is checked here:
    show-if and requiredness are judged on `new` as for any draft.
    """
    kept, dropped = {}, []
    for qid, value in answers.items():
        before, after = old._by_id.get(qid), new._by_id.get(qid)
        if (
            before is not None
            and after is not None
            and keeps_answers(before, after, files=files)
        ):
            kept[qid] = value
        else:
            dropped.append(qid)
    return Carried(kept, tuple(dropped))


def carry_response(
    old: Questionnaire,
    new: Questionnaire,
    answers: Mapping[str, Any],
    uses: Sequence[Mapping[str, Any]],
    *,
    files: bool = False,
) -> tuple[Carried, list[Carried]]:
    """carry() on the organisation's answers and on each use's; a use section that
    `new` does not have drops every use's answers."""
    return carry(old, new, answers, files=files), [
        carry(old, new, use, files=files) for use in uses
    ]
