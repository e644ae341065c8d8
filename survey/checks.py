"""Soft consistency checks of spec §1: warnings shown before submission, never blockers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# Screening question -> the D2 channel a Yes should be backed by.
_CHANNEL_OF = {"B2": "cloud_platform", "B3": "embedded", "B4": "subcontractor"}
# Ordered levels to compare an environment (D8) with the organisation's systems (A7).
_A7_LEVEL = {"none": 0, "secret": 1, "top_secret": 2, "ts_sci": 3}
_D8_LEVEL = {"commercial": 0, "cui": 0, "secret": 1, "top_secret": 2}


@dataclass(frozen=True)
class Warning:
    message: str
    section_id: str
    use_index: int | None = None


def soft_checks(
    answers: Mapping[str, Any], uses: Sequence[Mapping[str, Any]]
) -> list[Warning]:
    warnings: list[Warning] = []
    channels = {u.get("D2") for u in uses}
    for question, channel in _CHANNEL_OF.items():
        if answers.get(question) == "yes" and channel not in channels:
            warnings.append(
                Warning(
                    _(
                        "You answered Yes to %(question)s, but no use is reached through "
                        "that channel (D2)."
                    )
                    % {"question": question},
                    "D",
                )
            )
    if answers.get("B5") == "yes" and not any(
        u.get("D6") == "deliverable" for u in uses
    ):
        warnings.append(
            Warning(
                _("You answered Yes to B5, but no use is part of a deliverable (D6)."),
                "D",
            )
        )
    a7 = _A7_LEVEL.get(answers.get("A7", ""))
    for index, use in enumerate(uses):
        d8 = _D8_LEVEL.get(use.get("D8", ""))
        if a7 is not None and d8 is not None and d8 > a7:
            warnings.append(
                Warning(
                    _(
                        "This use runs in a more classified environment (D8) than the "
                        "highest your organisation operates (A7)."
                    ),
                    "D",
                    index,
                )
            )
        if d8 and "classified" not in (use.get("D9") or []):
            warnings.append(
                Warning(
                    _(
                        "This use runs in a classified environment (D8), but its data "
                        "categories (D9) do not include Classified."
                    ),
                    "D",
                    index,
                )
            )
    return warnings
