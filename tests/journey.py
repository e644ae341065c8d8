"""A contractor's pages driven as a browser drives them: answers posted as the forms
post them (built from the questionnaire), with the page's edit state and CSRF token."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from survey import questionnaire as qn
from survey.models import Response, Use

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page_data(section: qn.Section, answers: dict[str, Any]) -> dict[str, Any]:
    """The POST of a section's page for these answers (files and absent ones left out)."""
    data: dict[str, Any] = {}
    for question in section.questions:
        value = answers.get(question.id)
        if value is None or question.type == "file":
            continue
        if question.type == "group":
            for sub in question.subfields:
                data[f"{question.id}__{sub.id}"] = value.get(sub.id, "")
        elif question.type == "rows":
            for index, row in enumerate(value):
                for sub in question.subfields:
                    data[f"{question.id}__{index}__{sub.id}"] = row.get(sub.id, "")
        elif question.type == "text_list":
            data[question.id] = "\n".join(value)
        elif question.type == "multi":
            data[question.id] = list(value)
        else:
            data[question.id] = str(value)
    return data


def csrf_token(page: Any) -> str:
    """The token of the page's first form ("" on a page without one)."""
    found = _CSRF_INPUT.search(page.content.decode())
    return found.group(1) if found else ""


def post_form(client: Client, path: str, data: dict[str, Any]) -> Any:
    """GET the page, then POST `data` with its edit state and CSRF token, as its form."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    state = {"csrfmiddlewaretoken": csrf_token(page)}
    if page.context and "version" in page.context:
        state |= {"version": page.context["version"], "loaded": page.context["loaded"]}
    return client.post(path, {**state, **data})


def answer_everything(
    client: Client,
    response: Response,
    org_answers: dict[str, Any],
    use_answers: list[dict[str, Any]],
) -> list[Any]:
    """Every organisation page shown for `org_answers` saved through its form, then one
    use added and saved per entry of `use_answers`: the replies, in order."""
    questionnaire = response.campaign.questionnaire.parsed
    replies = []
    for section in questionnaire.sections:
        if section.repeatable or not section.shown(org_answers):
            continue
        path = reverse("survey-section", args=[response.uuid, section.id])
        replies.append(post_form(client, path, page_data(section, org_answers)))
    register = questionnaire.use_section
    uses_page = reverse("survey-uses", args=[response.uuid])
    for answers in use_answers:
        added = client.post(
            uses_page, {"csrfmiddlewaretoken": csrf_token(client.get(uses_page))}
        )
        replies.append(added)
        use = Use.objects.filter(response=response).order_by("-pk").first()
        assert register is not None and use is not None
        path = reverse("survey-use", args=[response.uuid, use.uuid])
        replies.append(post_form(client, path, page_data(register, answers)))
    return replies


def submit(client: Client, response: Response) -> Any:
    """Attest and submit, both steps (the review page's button, then the confirmation)."""
    review = client.get(reverse("survey-review", args=[response.uuid]))
    return client.post(
        reverse("survey-submit", args=[response.uuid]),
        {"csrfmiddlewaretoken": csrf_token(review), "confirmed": "1"},
    )
