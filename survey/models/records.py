"""What responses leave behind: uploaded evidence files and submitted snapshots."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey import questionnaire as qn
from survey.models.accounts import User
from survey.models.scores import ResponseScores

if TYPE_CHECKING:
    # Annotations only: survey.models.responses and survey.models.uses import this module.
    from survey.models.responses import Response
    from survey.models.uses import Use


class Attachment(models.Model):
    """Evidence uploaded with an answer; kept in the database so app servers stay stateless."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.ForeignKey(
        "survey.Response",
        models.CASCADE,
        related_name="attachments",
        verbose_name=_("response"),
    )
    use = models.ForeignKey(
        "survey.Use",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("use"),
    )
    question_id = models.CharField(_("question"), max_length=40)
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["response", "question_id", "-uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def store(
        cls,
        upload: qn.Upload,
        *,
        response: Response,
        use: Use | None,
        question_id: str,
        user: User,
    ) -> dict[str, Any]:
        """Keep an uploaded file and return the answer value that points to it."""
        attachment = cls.objects.create(
            response=response,
            use=use,
            question_id=question_id,
            name=upload.name,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            content=upload.data,
            uploaded_by=user,
        )
        return {
            "attachment": str(attachment.uuid),
            "name": attachment.name,
            "size": attachment.size,
        }


def _store_uploads(
    posted: dict[str, Any], response: Response, use: Use | None, user: User
) -> dict[str, Any]:
    """Replace uploaded files in posted answers by references to stored attachments."""
    return {
        qid: Attachment.store(
            value, response=response, use=use, question_id=qid, user=user
        )
        if isinstance(value, qn.Upload)
        else value
        for qid, value in posted.items()
    }


class Submission(ResponseScores):
    """An immutable snapshot of a response as submitted; amendments add new numbers.

    The scores as submitted are kept as columns, and the uses and contracts as copied
    rows (Use.attested, Contract.attested), so that the figures count what was attested.
    """

    response = models.ForeignKey(
        "survey.Response",
        models.PROTECT,
        related_name="submissions",
        verbose_name=_("response"),
    )
    number = models.PositiveIntegerField(_("number"))
    # The version the answers were given on: a campaign moved to another version later
    # still reads its earlier submissions with their own.
    questionnaire = models.ForeignKey(
        "survey.QuestionnaireVersion",
        models.PROTECT,
        related_name="+",
        verbose_name=_("questionnaire version"),
    )
    latest = models.BooleanField(
        _("latest"), default=False, help_text=_("The response's last submission.")
    )
    answers = models.JSONField(_("organisation-level answers"))
    uses = models.JSONField(
        _("uses"), help_text=_("The answers of each use, in order.")
    )
    sha256 = models.CharField(_("SHA-256 of the canonical answers"), max_length=64)
    attestation = models.TextField(_("attestation text"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["response", "number"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "number"], name="one_submission_number"
            ),
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(latest=True),
                name="one_latest_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} #{self.number}"

    def version_parsed(self) -> qn.Questionnaire:
        """The questionnaire the answers were given on."""
        return self.questionnaire.parsed
