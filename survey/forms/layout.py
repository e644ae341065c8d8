"""Crispy layout objects for the answer form, and the show-if rule the browser reads."""

from __future__ import annotations

import json
from typing import Any

from crispy_forms.layout import LayoutObject
from django.template.loader import render_to_string

from survey import questionnaire as qn


def condition_json(condition: qn.Condition | None) -> str:
    """The show-if rule as JSON, for the browser-side mirror of the server logic."""

    def encode(c: qn.Condition) -> dict[str, Any]:
        return {
            "op": c.op,
            "question": c.question,
            "values": list(c.values),
            "children": [encode(child) for child in c.children],
        }

    return json.dumps(encode(condition)) if condition else ""


class QuestionGroup(LayoutObject):
    """A <fieldset> whose legend and help are escaped (crispy's Fieldset renders them raw)."""

    template = "survey/_question_group.html"

    def __init__(self, *fields: Any, legend: str, help_text: str) -> None:
        self.fields = list(fields)
        self.legend = legend
        self.help_text = help_text

    def render(
        self, form: Any, context: Any, template_pack: Any = None, **kwargs: Any
    ) -> str:
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        return render_to_string(
            self.template,
            {"legend": self.legend, "help": self.help_text, "fields": fields},
        )


class ReviewNotes(LayoutObject):
    """A reviewer's open comments, shown just above the question they are about."""

    template = "survey/_review_notes.html"

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def render(
        self, form: Any, context: Any, template_pack: Any = None, **kwargs: Any
    ) -> str:
        return render_to_string(self.template, {"texts": self.texts})
