"""Carry forward: a response starts from its organisation's last submission to the
campaign's predecessor, and each section so filled is confirmed before submission."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from survey import questionnaire as qn
from survey.models.accounts import User
from survey.models.audit import AuditEvent
from survey.models.records import Submission
from survey.models.uses import Use
from survey.questionnaire import compare

if TYPE_CHECKING:
    from survey.models.responses import Response


class CarryForward:
    """Carrying answers forward and confirming them (mixed into Response)."""

    def carry_forward(self: Response, at: datetime) -> bool:
        """Fill an untouched response from the predecessor campaign; True if it was.

        Matched by question id (survey.questionnaire.compare): answers to questions the
        campaign's version no longer has, or whose options changed, are dropped; uses
        are copied with their answers. Every section given answers is to be confirmed.
        Judged again under the row lock, so that two first requests carry once.
        """
        if not self._may_carry():
            return False
        source = self._predecessor_submission()
        if source is None:
            return False
        # Late: survey.models.responses imports this module.
        from survey.models.responses import Refused

        with transaction.atomic():
            try:
                locked = self.lock_for_write(self.pk, at)
            except Refused:
                return False
            if not locked._may_carry():
                return False
            locked._fill_from(source, at)
        self.refresh_from_db()
        return True

    def _may_carry(self: Response) -> bool:
        return (
            self.campaign.predecessor_id is not None
            and self.carried_from_id is None
            and self.status == self.Status.INVITED
            and not self.answers
            and not self.uses.exists()
        )

    def _predecessor_submission(self: Response) -> Submission | None:
        return (
            Submission.objects.filter(
                latest=True,
                response__campaign_id=self.campaign.predecessor_id,
                response__organisation_id=self.organisation_id,
            )
            .exclude(response__status=self.Status.WITHDRAWN)
            .select_related(
                "questionnaire", "submitted_by", "response__campaign__questionnaire"
            )
            .first()
        )

    def _fill_from(self: Response, source: Submission, at: datetime) -> None:
        new = self.campaign.questionnaire.parsed
        org, uses = compare.carry_response(
            source.version_parsed(), new, source.answers, source.uses
        )
        meta = {"by": source.submitted_by.email, "at": source.submitted_at.isoformat()}
        self.answers = org.answers
        self.answer_meta = dict.fromkeys(org.answers, meta)
        rows = [
            Use(
                response=self,
                position=position,
                answers=use.answers,
                answer_meta=dict.fromkeys(use.answers, meta),
            )
            for position, use in enumerate(uses, start=1)
        ]
        config = self.campaign.scoring()
        for row in rows:
            row.refresh_derived(new, self.answers, config)
        Use.objects.bulk_create(rows)
        self.carried_from = source
        self.to_confirm = [
            s.id
            for s in new.sections
            if (s.repeatable and rows) or any(q.id in self.answers for q in s.questions)
        ]
        # The answers changed: pages built before must not overwrite them unseen. The
        # response stays Invited: its organisation has not started on it yet.
        self.version += 1
        self.updated_at = at
        self.refresh_scores(list(self.uses.all()))
        self.save()
        self.sync_contracts()
        AuditEvent.record(
            "response.carried_forward",
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            source=source.response.campaign.slug,
            submission=source.number,
            uses=len(rows),
            # Question ids only: answers stay out of the audit trail.
            dropped=sorted({*org.dropped, *(q for u in uses for q in u.dropped)}),
        )

    def unconfirmed(self: Response) -> list[qn.Section]:
        """Carried-forward sections, shown for the current answers, not yet confirmed."""
        if not self.to_confirm:
            return []
        questionnaire = self.campaign.questionnaire.parsed
        org = questionnaire.visible_answers(self.answers)
        return [
            s
            for s in questionnaire.sections
            if s.id in self.to_confirm
            and (
                questionnaire.register_shown(self.answers)
                if s.repeatable
                else s.shown(org)
            )
        ]

    def carried_marks(self: Response) -> dict[str, str]:
        """Question id → compare.NEW or compare.CHANGED since the carried submission."""
        if self.carried_from_id is None:
            return {}
        if not hasattr(self, "_carried_marks"):
            self._carried_marks = compare.changes(
                self.carried_from.version_parsed(),
                self.campaign.questionnaire.parsed,
            )
        return self._carried_marks

    def confirm_section(
        self: Response, section_id: str, user: User, ip: str | None, at: datetime
    ) -> None:
        """The contractor checked a carried-forward section's answers as they stand."""
        with transaction.atomic():
            locked = self.lock_for_write(self.pk, at)
            if locked._confirm(section_id, user, ip):
                locked.save(update_fields=["to_confirm"])
        self.to_confirm = locked.to_confirm

    def _confirm(self: Response, section_id: str, user: User, ip: str | None) -> bool:
        """Drop `section_id` from the sections to confirm (not saved); True if it was."""
        if section_id not in self.to_confirm:
            return False
        self.to_confirm = [s for s in self.to_confirm if s != section_id]
        AuditEvent.record(
            "response.section_confirmed",
            actor=user,
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            ip=ip,
            section=section_id,
        )
        return True

    def carried_summary(self: Response) -> dict[str, Any] | None:
        """Where the answers came from, for pages and exports; None if not carried."""
        source = self.carried_from
        if source is None:
            return None
        return {
            "campaign": source.response.campaign,
            "number": source.number,
            "submitted_at": source.submitted_at,
        }
