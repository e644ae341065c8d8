"""Every URL pattern of the site as a Route: walked from the resolver, sorted by kind, filled.

The sweeps (tests/test_url_sweep.py, the deadline gate in tests/test_views_security.py)
take their list from here, so that a pattern added to the URLconf is requested without
editing them, and one they cannot fill or classify fails with a message saying why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from survey.admin.scoping import CampaignScopedAdmin
from survey.models import Attachment, Response, Use, User

# Pages anyone may open, by group (AC-1 allows at most five). Each either shows no data
# or is reached with a secret the link carries (an invitation or reset token).
PUBLIC = {
    "log in": {"login", "admin:login"},
    "log out": {"logout", "admin:logout"},
    "password reset and invitation links": {
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "survey-accept-invitation",
    },
    "health check": {"survey-healthz"},
    # Data-free helpers of every page: the language switch, the admin's translations.
    "page furniture": {"set_language", "admin:jsi18n"},
}
PUBLIC_NAMES = frozenset().union(*PUBLIC.values())

# The kinds of pattern, each with its own expectations in the sweeps.
KIND_PUBLIC = "public"  # in PUBLIC
KIND_RESPONSE = "response"  # a contractor page under r/<uuid:response_uuid>/
KIND_ADMIN = "admin"  # the review and administration site
KIND_SITE = "site"  # any other page for logged-in users, about no object in the URL

# The keywords of an admin page about one object (the admin's own, and apps' extra pages).
OBJECT_KEYWORDS = frozenset({"object_id", "id", "pk"})
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


class Unclassified(AssertionError):
    """A pattern the sweeps do not know how to request: the message says what to add."""


@dataclass(frozen=True)
class Route:
    route: str  # the full route, as ResolverMatch.route spells it
    name: str  # namespaced ("admin:survey_response_change"); "" when unnamed
    namespace: str
    kwargs: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or self.route

    @property
    def kind(self) -> str:
        if self.name in PUBLIC_NAMES:
            return KIND_PUBLIC
        if self.namespace == "admin":
            return KIND_ADMIN
        if "response_uuid" in self.kwargs:
            return KIND_RESPONSE
        if not self.kwargs:
            return KIND_SITE
        raise Unclassified(
            f"Cannot classify URL pattern {self.label!r} ({self.route!r}): it takes "
            f"{', '.join(self.kwargs)} but is not under r/<uuid:response_uuid>/, not in "
            "the admin and not public. Put it under one of them, or teach "
            "tests/routes.py (Route.kind) and the sweeps in tests/test_url_sweep.py "
            "what its keywords are and who may open it."
        )

    def admin_model(self) -> type[Model]:
        """For an admin object page (<app_label>/<model_name>/<object_id>/...)."""
        parts = self.route.split("/")
        for index in range(len(parts) - 1):
            try:
                return apps.get_model(parts[index], parts[index + 1])
            except (LookupError, ValueError):
                continue
        raise Unclassified(
            f"Admin URL pattern {self.label!r} ({self.route!r}) takes an object id but "
            "names no <app_label>/<model_name>/ before it: tell tests/routes.py which "
            "model its id belongs to."
        )

    def path(self, values: Mapping[str, Any]) -> str:
        """The path with each keyword filled from `values`; checked to resolve back here."""
        missing = [k for k in self.kwargs if k not in values]
        if missing:
            raise Unclassified(
                f"No sample for URL keyword(s) {', '.join(missing)} of {self.label!r} "
                f"({self.route!r}): add one to the samples of tests/test_url_sweep.py "
                "(and the walkers of tests/test_views_security.py for contractor pages)."
            )

        def value(match: re.Match[str]) -> str:
            return str(values[match.group(1)])

        # Regex groups first: "(?P<name>...)" holds what reads as a converter.
        path = "/" + _CONVERTER.sub(value, _GROUP.sub(value, self.route))
        path = path.replace("^", "").replace("$", "")
        found = resolve(path.split("?")[0]).route
        assert found == self.route, f"{path} resolves to {found!r}, not {self.route!r}"
        return path


@cache
def all_routes() -> tuple[Route, ...]:
    """Every pattern of the URLconf, the admin and included URLconfs included."""

    def walk(entries: list[Any], prefix: str, namespace: str) -> list[Route]:
        found: list[Route] = []
        for entry in entries:
            # As Django joins them (URLResolver._join_route): an inner "^" is dropped.
            text = prefix + str(entry.pattern).removeprefix("^" if prefix else "")
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
                found += walk(entry.url_patterns, text, inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name or ""
                if not entry.name:
                    name = ""
                keys = _GROUP.findall(text) + _CONVERTER.findall(_GROUP.sub("", text))
                found.append(Route(text, name, namespace, tuple(keys)))
        return found

    return tuple(walk(get_resolver().url_patterns, "", ""))


def routes_of(*kinds: str) -> list[Route]:
    return [r for r in all_routes() if r.kind in kinds]


def admin_routes() -> list[Route]:
    """The admin site's patterns, its public ones (login, logout...) included."""
    return [r for r in all_routes() if r.namespace == "admin"]


def unclassified() -> list[str]:
    """The message for every pattern that has no kind."""
    problems = []
    for route in all_routes():
        try:
            route.kind  # noqa: B018 - raises for a pattern without a kind
        except Unclassified as exc:
            problems.append(str(exc))
    return problems


@dataclass(frozen=True)
class Samples:
    """Real objects to fill every keyword a pattern may take, those of one response."""

    response: Response
    use: Use
    attachment: Attachment
    user: User  # whose password-reset link is filled in
    invitation_token: str
    section_id: str = ""  # the first section unless said

    def for_route(self, route: Route) -> dict[str, Any]:
        values: dict[str, Any] = {
            "response_uuid": self.response.uuid,
            "section_id": self.section_id
            or self.response.campaign.questionnaire.parsed.sections[0].id,
            "use_uuid": self.use.uuid,
            "attachment_uuid": self.attachment.uuid,
            "token": self.invitation_token,
            "app_label": "survey",
            "url": "nowhere/",
        }
        if "uidb64" in route.kwargs:
            values["uidb64"] = urlsafe_base64_encode(force_bytes(self.user.pk))
            values["token"] = default_token_generator.make_token(self.user)
        if "content_type_id" in route.kwargs:
            values["content_type_id"] = ContentType.objects.get_for_model(Response).pk
            values["object_id"] = self.response.pk
        elif OBJECT_KEYWORDS & set(route.kwargs):
            obj = self.object_of(route.admin_model(), route)
            values.update(dict.fromkeys(OBJECT_KEYWORDS, obj.pk))
        return values

    def object_of(self, model: type[Model], route: Route) -> Model:
        """An object of the response's campaign for a model the admin scopes by campaign;
        any for the shared records (vendors, questionnaires, users...)."""
        rows = model._default_manager.order_by("pk")
        if scoped_admin(model):
            path = admin.site._registry[model].campaign_path  # type: ignore[attr-defined]
            rows = rows.filter(**{path: self.response.campaign_id})
        obj = rows.first()
        if obj is None:
            raise Unclassified(
                f"No {model.__name__} of the campaign to fill {route.label!r}: the test "
                "data must hold one (SweepTestCase.setUpTestData in "
                "tests/test_url_sweep.py builds one of each)."
            )
        return obj


def scoped_admin(model: type[Model]) -> bool:
    """Whether the admin shows a reviewer only the rows of their campaigns."""
    return isinstance(admin.site._registry.get(model), CampaignScopedAdmin)
