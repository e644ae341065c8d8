"""Columns made from the questionnaire's questions, keyed by question id.

A column never depends on a question's position: its header starts with the question id
(and the option code for the 0/1 column of a multiple choice), so that exports of two
definition versions join on ids. Option labels are worked out once per export, not per
cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from survey import questionnaire as qn
from survey.exports.cells import MONEY, Column, Sheet

Reader = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Field:
    """A column and how its value is read from one answers dict (`bind` to a sheet)."""

    column: Column
    qid: str
    kind: str  # how the answer is read: see Field.bind
    labels: Mapping[str, str] = field(default_factory=dict)
    option: str = ""
    sub: str = ""
    question: qn.Question | None = None  # for answers read through qn.display
    vendor: str = ""

    def bind(self, sheet: Sheet) -> Reader:
        qid, guard, kind = self.qid, sheet.guard, self.kind
        if kind == "choice":
            prepared = {code: guard(label) for code, label in self.labels.items()}
            return lambda a: (
                prepared.get(v) if isinstance(v := a.get(qid), str) else None
            )
        if kind == "joined":
            labels = self.labels

            def joined(a: Mapping[str, Any]) -> Any:
                value = a.get(qid)
                if not isinstance(value, list) or not value:
                    return None
                return guard("; ".join(labels.get(str(v), str(v)) for v in value))

            return joined
        if kind == "flag":
            option = self.option

            def flag(a: Mapping[str, Any]) -> Any:
                value = a.get(qid)
                return (
                    (1 if option in value else 0) if isinstance(value, list) else None
                )

            return flag
        if kind == "number":
            unknown = guard(self.labels.get(qn.UNKNOWN, ""))
            if self.column.kind != "money":
                return lambda a: _number(a.get(qid), unknown)
            cell = sheet.cell

            def money(a: Mapping[str, Any]) -> Any:
                value = _number(a.get(qid), unknown)
                return cell(value, MONEY) if isinstance(value, int | float) else value

            return money
        if kind == "date":
            return lambda a: _date(a.get(qid), guard)
        if kind == "sub":
            sub = self.sub

            def part(a: Mapping[str, Any]) -> Any:
                value = a.get(qid)
                return (
                    guard(str(value.get(sub) or ""))
                    if isinstance(value, dict)
                    else None
                )

            return part
        if kind == "display":
            question, vendor = self.question, self.vendor
            assert question is not None
            return lambda a: guard(qn.display(question, a.get(qid), vendor))
        # Free text, as typed.
        return lambda a: guard(v) if isinstance(v := a.get(qid), str) else None


def _number(value: Any, unknown: Any) -> Any:
    if value is None or value == "":
        return None
    if value == qn.UNKNOWN:
        return unknown
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _date(value: Any, guard: Callable[[str], Any]) -> Any:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return guard(value)


def header(key: str, label: str) -> str:
    """ "D14: Estimated calendar days…": the id first, for people and for joins."""
    return f"{key}: {label}"


def fields_for(
    questions: Iterable[qn.Question], vendor: str, *, codes: bool
) -> list[Field]:
    """The columns of these questions, in definition order, in the active language."""
    found: list[Field] = []
    for q in questions:
        label = q.label.render(vendor)
        title = header(q.id, label)
        if q.type in qn.FIXED_OPTIONS or q.type == "single":
            values = qn.FIXED_OPTIONS.get(q.type) or tuple(o.value for o in q.options)
            labels = {v: v if codes else qn.display(q, v, vendor) for v in values}
            found.append(Field(Column(title, "label", 18), q.id, "choice", labels))
        elif q.type == "multi":
            labels = {
                o.value: o.value if codes else o.label.render(vendor) for o in q.options
            }
            found.append(Field(Column(title, "label", 30), q.id, "joined", labels))
            for o in q.options:
                found.append(
                    Field(
                        Column(
                            header(f"{q.id}={o.value}", o.label.render(vendor)),
                            "number",
                            10,
                        ),
                        q.id,
                        "flag",
                        option=o.value,
                    )
                )
        elif q.type in qn.NUMERIC_TYPES:
            unknown = qn.UNKNOWN if codes else _("Unknown / not yet assessed")
            kind = "money" if q.type == "currency" else "number"
            found.append(
                Field(Column(title, kind, 14), q.id, "number", {qn.UNKNOWN: unknown})
            )
        elif q.type == "date":
            found.append(Field(Column(title, "date", 12), q.id, "date"))
        elif q.type == "group":
            for sub in q.subfields:
                found.append(
                    Field(
                        Column(
                            header(f"{q.id}.{sub.id}", sub.label.render(vendor)),
                            "text",
                            22,
                        ),
                        q.id,
                        "sub",
                        sub=sub.id,
                    )
                )
        elif q.type in ("text_list", "rows", "file"):
            found.append(
                Field(
                    Column(title, "text", 30),
                    q.id,
                    "display",
                    question=q,
                    vendor=vendor,
                )
            )
        else:
            width = 40 if q.type == "textarea" else 24
            found.append(Field(Column(title, "text", width), q.id, "text"))
    return found
