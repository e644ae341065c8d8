"""Forms built from a questionnaire section: one field (or a few) per question.

Fields are never "required" to Django: a draft may be saved half-done. Required answers are
checked by Questionnaire.missing_required before submission.

What a post may hold:
- Input a person can type wrongly (a malformed number, a too-long text, a bad date) is a
  field error, and the page's valid answers are saved: nobody loses what they typed.
- What the page itself never sends (a value that is not one of a question's fixed choices,
  an option of another question or questionnaire, several values for a single choice) is
  tampering (`AnswerForm.tampered`): nothing of that post is saved. Choices drawn from
  another answer (the contracts of A6) are not fixed: a colleague may remove one while
  the page is open, so a stale one is an ordinary field error.
- An answer to a question whose show-if condition is false is dropped on save, never
  refused: without the script the page shows such questions and posts what is typed in
  them (the script disables their inputs), so refusing would refuse real users' saves.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from survey import questionnaire as qn
from survey import uploads
from survey.forms.fields import question_field, split_items, subfield_field
from survey.forms.layout import QuestionGroup, ReviewNotes, condition_json
from survey.questionnaire import compare

UNKNOWN_SUFFIX = "__unknown"
CLEAR_SUFFIX = "__clear"
MIN_SPARE_ROWS = 2
MAX_ROWS = 100
_ROW_KEY = re.compile(r"^[A-Z][0-9]*[a-z]?__([0-9]{1,3})__")
# Field errors that only a post the page never sends can cause (see the module docstring).
TAMPERING_CODES = frozenset({"invalid_choice", "invalid_list", "multiple_values"})


class AnswerForm(forms.Form):
    """The questions of one section (or of one use), with the stored answers as initial."""

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        section: qn.Section,
        vendor: str,
        answers: dict[str, Any],
        org_answers: dict[str, Any] | None = None,
        readonly: bool = False,
        comments: dict[str, list[str]] | None = None,
        prefill: dict[str, Any] | None = None,
        locked: dict[str, str] | None = None,
        marks: dict[str, str] | None = None,
    ) -> None:
        super().__init__(data, files)
        # Questions new or changed since the answers carried forward were given.
        self.marks = marks or {}
        self.comments = comments or {}
        self.conflicts: list[dict[str, str]] = []
        self.section = section
        self.vendor = vendor
        self.org_answers = org_answers or {}
        self.readonly = readonly
        # Questions shown read-only to this user, with the reason (the signatory's).
        self.locked = locked or {}
        self.stored = answers
        layout: list[Any] = []
        # Suggestions for questions never answered (the organisation's record): shown
        # as initial values only, so a save stores them as the user's own answers.
        prefill = prefill or {}
        for question in section.questions:
            value = (
                answers[question.id]
                if question.id in answers
                else prefill.get(question.id)
            )
            names = self._add_fields(question, value)
            layout.append(self._layout_for(question, names))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*layout)

    # Building fields ----------------------------------------------------------------

    def _label(self, question: qn.Question) -> str:
        label = question.label.render(self.vendor)
        # Not inside the f-string: makemessages cannot see a gettext call there.
        required = _("required")
        mark = {
            compare.NEW: _("new question"),
            compare.CHANGED: _("changed since the last campaign"),
        }.get(self.marks.get(question.id, ""))
        return (
            f"{question.id}. {label}"
            + (f" ({required})" if question.required else "")
            + (f" [{mark}]" if mark else "")
        )

    def _add_fields(self, question: qn.Question, value: Any) -> list[str]:
        qid, label = question.id, self._label(question)
        # crispy renders help text unescaped; definitions are data, so escape here.
        help_text = escape(question.help.render(self.vendor)) if question.help else ""
        if question.type in {"rows", "group"}:
            return self._add_subfields(question, value, label)
        field = question_field(question, self.vendor, self.org_answers)
        field.label, field.help_text, field.required = label, help_text, False
        if self.readonly or qid in self.locked:
            field.disabled = True
        if qid in self.locked:
            field.help_text = " ".join(
                filter(None, [help_text, escape(self.locked[qid])])
            )
        self.fields[qid] = field
        names = [qid]
        initial = value
        if question.takes_unknown:
            unknown = forms.BooleanField(
                label=_("%(question)s: unknown / not yet assessed") % {"question": qid},
                required=False,
                disabled=self.readonly,
            )
            # The script clears the number and makes it read-only while this is
            # ticked; the server ignores the number then (clean) and renders it
            # read-only (not disabled: a disabled input would not be posted).
            unknown.widget.attrs["data-unknown-for"] = f"id_{qid}"
            self.fields[qid + UNKNOWN_SUFFIX] = unknown
            self.initial[qid + UNKNOWN_SUFFIX] = value == qn.UNKNOWN
            initial = None if value == qn.UNKNOWN else value
            if value == qn.UNKNOWN:
                field.widget.attrs["readonly"] = True
            names.append(qid + UNKNOWN_SUFFIX)
        if question.type == "file":
            field.help_text = " ".join(
                filter(
                    None,
                    [
                        help_text,
                        _("Accepted: %(types)s; up to 10 MB.")
                        % {"types": uploads.ALLOWED_DESCRIPTION},
                    ],
                )
            )
            initial = None
            if isinstance(value, dict) and value.get("name"):
                field.help_text += " " + escape(
                    _("Current file: %(name)s.") % {"name": value["name"]}
                )
                self.fields[qid + CLEAR_SUFFIX] = forms.BooleanField(
                    label=_("Remove the current file"),
                    required=False,
                    disabled=self.readonly,
                )
                names.append(qid + CLEAR_SUFFIX)
        if question.type == "text_list" and isinstance(value, list):
            initial = "\n".join(value)
        self.initial[qid] = initial
        return names

    def _add_subfields(
        self, question: qn.Question, value: Any, label: str
    ) -> list[str]:
        names = []
        if question.type == "group":
            rows = [value if isinstance(value, dict) else {}]
            keys = [f"{question.id}__{sub.id}" for sub in question.subfields]
        else:
            rows = list(value) if isinstance(value, list) else []
            count = min(
                MAX_ROWS, max(len(rows), self._posted_rows(question)) + MIN_SPARE_ROWS
            )
            rows += [{}] * (count - len(rows))
            keys = [
                f"{question.id}__{i}__{sub.id}"
                for i in range(len(rows))
                for sub in question.subfields
            ]
        subs = list(question.subfields) * len(rows)
        for key, sub, row in zip(
            keys, subs, [r for r in rows for _sub in question.subfields], strict=True
        ):
            field = subfield_field(sub)
            field.label = sub.label.render(self.vendor)
            if question.type == "rows":
                field.label = _("%(label)s, row %(number)s") % {
                    "label": field.label,
                    "number": keys.index(key) // len(question.subfields) + 1,
                }
            field.required = False
            field.disabled = self.readonly
            self.fields[key] = field
            self.initial[key] = row.get(sub.id, "")
            names.append(key)
        self.group_labels = getattr(self, "group_labels", {})
        self.group_labels[question.id] = label
        return names

    def _posted_rows(self, question: qn.Question) -> int:
        """Rows present in the submitted data, so that nothing typed is dropped."""
        if not self.data:
            return 0
        prefix = f"{question.id}__"
        indexes = [
            int(match.group(1))
            for key in self.data
            if (match := _ROW_KEY.match(key)) and key.startswith(prefix)
        ]
        return min(MAX_ROWS, max(indexes) + 1) if indexes else 0

    def _layout_for(self, question: qn.Question, names: list[str]) -> Div:
        attrs: dict[str, str] = {
            "css_id": f"q-{question.id}",
            "css_class": "question mb-4",
        }
        if question.show_if:
            attrs["data_show_if"] = condition_json(question.show_if)
        notes = (
            [ReviewNotes(self.comments[question.id])]
            if question.id in self.comments
            else []
        )
        if question.type not in {"rows", "group"}:
            return Div(*notes, *[Field(n) for n in names], **attrs)
        width = len(question.subfields)
        rows: list[Any] = [
            Div(
                *[Div(Field(n), css_class="col-md") for n in names[i : i + width]],
                css_class="row",
                data_row=question.id,
            )
            for i in range(0, len(names), width)
        ]
        if question.type == "rows" and not self.readonly:
            # Without a script this saves the draft, and the page comes back with
            # empty rows to fill; the script shows one more row in place instead (and
            # offers "Remove" on each row).
            rows.append(
                HTML(
                    format_html(
                        '<button type="submit" name="save" value="{}" '
                        'class="btn btn-sm btn-outline-secondary" data-add-row="{}">'
                        "{}</button>",
                        question.id,
                        question.id,
                        _("Add a row"),
                    )
                )
            )
        help_text = question.help.render(self.vendor) if question.help else ""
        group = QuestionGroup(
            *rows, legend=self.group_labels[question.id], help_text=help_text
        )
        return Div(*notes, group, **attrs)

    # Reading answers ---------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_single_values()
        for question in self.section.questions:
            if question.type == "rows":
                self._check_rows(question)
            if question.takes_unknown and cleaned.get(question.id + UNKNOWN_SUFFIX):
                # "Unknown" wins: whatever is in the number box is dropped, even
                # something that would not have been a valid number.
                self._errors.pop(question.id, None)
                cleaned.pop(question.id, None)
        return cleaned

    def _check_single_values(self) -> None:
        # A radio group posts one value; Django would quietly keep the last of several.
        getlist = getattr(self.data, "getlist", None)
        for name, field in self.fields.items():
            if (
                getlist is not None
                and type(field) is forms.ChoiceField
                and not field.disabled
                and len(getlist(self.add_prefix(name))) > 1
            ):
                self.add_error(
                    name,
                    ValidationError(
                        _("Choose one answer only."), code="multiple_values"
                    ),
                )

    def tampered(self) -> bool:
        """Whether the post holds what the page never sends; then none of it is saved."""
        fixed = {
            q.id
            for q in self.section.questions
            if (q.options or q.type in qn.FIXED_OPTIONS) and not q.options_from
        }
        return any(
            error.code in TAMPERING_CODES
            for name, errors in self.errors.as_data().items()
            if name in fixed
            for error in errors
        )

    def _check_rows(self, question: qn.Question) -> None:
        for index in range(MAX_ROWS):
            keys = {
                sub.id: f"{question.id}__{index}__{sub.id}"
                for sub in question.subfields
            }
            if keys[question.subfields[0].id] not in self.fields:
                break
            values = {s: self.cleaned_data.get(k) for s, k in keys.items()}
            if any(values.values()):
                for sub in question.subfields:
                    if (
                        sub.required
                        and not values[sub.id]
                        and keys[sub.id] not in self.errors
                    ):
                        self.add_error(
                            keys[sub.id], _("Fill this in, or clear the row.")
                        )

    def answers(self) -> tuple[dict[str, Any], set[str]]:
        """(answers read from valid fields, ids of questions left unchanged by errors)."""
        result: dict[str, Any] = {}
        invalid: set[str] = set()
        for question in self.section.questions:
            if question.type == "file":
                if question.id in self.errors:
                    invalid.add(question.id)
                elif self.cleaned_data.get(question.id):
                    result[question.id] = self.cleaned_data[question.id]
                elif self.cleaned_data.get(question.id + CLEAR_SUFFIX):
                    result[question.id] = None
                continue
            names = [
                n
                for n in self.fields
                if n == question.id or n.startswith(question.id + "__")
            ]
            if any(n in self.errors for n in names):
                invalid.add(question.id)
                continue
            if self._absent(names):
                continue  # not sent at all: unchanged, never erased
            result[question.id] = self._value(question)
        return result, invalid

    def _absent(self, names: list[str]) -> bool:
        """Whether a question with a text input was left out of the POST entirely.

        Browsers always send text inputs, even empty; only unticked radio buttons and
        checkboxes are absent, and for those absence means "no answer".
        """
        ticked = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.CheckboxInput)
        has_text = any(not isinstance(self.fields[n].widget, ticked) for n in names)
        return has_text and not any(self.add_prefix(n) in self.data for n in names)

    def _value(self, question: qn.Question) -> Any:
        data = self.cleaned_data
        qid = question.id
        if question.takes_unknown and data.get(qid + UNKNOWN_SUFFIX):
            return qn.UNKNOWN
        value = data.get(qid)
        if question.type == "text_list":
            return split_items(value or "") or None
        if question.type == "group":
            group = {
                sub.id: (data.get(f"{qid}__{sub.id}") or "").strip()
                for sub in question.subfields
            }
            return group if any(group.values()) else None
        if question.type == "rows":
            rows = []
            for index in range(MAX_ROWS):
                keys = {
                    sub.id: f"{qid}__{index}__{sub.id}" for sub in question.subfields
                }
                if keys[question.subfields[0].id] not in self.fields:
                    break
                row = {s: (data.get(k) or "").strip() for s, k in keys.items()}
                if any(row.values()):
                    rows.append(row)
            return rows or None
        if isinstance(value, Decimal):
            return _decimal_answer(question, value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, str):
            return value.strip() or None
        return value if value not in ([], None) else None

    def question_errors(self) -> list[tuple[str, str, str]]:
        """(field id, question label, message) for the error summary."""
        summary = []
        for name, errors in self.errors.items():
            if name == "__all__":
                continue
            field = self.fields[name]
            # Radio and checkbox groups have no element with the field's own id.
            target = self[name].auto_id
            if isinstance(
                field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple
            ):
                target += "_0"
            summary.append((target, str(field.label), " ".join(errors)))
        return summary


def _decimal_answer(question: qn.Question, value: Decimal) -> Any:
    if question.type == "currency":
        return str(value.quantize(Decimal("0.01")))
    return int(value) if value == value.to_integral_value() else float(value)
