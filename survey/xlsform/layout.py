"""The sheets and columns of a questionnaire workbook, shared by the reader and the writer."""

from __future__ import annotations

from dataclasses import dataclass

SURVEY = "survey"
CHOICES = "choices"
SUBFIELDS = "subfields"
SETTINGS = "settings"
CHECKS = "checks"
SHEETS = (SURVEY, CHOICES, SUBFIELDS, SETTINGS, CHECKS)
BEGIN = "begin section"
END = "end section"
NO_ROW = "—"
LANGUAGES = ("en", "fr")

# Cell kinds: "name" (an id or a code, trimmed), "str" (kept as typed), "text" (one
# language of an {"en", "fr"} text), "bool", "int", "number", "condition" (show-if
# expression), "list" (comma-separated names).


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str
    lang: str = ""


def _plain(key: str, kind: str) -> tuple[Column, ...]:
    return (Column(key, key, kind),)


def _text(key: str) -> tuple[Column, ...]:
    return tuple(Column(f"{key}::{lang}", key, "text", lang) for lang in LANGUAGES)


def _columns(*groups: tuple[Column, ...]) -> tuple[Column, ...]:
    return tuple(column for group in groups for column in group)


SECTION_COLUMNS = _columns(
    _plain("type", "name"),
    _plain("id", "name"),
    _text("title"),
    _text("intro"),
    _plain("repeatable", "bool"),
    _plain("show_if", "condition"),
    _plain("min_items", "int"),
    _text("item_label"),
)
QUESTION_COLUMNS = _columns(
    _plain("type", "name"),
    _plain("id", "name"),
    _plain("binds", "name"),
    _text("label"),
    _text("help"),
    _plain("required", "bool"),
    _plain("show_if", "condition"),
    # The name of a list on the choices sheet; the definition holds its options inline.
    (Column("choices", "options", "name"),),
    _plain("options_from", "name"),
    _plain("scores", "name"),
    _plain("min", "number"),
    _plain("max", "number"),
    _text("unit"),
    _plain("max_length", "int"),
    _plain("pattern", "str"),
    _text("pattern_message"),
    _plain("item_pattern", "str"),
    _plain("must_be", "name"),
)
_ORDER = [
    "type",
    "id",
    "binds",
    "title::en",
    "title::fr",
    "label::en",
    "label::fr",
    "help::en",
    "help::fr",
    "intro::en",
    "intro::fr",
    "required",
    "repeatable",
    "show_if",
    "choices",
    "options_from",
    "scores",
    "min",
    "max",
    "unit::en",
    "unit::fr",
    "max_length",
    "pattern",
    "pattern_message::en",
    "pattern_message::fr",
    "item_pattern",
    "must_be",
    "min_items",
    "item_label::en",
    "item_label::fr",
]
_BY_HEADER = {c.header: c for c in (*SECTION_COLUMNS, *QUESTION_COLUMNS)}
SURVEY_COLUMNS = tuple(_BY_HEADER[header] for header in _ORDER)

CHOICE_COLUMNS = _columns(
    _plain("list_name", "name"),
    _plain("value", "name"),
    _text("label"),
    _plain("factor", "number"),
    _plain("unknown", "bool"),
    _plain("tier", "name"),
    _plain("flag", "name"),
)
SUBFIELD_COLUMNS = _columns(
    _plain("question", "name"),
    _plain("id", "name"),
    _text("label"),
    _plain("required", "bool"),
    _plain("format", "name"),
    _plain("pattern", "str"),
    _text("pattern_message"),
)
CHECK_COLUMNS = _columns(
    _plain("warn_if", "condition"),
    _plain("unless_some_use", "condition"),
    _plain("for_each_use", "bool"),
    _text("message"),
)
SETTING_COLUMNS = _columns(_plain("key", "name"), _plain("value", "str"))
COLUMNS = {
    SURVEY: SURVEY_COLUMNS,
    CHOICES: CHOICE_COLUMNS,
    SUBFIELDS: SUBFIELD_COLUMNS,
    SETTINGS: SETTING_COLUMNS,
    CHECKS: CHECK_COLUMNS,
}
# Columns every row of the sheet needs.
REQUIRED_COLUMNS = {
    SURVEY: ("type", "id"),
    CHOICES: ("list_name", "value"),
    SUBFIELDS: ("question", "id"),
    SETTINGS: ("key", "value"),
    CHECKS: ("warn_if",),
}

# Settings rows: the key in the sheet, the path in the definition, the cell kind.
SETTINGS_ROWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("format", ("format",), "int"),
    ("key", ("key",), "name"),
    ("version", ("version",), "name"),
    *((f"title::{lang}", ("title", lang), "text") for lang in LANGUAGES),
    *((f"banner::{lang}", ("banner", lang), "text") for lang in LANGUAGES),
    ("routing.screening", ("routing", "screening"), "list"),
    ("routing.direct", ("routing", "direct"), "name"),
    *(
        (f"attestation.{name}::{lang}", ("attestation", name, lang), "text")
        for name in ("dependence", "no_dependence", "inquiry_incomplete")
        for lang in LANGUAGES
    ),
)


@dataclass(frozen=True)
class Problem:
    """One fault of a workbook, where a person finds it: sheet, row and column."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = NO_ROW if self.row is None else str(self.row)
        column = self.column or NO_ROW
        return f"{self.sheet}!row {row}, column {column}: {self.message}"

    @property
    def order(self) -> tuple[int, int]:
        sheet = SHEETS.index(self.sheet) if self.sheet in SHEETS else -1
        return (sheet, self.row or 0)
