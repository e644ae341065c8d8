"""Questionnaire definitions: parsed and validated into frozen dataclasses (parser), the
typed form (elements, definition), the show-if walk (visibility) and answers as people
read them (display). A definition is data (JSON, see questionnaire-spec.md §5): sections,
questions with stable ids, types, options with optional scoring factors, show-if
conditions on earlier answers, and the bindings through which the code reaches the
questions it relies on. Nothing here touches the database.
"""

from __future__ import annotations

from survey.questionnaire.definition import Questionnaire
from survey.questionnaire.display import display
from survey.questionnaire.elements import (
    BINDINGS,
    CHOICE_TYPES,
    FIXED_OPTIONS,
    NUMBER_FACTORS,
    NUMERIC_TYPES,
    OPTION_FACTORS,
    OPTION_FLAGS,
    QUESTION_TYPES,
    UNKNOWN,
    Binding,
    Check,
    Condition,
    ContractLinks,
    DefinitionError,
    Missing,
    Option,
    Question,
    Routing,
    Section,
    Subfield,
    Text,
    Upload,
)
from survey.questionnaire.parser import load_file, parse, read_file
from survey.questionnaire.visibility import completeness, is_answered

__all__ = [
    "BINDINGS",
    "CHOICE_TYPES",
    "FIXED_OPTIONS",
    "NUMBER_FACTORS",
    "NUMERIC_TYPES",
    "OPTION_FACTORS",
    "OPTION_FLAGS",
    "QUESTION_TYPES",
    "UNKNOWN",
    "Binding",
    "Check",
    "Condition",
    "ContractLinks",
    "DefinitionError",
    "Missing",
    "Option",
    "Question",
    "Questionnaire",
    "Routing",
    "Section",
    "Subfield",
    "Text",
    "Upload",
    "completeness",
    "display",
    "is_answered",
    "load_file",
    "parse",
    "read_file",
]
