"""The review of submitted responses: the workflow's verbs, reviewers' comments, reminders."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey import scoring
from survey.deadlines import MAX_CAMPAIGN_SPAN
from survey.models.accounts import User
from survey.models.audit import AuditEvent

if TYPE_CHECKING:
    # Annotations only: survey.models.uses imports this module.
    from survey.models.uses import Use


# Review workflow (spec §3.1). Each verb moves the status with one conditional UPDATE
# so that two reviewers acting at once cannot both win, then records an audit event.
class ReviewWorkflow:
    """The review verbs of Response, which inherits them; its TRANSITIONS stay on Response."""

    class InvalidTransition(ValidationError):
        """A review verb was applied in a status it does not start from."""

    def _transition(
        self, verb: str, user: User, **details: Any
    ) -> tuple[str, datetime]:
        from survey.models.responses import Response  # Avoids an import cycle.

        sources, target = self.TRANSITIONS[verb]
        now = timezone.now()
        previous = self.status
        claimed = Response.objects.filter(pk=self.pk, status__in=sources).update(
            status=target, reviewed_by=user, reviewed_at=now, updated_at=now
        )
        if not claimed:
            self.refresh_from_db(fields=["status"])
            raise Response.InvalidTransition(
                _("A response that is %(status)s cannot be moved that way."),
                params={"status": self.get_status_display()},
            )
        self.status, self.reviewed_by, self.reviewed_at = target, user, now
        AuditEvent.record(
            f"response.{verb}",
            actor=user,
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            previous=previous,
            status=target,
            **details,
        )
        return previous, now

    def start_review(self, user: User) -> None:
        with transaction.atomic():
            self._transition("start_review", user)

    def accept(self, user: User) -> None:
        with transaction.atomic():
            self._transition("accept", user)
            ReviewComment.resolve_all(self.pk, timezone.now())  # type: ignore[attr-defined]

    def escalate(self, user: User, note: str = "") -> None:
        with transaction.atomic():
            self._transition("escalate", user, note=note)

    def reopen(self, user: User, reason: str) -> None:
        """Unlock an accepted or escalated response so its organisation can amend it.

        The next submit adds a new Submission number; earlier ones are kept unchanged.
        """
        if not reason.strip():
            raise ValidationError(_("Give a reason for reopening."))
        with transaction.atomic():
            self._transition("reopen", user, reason=reason)

    def withdraw(self, user: User, reason: str) -> None:
        if not reason.strip():
            raise ValidationError(_("Give a reason for withdrawing."))
        from survey.models.uses import Use  # Avoids an import cycle.

        with transaction.atomic():
            self._transition("withdraw", user, reason=reason)
            # A withdrawn response counts nowhere, its attested uses included.
            Use.attested.filter(response=self).update(counted_in=None)

    def return_for_clarification(
        self, user: User, comments: list[tuple[str, Use | None, str]]
    ) -> list[ReviewComment]:
        """Send the response back to its organisation with findings on given questions."""
        comments = [(q, use, text.strip()) for q, use, text in comments if text.strip()]
        if not comments:
            raise ValidationError(_("Comment on at least one question."))
        if any(
            use is not None and use.response_id != self.pk for _q, use, _t in comments
        ):
            raise ValidationError(_("A comment names a use of another response."))
        known = {q.id for q in self.campaign.questionnaire.parsed.questions}
        # "" is the message on the response as a whole.
        unknown = sorted({q for q, _use, _text in comments if q and q not in known})
        if unknown:
            raise ValidationError(
                _("Unknown questions: %(ids)s."), params={"ids": ", ".join(unknown)}
            )
        with transaction.atomic():
            # The text is kept here too: a comment's use may later be removed.
            self._transition(
                "return_for_clarification",
                user,
                questions=[q for q, _use, _text in comments],
                comments=[
                    {"question": q, "use": use.pk if use else None, "text": text}
                    for q, use, text in comments
                ],
            )
            return ReviewComment.objects.bulk_create(
                ReviewComment(
                    response=self, question_id=q, use=use, text=text, author=user
                )
                for q, use, text in comments
            )

    def override(self, user: User, band: str, justification: str) -> None:
        """Set a reviewer's band beside the computed tier, which is kept as it was."""
        from survey.models.responses import Response  # Avoids an import cycle.

        if band and band not in scoring.Band.ORDER:
            raise ValidationError(_("Unknown band: %(band)s."), params={"band": band})
        if not justification.strip():
            raise ValidationError(_("An override needs a justification."))
        with transaction.atomic():
            claimed = Response.objects.filter(
                pk=self.pk, status__in=[*self.REVIEWABLE, self.Status.ACCEPTED]
            ).update(override_band=band, override_justification=justification)
            if not claimed:
                raise Response.InvalidTransition(
                    _("Only a submitted response can have its band overridden.")
                )
            previous = self.override_band
            self.override_band, self.override_justification = band, justification
            AuditEvent.record(
                "response.band_overridden",
                actor=user,
                obj=self,
                organisation=self.organisation,
                campaign=self.campaign,
                computed=self.tier,
                previous=previous,
                band=band,
                justification=justification,
            )

    @property
    def band(self) -> str:
        """The band that counts: the reviewer's override, else the computed tier."""
        return self.override_band or self.tier

    def grant_extension(self, user: User, deadline: datetime, reason: str) -> None:
        """Give this organisation a later deadline than the campaign's."""
        from survey.models.responses import Response  # Avoids an import cycle.

        if timezone.is_naive(deadline):
            raise ValidationError(_("The new deadline needs a time zone."))
        if deadline <= self.campaign.deadline:
            raise ValidationError(
                _("An extension must end after the campaign deadline.")
            )
        if deadline > self.campaign.opens_at + MAX_CAMPAIGN_SPAN:
            raise ValidationError(
                _("An extension may end at most five years after the campaign opened.")
            )
        if not reason.strip():
            raise ValidationError(_("Give a reason for the extension."))
        with transaction.atomic():
            previous = self.extended_deadline
            Response.objects.filter(pk=self.pk).update(
                extended_deadline=deadline, extension_reason=reason
            )
            self.extended_deadline, self.extension_reason = deadline, reason
            AuditEvent.record(
                "response.extension_granted",
                actor=user,
                obj=self,
                organisation=self.organisation,
                campaign=self.campaign,
                previous=previous.isoformat() if previous else None,
                deadline=deadline.isoformat(),
                reason=reason,
            )


