"""The append-only audit trail."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey.logs import current_request
from survey.models.campaigns import Campaign
from survey.models.organisations import Organisation

audit_log = logging.getLogger("survey.audit")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError(_("Audit events cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events cannot be deleted."))


class AuditEvent(models.Model):
    """Append-only record of who did what, when, to which object."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_email = models.CharField(_("actor email"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    campaign = models.ForeignKey(
        Campaign,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events cannot be deleted."))

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor: Any = None,
        obj: models.Model | None = None,
        organisation: Organisation | None = None,
        campaign: Campaign | None = None,
        ip: str | None = None,
        **details: Any,
    ) -> AuditEvent:
        """Write the row, then its one structured log line (AC-8) on "survey.audit".

        The line is a JSON object, one per event, its fields always present:

            {"at": "2026-03-06T22:00:00.123456+00:00", "event": "response.submitted",
             "user_id": 7, "organisation_id": 3, "campaign_id": 2,
             "object": "survey.response:41", "ip": "198.51.100.7",
             "request_id": "0f8e3c0d5a6b4c1e9d2f7a8b6c5d4e3f"}

        - at: the event's time, UTC, ISO 8601.
        - user_id: the acting user's id, null when nobody was logged in (a failed login
          names its account as the object instead).
        - organisation_id: the organisation concerned: the object's, or for a contractor's
          login or refused lookup their own (see survey.audit.own_organisation).
        - object: "app_label.model:pk", ":" when the event has none.
        - ip and request_id: the request's (survey.middleware.RequestIdMiddleware); the ID
          equals the response's X-Request-ID header. Both are null outside a request (a
          background job, a management command); an ip not given is the request's.

        Identifiers only, and JSON escapes control characters, so no user-typed text
        (details, an email, a path) can reach the line or forge another: details stay in
        the database.
        """
        request = current_request()
        if ip is None and request is not None:
            ip = request.ip
        event = cls.objects.create(
            action=action,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_email=getattr(actor, "email", "") or "",
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            organisation=organisation,
            campaign=campaign,
            ip=ip,
            details=_without_nul(details),
        )
        audit_log.info(
            "%s",
            json.dumps(
                {
                    "at": event.at.isoformat(),
                    "event": action,
                    "user_id": event.actor_id,
                    "organisation_id": event.organisation_id,
                    "campaign_id": event.campaign_id,
                    "object": f"{event.object_type}:{event.object_id}",
                    "ip": ip,
                    "request_id": request.id if request is not None else None,
                }
            ),
        )
        return event


def _without_nul(value: Any) -> Any:
    """The details with NUL characters removed: PostgreSQL refuses them in text and JSON,
    and an event that cannot be written is an event lost (a path may carry %00)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value
