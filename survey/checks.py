"""Soft consistency checks of spec §1: warnings shown before submission, never blockers.

The checks themselves are data, in the definition (`Questionnaire.checks`); this module
judges them against a response's answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from survey import questionnaire as qn


@dataclass(frozen=True)
class Warning:
    message: str
    section_id: str
    use_index: int | None = None


def soft_checks(
    questionnaire: qn.Questionnaire,
    answers: Mapping[str, Any],
    uses: Sequence[Mapping[str, Any]],
    vendor: str,
) -> list[Warning]:
    """The warnings for these (visible) answers, organisation-level ones first."""
    section = questionnaire.use_section
    section_id = section.id if section else ""
    warnings: list[Warning] = []
    for check in questionnaire.checks:
        if check.for_each_use:
            continue
        unless = check.unless_some_use
        if check.warn_if.evaluate(answers) and not (
            unless is not None and any(unless.evaluate({**answers, **u}) for u in uses)
        ):
            warnings.append(Warning(check.message.render(vendor), section_id))
    for index, use in enumerate(uses):
        context = {**answers, **use}
        for check in questionnaire.checks:
            if check.for_each_use and check.warn_if.evaluate(context):
                warnings.append(
                    Warning(check.message.render(vendor), section_id, index)
                )
    return warnings
