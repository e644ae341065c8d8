"""Answers as a person reads them: option labels, units and sub-field labels."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from survey.questionnaire.elements import FIXED_OPTIONS, UNKNOWN, Question


def display(question: Question, value: Any, vendor: str) -> str:
    """An answer as a person reads it: option labels, not codes; "" when unanswered."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if value == UNKNOWN and question.takes_unknown:
        return gettext("Unknown / not yet assessed")
    if question.type in FIXED_OPTIONS:
        labels = {
            "yes": gettext("Yes"),
            "no": gettext("No"),
            "unknown": gettext("Unknown"),
        }
        return labels.get(value, str(value))
    if question.options:
        values = value if isinstance(value, list) else [value]
        return "; ".join(
            o.label.render(vendor) if (o := question.option(v)) else str(v)
            for v in values
        )
    if question.type == "file" and isinstance(value, dict):
        return str(value.get("name", ""))
    if question.type == "group" and isinstance(value, dict):
        return _labelled(question, value, vendor)
    if question.type == "rows" and isinstance(value, list):
        return " | ".join(_labelled(question, row, vendor) for row in value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if question.type == "currency":
        return f"{Decimal(str(value)):,.2f} USD"
    if question.type == "pct":
        return f"{value} %"
    if question.unit:
        return f"{value} {question.unit.render(vendor)}"
    return str(value)


def _labelled(question: Question, record: Mapping[str, Any], vendor: str) -> str:
    """A group or a row as "Name: Pat, Email: pat@…": the sub-field labels, not bare values."""
    return ", ".join(
        f"{sub.label.render(vendor)}: {record[sub.id]}"
        for sub in question.subfields
        if record.get(sub.id) not in (None, "")
    )
