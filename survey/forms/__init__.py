"""Forms: the answer form built from a questionnaire section, and the account form.

One module per noun: the answer form (answers), the field for each question type (fields),
its crispy layout objects (layout) and the invitation form (accounts). Every public name is
re-exported here, so that `from survey.forms import X` keeps working.
"""

from __future__ import annotations

from survey.forms.accounts import AcceptInvitationForm
from survey.forms.answers import (
    CLEAR_SUFFIX,
    MAX_ROWS,
    MIN_SPARE_ROWS,
    UNKNOWN_SUFFIX,
    AnswerForm,
)
from survey.forms.fields import (
    CURRENCY_MAX,
    TEXT_MAX,
    TEXTAREA_MAX,
    EvidenceField,
    question_field,
    split_items,
    subfield_field,
)
from survey.forms.layout import QuestionGroup, ReviewNotes, condition_json

__all__ = [
    "CLEAR_SUFFIX",
    "CURRENCY_MAX",
    "MAX_ROWS",
    "MIN_SPARE_ROWS",
    "TEXTAREA_MAX",
    "TEXT_MAX",
    "UNKNOWN_SUFFIX",
    "AcceptInvitationForm",
    "AnswerForm",
    "EvidenceField",
    "QuestionGroup",
    "ReviewNotes",
    "condition_json",
    "question_field",
    "split_items",
    "subfield_field",
]
