"""The diff page of a response: what changed between two of its submitted versions, the
predecessor campaign's submission it was carried forward from counting as one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from survey import readable
from survey.models import Response, Submission

# The key of the predecessor's submission among the response's own, numbered from 1.
CARRIED = 0


class DiffMixin:
    """Mixed into ResponseAdmin beside ReviewMixin, which routes to diff_view."""

    def diff_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "view")  # type: ignore[attr-defined]
        submissions = self._comparable(request, response)
        numbers = sorted(submissions)
        before = _number(request.GET.get("a"), numbers[-2] if len(numbers) > 1 else 0)
        after = _number(request.GET.get("b"), numbers[-1] if numbers else 0)
        compared = before in submissions and after in submissions
        changes: list[readable.Change] = []
        if compared:
            # Each submission is read with the version it was given on.
            changes = readable.diff(
                submissions[before].version_parsed(),
                _snapshot(submissions[before]),
                _snapshot(submissions[after]),
                response.campaign.vendor.name,
                later=submissions[after].version_parsed(),
            )
        return TemplateResponse(
            request,
            "admin/survey/response/diff.html",
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "opts": self.opts,  # type: ignore[attr-defined]
                "original": response,
                "title": gettext("Changes between submitted versions"),
                "before": before,
                "after": after,
                "compared": compared,
                "changes": changes,
                "versions": {n: _label(n, submissions[n]) for n in numbers},
                "before_label": _label(before, submissions[before]) if compared else "",
                "after_label": _label(after, submissions[after]) if compared else "",
            },
        )

    def _comparable(
        self, request: HttpRequest, response: Response
    ) -> dict[int, Submission]:
        """The response's submissions by number, and the predecessor's it was carried
        forward from (as CARRIED) when this user may see that response too."""
        submissions: dict[int, Submission] = {
            s.number: s for s in response.submissions.select_related("questionnaire")
        }
        source = response.carried_from
        if source is not None and self._may_see(request, source.response_id):
            submissions[CARRIED] = source
        return submissions

    def _may_see(self, request: HttpRequest, response_id: int) -> bool:
        # A reviewer of this campaign need not be one of the predecessor's.
        scoped = self.get_queryset(request)  # type: ignore[attr-defined]
        return scoped.filter(pk=response_id).exists()


def _label(number: int, submission: Submission) -> str:
    if number == CARRIED:
        return f"{submission.response.campaign.slug} #{submission.number} ({submission.questionnaire})"
    return f"#{number} ({submission.questionnaire})"


def _snapshot(submission: Submission) -> dict[str, Any]:
    return {"answers": submission.answers, "uses": submission.uses}


def _number(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default
