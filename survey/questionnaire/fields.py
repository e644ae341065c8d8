"""The field readers the parser shares: texts, booleans, numbers, patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from survey.questionnaire.elements import FIXED_OPTIONS, DefinitionError, Text


class Fields:
    """Readers of one key of a definition object; `fail` locates the error."""

    source: str

    def fail(self, where: str, problem: str, key: str = "") -> DefinitionError:
        kind, _, name = where.partition(" ")
        return DefinitionError(
            f"{self.source}: {where}: {problem}",
            question=name.split(" ")[0] if kind == "question" else "",
            section=name.split(" ")[0] if kind == "section" else "",
            key=key,
        )

    def text(self, data: Any, where: str) -> Text:
        if (
            isinstance(data, dict)
            and isinstance(data.get("en"), str)
            and data["en"].strip()
        ):
            if set(data) - {"en", "fr"} or not isinstance(data.get("fr", ""), str):
                raise self.fail(where, "a text has only 'en' and 'fr' strings")
            return Text(en=data["en"], fr=data.get("fr", ""))
        raise self.fail(where, "a text is an object with a non-empty 'en' (and 'fr')")

    def optional_text(self, data: Any, where: str) -> Text | None:
        return None if data is None else self.text(data, where)

    def _keys(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(map(repr, unknown))}")

    def _bool(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def _number(
        self, data: dict[str, Any], key: str, where: str, types: Iterable[str]
    ) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if data.get("type") not in types:
            raise self.fail(where, f"type {data.get('type')} takes no '{key}'")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"'{key}' must be a number")
        return value

    def _max_length(self, data: dict[str, Any], where: str) -> int | None:
        value = data.get("max_length")
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(where, "'max_length' must be a whole number ≥ 1")
        return value

    def _pattern(
        self, data: dict[str, Any], key: str, where: str, types: Iterable[str] | None
    ) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if types is not None and data.get("type") not in types:
            raise self.fail(where, f"type {data.get('type')} takes no '{key}'")
        try:
            re.compile(value)
        except (re.error, TypeError) as exc:
            raise self.fail(
                where, f"'{key}' is not a valid regular expression: {exc}"
            ) from None
        return value

    def _must_be(self, data: dict[str, Any], qtype: str, where: str) -> str:
        value = data.get("must_be")
        if value is None:
            return ""
        if value not in FIXED_OPTIONS.get(qtype, ()):
            raise self.fail(
                where, "'must_be' names one of the question's fixed options"
            )
        return value
