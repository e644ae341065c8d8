"""The Django form field for each question type and subfield, with their validators."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _

from survey import questionnaire as qn
from survey import uploads
from survey.deadlines import validate_instant

TEXT_MAX = 500
TEXTAREA_MAX = 10_000
CURRENCY_MAX = Decimal("1000000000000")  # a trillion USD: anything above is a typo
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE_RE = r"^[0-9+()./ x-]{3,40}$"


def _no_control_characters(value: str) -> None:
    # They break exports (openpyxl refuses them) and PostgreSQL's JSON (NUL).
    if _CONTROL_RE.search(value):
        raise ValidationError(
            _("Remove the invisible control characters from this answer.")
        )


def question_field(
    question: qn.Question, vendor: str, org_answers: dict[str, Any]
) -> forms.Field:
    """The field for a question that is not a group of subfields."""
    kind = question.type
    if kind in qn.FIXED_OPTIONS:
        labels = {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown")}
        choices = [(v, labels[v]) for v in qn.FIXED_OPTIONS[kind]]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
    if kind in {"single", "multi"}:
        choices = _choices(question, vendor, org_answers)
        if kind == "single":
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple
        )
    if kind == "int":
        return IntegerAnswerField(
            min_value=_int_or_none(question.min, 0),
            max_value=_int_or_none(question.max, 10**9),
        )
    if kind == "pct":
        return DecimalAnswerField(min_value=0, max_value=100, decimal_places=2)
    if kind == "currency":
        return DecimalAnswerField(
            min_value=0, max_value=CURRENCY_MAX, decimal_places=2, max_digits=16
        )
    if kind == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}),
            validators=[validate_instant],
        )
    if kind == "text_list":
        validators: list[Any] = [_no_control_characters]
        if question.item_pattern:
            validators.append(_items_validator(question, vendor))
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 2}),
            max_length=TEXT_MAX,
            validators=validators,
        )
    if kind == "file":
        return EvidenceField()
    validators = [_no_control_characters]
    if question.pattern:
        message = (
            question.pattern_message.render(vendor)
            if question.pattern_message
            else _("Enter a value in the expected format.")
        )
        validators.append(
            RegexValidator(re.compile(question.pattern, re.IGNORECASE), message)
        )
    if kind == "textarea":
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=question.max_length or TEXTAREA_MAX,
            validators=validators,
        )
    return forms.CharField(
        max_length=question.max_length or TEXT_MAX, validators=validators
    )


def subfield_field(sub: qn.Subfield) -> forms.Field:
    """The field for one subfield of a group or of a row."""
    if sub.format == "email":
        return forms.EmailField(max_length=254)
    validators: list[Any] = [_no_control_characters]
    if sub.format == "phone":
        validators.append(RegexValidator(_PHONE_RE, _("Enter a phone number.")))
    if sub.pattern:
        validators.append(RegexValidator(sub.pattern, _("Check the format.")))
    return forms.CharField(max_length=TEXT_MAX, validators=validators)


def split_items(value: str) -> list[str]:
    """The items of a text list (split on spaces, commas and semicolons), upper-cased."""
    return [i.strip().upper() for i in re.split(r"[\s,;]+", value) if i.strip()]


def _items_validator(question: qn.Question, vendor: str) -> Any:
    pattern = re.compile(question.item_pattern, re.IGNORECASE)
    message = (
        question.pattern_message.render(vendor)
        if question.pattern_message
        else _("Enter each item in the expected format.")
    )

    def validate(value: str) -> None:
        bad = [item for item in split_items(value) if not pattern.fullmatch(item)]
        if bad:
            raise ValidationError(f"{message} ({', '.join(bad)})")

    return validate


def _choices(
    question: qn.Question, vendor: str, org_answers: dict[str, Any]
) -> list[tuple[str, str]]:
    if question.options_from:
        rows = org_answers.get(question.options_from) or []
        return [
            (str(row.get("piid", "")), " – ".join(v for v in row.values() if v))
            if isinstance(row, dict)
            else (str(row), str(row))
            for row in rows
            if row
        ]
    return [(o.value, o.label.render(vendor)) for o in question.options]


def _int_or_none(value: float | None, default: int) -> int:
    return int(value) if value is not None else default


class _AsciiDigits:
    """Refuses numbers written with other digits than 0-9 ("１２", "١٢"): Python reads them,
    but a browser's number input never sends them, so they come from no real page."""

    error_messages: dict[str, Any]

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)  # type: ignore[misc]


class IntegerAnswerField(_AsciiDigits, forms.IntegerField):
    pass


class DecimalAnswerField(_AsciiDigits, forms.DecimalField):
    pass


class EvidenceField(forms.FileField):
    """An upload checked by its content; cleans to a questionnaire.Upload."""

    def clean(self, data: Any, initial: Any = None) -> qn.Upload | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        if upload.size > uploads.MAX_BYTES:
            raise ValidationError(_("Files are limited to 10 MB."))
        content = upload.read()
        content_type = uploads.sniff(content)
        return qn.Upload(
            uploads.safe_filename(upload.name, content_type), content_type, content
        )