class ReviewComment(models.Model):
    """A reviewer's finding on one question (of the organisation, or of one use)."""

    response = models.ForeignKey(
        "survey.Response",
        models.CASCADE,
        related_name="comments",
        verbose_name=_("response"),
    )
    question_id = models.CharField(_("question"), max_length=40)
    # A comment outlives the use it was about: the reviewer's finding stays on record.
    use = models.ForeignKey(
        "survey.Use",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("use"),
    )
    text = models.TextField(_("comment"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Answered: the contractor changed that answer, or submitted again. Resolved: the
    # response was accepted. Set by the models' write paths (ReviewComment.answer_*).
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["response", "question_id", "created_at"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.text[:60]}"

    @property
    def state(self) -> str:
        if self.resolved_at:
            return "resolved"
        return "answered" if self.answered_at else "open"

    @staticmethod
    def answer_changed(
        response_id: int, questions: set[str], use_id: int | None, at: datetime
    ) -> int:
        """The open comments on these questions are answered by the change."""
        return ReviewComment.objects.filter(
            response_id=response_id,
            question_id__in=questions,
            use_id=use_id,
            answered_at__isnull=True,
            resolved_at__isnull=True,
        ).update(answered_at=at)

    @staticmethod
    def answer_all(response_id: int, at: datetime) -> int:
        """A new submission answers every comment still open."""
        return ReviewComment.objects.filter(
            response_id=response_id, answered_at__isnull=True, resolved_at__isnull=True
        ).update(answered_at=at)

    @staticmethod
    def resolve_all(response_id: int, at: datetime) -> int:
        """Acceptance closes the review: every comment is resolved."""
        return ReviewComment.objects.filter(
            response_id=response_id, resolved_at__isnull=True
        ).update(resolved_at=at)


class ReminderSent(models.Model):
    """One reminder offset emailed to one response's organisation: never twice."""

    response = models.ForeignKey(
        "survey.Response",
        models.CASCADE,
        related_name="reminders",
        verbose_name=_("response"),
    )
    offset_hours = models.PositiveIntegerField(_("hours before the deadline"))
    # The deadline the offset counted back from: an extension starts a new series.
    deadline = models.DateTimeField(_("deadline"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "offset_hours", "deadline"],
                name="one_reminder_per_offset_and_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} – {self.offset_hours} h"
