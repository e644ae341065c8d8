"""The contractors' verbs on a response: saving answers, the use register, submitting."""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.utils.translation import gettext

from survey import editing
from survey.models.accounts import User
from survey.models.audit import AuditEvent
from survey.models.organisations import Membership
from survey.models.programs import Contract
from survey.models.records import Submission, _store_uploads
from survey.models.review import ReviewComment
from survey.models.uses import Use


# Every contractor write takes the response's row lock and is judged there
# (Response.lock_for_write), never on a copy loaded earlier in the request.
class AnsweringWorkflow:
    """The contractors' verbs of Response, which inherits them; the rules stay on Response."""

    def save_answers(
        self,
        edit: editing.Edit,
        *,
        user: User,
        ip: str | None,
        at: datetime,
        confirm: str = "",
    ) -> editing.Merge:
        """Merge one user's edits of organisation-level answers; see survey.editing.

        `confirm` names the section whose page the user saved: carried-forward answers
        there are confirmed, changed or not (see CarryForward).
        """
        with transaction.atomic():
            current = self.lock_for_write(self.pk, at)
            confirmed = bool(confirm) and current._confirm(confirm, user, ip)
            questionnaire = current.campaign.questionnaire.parsed
            state = (current.answers, current.answer_meta, current.version)
            # A question hidden by the answers as they will stand (after the merge) is
            # not edited: the browser does not send it, and what it holds is kept for
            # when it shows again.
            merged = edit.apply(*state, user.email, at.isoformat())
            shown = questionnaire.shown_ids(merged.answers)
            result = edit.only(shown).apply(*state, user.email, at.isoformat())
            if result.changed:
                # Answers hidden by show-if stay in the draft (they come back when the
                # question shows again); they count nowhere and are dropped at submission.
                current.answers = _store_uploads(result.answers, current, None, user)
                current.answer_meta = result.meta
                current.touch(at)
                # Whether the register (section D) shows depends on these answers.
                uses = list(current.uses.all())
                moved = []
                for use in uses:
                    before = [getattr(use, name) for name in Use.DERIVED_FIELDS]
                    use.refresh_derived(
                        questionnaire, current.answers, current.campaign.scoring()
                    )
                    if [getattr(use, name) for name in Use.DERIVED_FIELDS] != before:
                        moved.append(use)
                # Only the uses whose columns moved: bulk_update builds a CASE per column
                # per use, about half an autosave's CPU when every use is written back.
                Use.objects.bulk_update(moved, Use.DERIVED_FIELDS)
                current.refresh_scores(uses)
                current.save()
                current.sync_contracts()
                current.audit_save(user, ip, result.changed)
                ReviewComment.answer_changed(current.pk, set(result.changed), None, at)
            elif confirmed:
                current.save(update_fields=["to_confirm"])
        self.refresh_from_db()
        return result

    def add_use(self, user: User, ip: str | None, at: datetime) -> Use:
        """A new, empty use at the end of the register."""
        with transaction.atomic():
            locked = self.lock_for_write(self.pk, at)
            last = locked.uses.aggregate(last=models.Max("position"))["last"] or 0
            use = Use(response=locked, position=last + 1)
            use.refresh_derived(
                locked.campaign.questionnaire.parsed,
                locked.answers,
                locked.campaign.scoring(),
            )
            use.save()
            locked.touch(at)
            locked.refresh_scores(list(locked.uses.all()))
            locked.save()
            AuditEvent.record(
                "use.added",
                actor=user,
                obj=use,
                ip=ip,
                organisation=locked.organisation,
                campaign=locked.campaign,
            )
        return use

    def remove_use(self, use: Use, user: User, ip: str | None, at: datetime) -> None:
        with transaction.atomic():
            locked = self.lock_for_write(self.pk, at)
            AuditEvent.record(
                "use.removed",
                actor=user,
                obj=use,
                ip=ip,
                name=use.name,
                organisation=locked.organisation,
                campaign=locked.campaign,
            )
            Use.objects.filter(pk=use.pk).delete()
            locked.touch(at)
            locked.refresh_scores(list(locked.uses.all()))
            locked.save()

    def discard_if_empty(
        self, use: Use, user: User, ip: str | None, at: datetime
    ) -> bool:
        """Remove a use nothing was typed into (left by "Add a use" then "Back");
        judged on the row as it stands under the lock, so an autosave that landed
        meanwhile keeps it. True when it was removed."""
        with transaction.atomic():
            self.lock_for_write(self.pk, at)
            if Use.objects.filter(pk=use.pk).exclude(answers={}).exists():
                return False
        self.remove_use(use, user, ip, at)
        return True

    def submit_refusal(self, user: User, at: datetime) -> str:
        """Why `user` may not submit this response at `at`; "" when they may. Judged
        again under the row lock by submit; the confirmation page asks it first."""
        if reason := self.write_refusal(at):
            return reason
        if not Membership.objects.filter(
            user=user,
            organisation_id=self.organisation_id,
            role=Membership.Role.SIGNATORY,
        ).exists():
            return gettext("Only your organisation's authorised signatory can submit.")
        return ""

    def submit(self, user: User, ip: str | None, at: datetime) -> Submission | None:
        """Lock the response and keep a snapshot; None when it was already submitted.

        Every rule is judged under the row lock: the deadline gate, editability, that only
        the organisation's signatory submits, and completeness (Incomplete rolls back), so
        that concurrent submits make exactly one Submission and a save landing just before
        cannot slip an incomplete response through.
        """
        # Late: survey.models.responses imports this module.
        from survey.models.responses import Incomplete, Refused

        with transaction.atomic():
            locked = self.locked(self.pk)
            if locked.submitted_at and not locked.is_editable:
                return None  # a double click or a resubmitted form: the first stands
            if reason := locked.submit_refusal(user, at):
                raise Refused(reason)
            uses = list(locked.uses.all())
            if locked.missing(uses) or locked.unconfirmed():
                raise Incomplete
            submission = locked._snapshot(uses, user, ip, at)
            ReviewComment.answer_all(locked.pk, at)
        self.refresh_from_db()
        return submission

    def _snapshot(
        self, uses: list[Use], user: User, ip: str | None, at: datetime
    ) -> Submission:
        """Drop hidden answers, score, and keep the numbered, hashed Submission."""
        questionnaire = self.campaign.questionnaire.parsed
        self.answers = questionnaire.visible_answers(self.answers)
        if not questionnaire.register_shown(self.answers):
            # No dependence attested: uses left in the draft are dropped with it.
            Use.objects.filter(pk__in=[u.pk for u in uses]).delete()
            uses = []
        columns = ["answers", *Use.DERIVED_FIELDS]
        moved = []
        for use in uses:
            before = [getattr(use, name) for name in columns]
            use.answers = questionnaire.visible_use_answers(use.answers, self.answers)
            use.refresh_derived(questionnaire, self.answers, self.campaign.scoring())
            if [getattr(use, name) for name in columns] != before:
                moved.append(use)
        # Saves have kept the uses derived, so usually none moved: bulk_update's CASE
        # per column cost a third of a submit's time for nothing (the load test).
        Use.objects.bulk_update(moved, columns)
        attestation = self.attestation_text()
        self.refresh_scores(uses)
        self.status = self.Status.SUBMITTED
        self.submitted_at, self.submitted_by, self.submitted_ip = at, user, ip
        self.updated_at = at
        self.version += 1
        self.answers_sha256 = self.answers_digest(uses)
        self.save()
        self.submissions.filter(latest=True).update(latest=False)
        submission = Submission.objects.create(
            response=self,
            number=self.submissions.count() + 1,
            latest=True,
            questionnaire_id=self.campaign.questionnaire_id,
            answers=self.answers,
            uses=[u.answers for u in uses],
            sha256=self.answers_sha256,
            attestation=attestation,
            submitted_at=at,
            submitted_by=user,
            submitted_ip=ip,
            **{name: getattr(self, name) for name in self.DERIVED_FIELDS},
        )
        self.sync_contracts()
        self._keep_attested(submission, uses)
        AuditEvent.record(
            "response.submitted",
            actor=user,
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            ip=ip,
            submission=submission.number,
            sha256=self.answers_sha256,
        )
        return submission

    def _keep_attested(self, submission: Submission, uses: list[Use]) -> None:
        """Copy the contracts and uses as submitted: the figures count these copies, so
        that an amendment in progress changes nothing until it is submitted again."""
        contracts = Contract.objects.bulk_create(
            Contract(
                response=self,
                submission=submission,
                position=c.position,
                piid=c.piid,
                program=c.program,
                program_key=c.program_key,
            )
            for c in self.contracts.live()
        )
        by_piid = {c.piid: c for c in contracts}
        # The copies of earlier submissions stop counting; these count instead.
        Use.attested.filter(response=self).update(counted_in=None)
        copies = Use.objects.bulk_create(use.attested_copy(submission) for use in uses)
        links = self.campaign.questionnaire.parsed.contract_links
        if links is None:
            return
        Use.contracts.through.objects.bulk_create(
            Use.contracts.through(use_id=copy.pk, contract_id=by_piid[piid].pk)
            for copy in copies
            for piid in dict.fromkeys(copy.answers.get(links.choice) or [])
            if piid in by_piid
        )
