"""AC-4: who may open or post what in the admin, and per-campaign scoping of reviewers."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse

from survey import demo
from survey.models import (
    Attachment,
    AuditEvent,
    Campaign,
    Contract,
    ExportJob,
    IntermediaryAlias,
    Invitation,
    Membership,
    Organisation,
    QuestionnaireVersion,
    ReminderSent,
    Response,
    ReviewComment,
    ScoringVersion,
    Submission,
    Use,
    User,
    Vendor,
)
from tests.helpers import make_campaign
from tests.review_helpers import make_admin_officer, make_submitted

PASSWORD = "demo-survey-2026"
LOGIN = "login"
# "officer" is a program-office admin: staff in the Admin group, not a superuser.
ROLES = ("anonymous", "contractor", "reviewer", "superuser", "officer")

# What a reviewer may open: read-only views of the survey's records, nothing else.
REVIEWER_VIEWS = {
    Vendor,
    QuestionnaireVersion,
    Campaign,
    Organisation,
    Membership,
    Response,
    Use,
    AuditEvent,
    Submission,
    ReviewComment,
    Attachment,
    Contract,
    IntermediaryAlias,
    ScoringVersion,
    ExportJob,
}
# Records created only by the application, never typed into the admin.
NO_ADD = {
    Attachment,
    Contract,
    QuestionnaireVersion,
    Response,
    Use,
    Submission,
    AuditEvent,
    ReviewComment,
    ReminderSent,
    ExportJob,
}
NO_DELETE = {
    Submission,
    AuditEvent,
    ReminderSent,
    Contract,
    ScoringVersion,
    ExportJob,
}


def url(model: type, view: str, *args: object) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


class RoleMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        demo.seed(PASSWORD)
        cls.superuser = User.objects.get(email=demo.ADMIN_EMAIL)
        cls.reviewer = User.objects.get(email=demo.REVIEWER_EMAIL)
        cls.contractor = User.objects.get(email="preparer@northwind.example")
        cls.officer = make_admin_officer()
        cls.campaign = Campaign.objects.get(slug=demo.CAMPAIGN_SLUG)
        cls.response = (
            cls.campaign.responses.filter(status="submitted", uses__isnull=False)
            .distinct()
            .first()
        )
        ReviewComment.objects.create(
            response=cls.response, question_id="A2", text="Check", author=cls.reviewer
        )
        ReminderSent.objects.create(
            response=cls.response,
            offset_hours=24,
            deadline=cls.response.campaign.deadline,
        )
        Invitation.issue(cls.response.organisation, "new@example.com", "preparer")
        Attachment.objects.create(
            response=cls.response,
            question_id="A2",
            name="evidence.pdf",
            content_type="application/pdf",
            size=3,
            sha256="0" * 64,
            content=b"%PD",
            uploaded_by=cls.contractor,
        )
        cls.objects = {
            Vendor: cls.campaign.vendor,
            QuestionnaireVersion: cls.campaign.questionnaire,
            Campaign: cls.campaign,
            Organisation: cls.response.organisation,
            Membership: Membership.objects.filter(
                organisation=cls.response.organisation
            ).first(),
            Response: cls.response,
            Use: cls.response.uses.first(),
            AuditEvent: AuditEvent.objects.filter(campaign=cls.campaign).first(),
            Submission: cls.response.submissions.first(),
            ReviewComment: ReviewComment.objects.first(),
            ReminderSent: ReminderSent.objects.first(),
            Invitation: Invitation.objects.first(),
            Attachment: Attachment.objects.first(),
            Contract: cls.response.contracts.live().first(),
            IntermediaryAlias: IntermediaryAlias.objects.create(
                key="aws bedrock", platform="Amazon Bedrock"
            ),
            ScoringVersion: ScoringVersion.objects.create(
                campaign=cls.campaign, number=1, config={}, note="Defaults"
            ),
            User: cls.contractor,
            Group: Group.objects.first(),
            # Asked for by the reviewer: only its requester may open it.
            ExportJob: ExportJob.objects.create(
                campaign=cls.campaign, requested_by=cls.reviewer
            ),
        }

    def login(self, role: str) -> None:
        users = {
            "contractor": self.contractor,
            "reviewer": self.reviewer,
            "superuser": self.superuser,
            "officer": self.officer,
        }
        if role in users:
            self.client.force_login(users[role])

    def expected(self, role: str, model: type, view: str) -> int | str:
        if role in ("anonymous", "contractor"):
            return LOGIN
        if role == "reviewer":
            if model not in REVIEWER_VIEWS or view in ("add", "delete"):
                return 403
            return 200
        if model is ExportJob and view in ("change", "history", "delete"):
            # Nobody opens another person's export, whatever their role; nobody
            # deletes one (the worker does, on expiry).
            if role != "reviewer":
                return 404
            return 403 if view == "delete" else 200
        if role == "officer" and model is Group:
            # Only superusers manage roles.
            return 403
        if role == "officer" and model is Response and view == "delete":
            return 403
        if view == "add" and model in NO_ADD:
            return 403
        if view == "delete" and model in NO_DELETE:
            return 403
        return 200

    def outcome(self, response: object) -> int | str:
        code = response.status_code  # type: ignore[attr-defined]
        if code == 302 and reverse("admin:login") in response["Location"]:  # type: ignore[index]
            return LOGIN
        return code

    def test_every_model_page_for_every_role(self) -> None:
        self.assertEqual(
            set(self.objects),
            {
                m
                for m in admin.site._registry
                if m._meta.app_label in ("survey", "auth")
            },
        )
        for role in ROLES:
            self.client.logout()
            self.login(role)
            for model, obj in self.objects.items():
                pages = {
                    "changelist": url(model, "changelist"),
                    "add": url(model, "add"),
                    "change": url(model, "change", obj.pk),
                    "delete": url(model, "delete", obj.pk),
                    "history": url(model, "history", obj.pk),
                }
                for view, address in pages.items():
                    with self.subTest(role=role, model=model.__name__, view=view):
                        self.assertEqual(
                            self.outcome(self.client.get(address)),
                            self.expected(role, model, view),
                        )

    def test_custom_views_for_every_role(self) -> None:
        pk = self.response.pk
        pages = {
            "return": reverse("admin:survey_response_return", args=[pk]),
            "reopen": reverse("admin:survey_response_reopen", args=[pk]),
            "override": reverse("admin:survey_response_override", args=[pk]),
            "extension": reverse("admin:survey_response_extension", args=[pk]),
            "withdraw": reverse("admin:survey_response_withdraw", args=[pk]),
            "diff": reverse("admin:survey_response_diff", args=[pk]),
            "progress": reverse(
                "admin:survey_campaign_progress", args=[self.campaign.pk]
            ),
            "import": reverse("admin:survey_invitation_import"),
            "problems": reverse("admin:survey_invitation_import_problems"),
        }
        expected = {
            "reviewer": {
                "extension": 403,
                "withdraw": 403,
                "import": 403,
                "problems": 403,
            },
            # No import has run yet: the report page sends back to the import form.
            "superuser": {"problems": 302},
            "officer": {"problems": 302},
        }
        for role in ROLES:
            self.client.logout()
            self.login(role)
            for name, address in pages.items():
                with self.subTest(role=role, page=name):
                    want = (
                        LOGIN
                        if role in ("anonymous", "contractor")
                        else expected[role].get(name, 200)
                    )
                    self.assertEqual(self.outcome(self.client.get(address)), want)

    def test_workflow_posts_for_every_role(self) -> None:
        address = reverse("admin:survey_response_workflow", args=[self.response.pk])
        for role, want, status in [
            ("anonymous", LOGIN, "submitted"),
            ("contractor", LOGIN, "submitted"),
            ("reviewer", 302, "in_review"),
        ]:
            self.client.logout()
            self.login(role)
            with self.subTest(role=role):
                result = self.client.post(address, {"verb": "start_review"})
                self.assertEqual(self.outcome(result), want)
                self.response.refresh_from_db()
                self.assertEqual(self.response.status, status)
        self.client.force_login(self.superuser)
        self.client.post(address, {"verb": "accept"})
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, "accepted")
        self.assertEqual(self.client.get(address).status_code, 405)

    def test_bulk_actions_offered_by_role(self) -> None:
        for role, response_actions, invitation_status in [
            (
                "reviewer",
                {
                    "start_review_selected",
                    "accept_selected",
                    "escalate_selected",
                    "return_selected",
                    "reopen_selected",
                },
                403,
            ),
            ("superuser", {"start_review_selected", "delete_selected"}, 200),
        ]:
            self.client.logout()
            self.login(role)
            with self.subTest(role=role):
                page = self.client.get(url(Response, "changelist"))
                offered = {
                    value
                    for value, _label in page.context["action_form"]
                    .fields["action"]
                    .choices
                }
                self.assertTrue(response_actions <= offered, offered)
                if role == "reviewer":
                    self.assertNotIn("delete_selected", offered)
                page = self.client.get(url(Invitation, "changelist"))
                self.assertEqual(page.status_code, invitation_status)

    def test_reviewer_posts_change_nothing(self) -> None:
        """Answers, users, groups and permissions stay out of a reviewer's reach."""
        self.client.force_login(self.reviewer)
        answers = dict(self.response.answers)
        posts = [
            (url(Response, "change", self.response.pk), {"answers": "{}"}),
            (url(Response, "delete", self.response.pk), {"post": "yes"}),
            (url(Use, "change", self.objects[Use].pk), {"name": "x"}),
            (
                url(User, "change", self.reviewer.pk),
                {"email": self.reviewer.email, "is_superuser": "on", "is_staff": "on"},
            ),
            (url(Group, "add"), {"name": "Reviewers+"}),
            (
                url(Group, "change", Group.objects.get(name="Reviewer").pk),
                {"name": "Reviewer", "permissions": ["1", "2", "3"]},
            ),
            (
                url(Organisation, "change", self.response.organisation.pk),
                {"legal_name": "x"},
            ),
            (url(Invitation, "add"), {"email": "x@example.com"}),
        ]
        groups = list(Group.objects.values_list("name", flat=True))
        permissions = self.reviewer.groups.get().permissions.count()
        for address, data in posts:
            with self.subTest(address=address):
                self.assertEqual(self.client.post(address, data).status_code, 403)
        self.response.refresh_from_db()
        self.reviewer.refresh_from_db()
        self.assertEqual(self.response.answers, answers)
        self.assertIs(self.reviewer.is_superuser, False)
        self.assertEqual(list(Group.objects.values_list("name", flat=True)), groups)
        self.assertEqual(self.reviewer.groups.get().permissions.count(), permissions)
        self.assertEqual(
            self.response.organisation.legal_name,
            Organisation.objects.get(pk=self.response.organisation.pk).legal_name,
        )
        self.assertTrue(
            AuditEvent.objects.filter(
                action="auth.permission_denied", actor=self.reviewer
            ).exists()
        )

    def test_reviewer_lookups_into_secrets_are_refused(self) -> None:
        """IN-5: query strings cannot reach password hashes through relations."""
        self.client.force_login(self.reviewer)
        for model, lookup in [
            (Response, "organisation__members__password__startswith"),
            (Membership, "user__password__startswith"),
            (AuditEvent, "actor__password__startswith"),
        ]:
            with self.subTest(model=model.__name__):
                page = self.client.get(url(model, "changelist"), {lookup: "md5"})
                self.assertEqual(page.status_code, 400)


class CampaignScopingTests(TestCase):
    """A reviewer sees only the campaigns assigned; everything else answers 404."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.mine = make_submitted(make_campaign(title="Mine"))
        cls.other = make_submitted(make_campaign(title="Other"))
        from tests.review_helpers import make_reviewer

        cls.reviewer = make_reviewer(cls.mine.campaign)
        for response in (cls.mine, cls.other):
            ReviewComment.objects.create(
                response=response, question_id="B2", text="?", author=cls.reviewer
            )

    def related(self, response: Response) -> dict[type, object]:
        return {
            Response: response,
            Use: response.uses.get(),
            Submission: response.submissions.get(),
            ReviewComment: response.comments.get(),
            AuditEvent: AuditEvent.objects.filter(
                object_id=str(response.pk), action="response.submitted"
            ).get(),
            Campaign: response.campaign,
            Organisation: response.organisation,
            Membership: response.organisation.memberships.get(),
        }

    def test_reviewer_sees_only_assigned_campaigns(self) -> None:
        self.client.force_login(self.reviewer)
        for model, obj in self.related(self.mine).items():
            with self.subTest(model=model.__name__, campaign="mine"):
                self.assertEqual(
                    self.client.get(url(model, "change", obj.pk)).status_code, 200
                )
                page = self.client.get(url(model, "changelist"))
                self.assertEqual(
                    [o.pk for o in page.context["cl"].result_list], [obj.pk]
                )
        for model, obj in self.related(self.other).items():
            with self.subTest(model=model.__name__, campaign="other"):
                for view in ("change", "history"):
                    self.assertEqual(
                        self.client.get(url(model, view, obj.pk)).status_code, 404
                    )
        pk = self.other.pk
        for address in [
            reverse("admin:survey_response_return", args=[pk]),
            reverse("admin:survey_response_diff", args=[pk]),
            reverse("admin:survey_campaign_progress", args=[self.other.campaign.pk]),
        ]:
            with self.subTest(address=address):
                self.assertEqual(self.client.get(address).status_code, 404)
        result = self.client.post(
            reverse("admin:survey_response_workflow", args=[pk]), {"verb": "accept"}
        )
        self.assertEqual(result.status_code, 404)
        self.other.refresh_from_db()
        self.assertEqual(self.other.status, "submitted")

    def test_reviewer_filters_list_only_assigned_campaigns(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(url(Response, "changelist"))
        # The campaign is a filter now, not a column: the rows tell.
        self.assertContains(page, self.mine.organisation.legal_name)
        self.assertNotContains(page, self.other.organisation.legal_name)
        self.assertEqual(page.context["cl"].result_count, 1)

    def test_bulk_action_cannot_reach_other_campaigns(self) -> None:
        self.client.force_login(self.reviewer)
        self.client.post(
            url(Response, "changelist"),
            {
                "action": "accept_selected",
                "_selected_action": [self.mine.pk, self.other.pk],
            },
        )
        self.mine.refresh_from_db()
        self.other.refresh_from_db()
        self.assertEqual(self.mine.status, "accepted")
        self.assertEqual(self.other.status, "submitted")

    def test_admins_see_every_campaign(self) -> None:
        self.client.force_login(make_admin_officer())
        for response in (self.mine, self.other):
            for model, obj in self.related(response).items():
                with self.subTest(model=model.__name__):
                    self.assertEqual(
                        self.client.get(url(model, "change", obj.pk)).status_code, 200
                    )


class EscalationTests(TestCase):
    """An Admin-group officer (not a superuser) cannot take over program-office accounts."""

    def test_officer_cannot_change_or_delete_staff_accounts(self) -> None:
        demo.seed(PASSWORD)
        officer = make_admin_officer()
        superuser = User.objects.get(email=demo.ADMIN_EMAIL)
        reviewer = User.objects.get(email=demo.REVIEWER_EMAIL)
        contractor = User.objects.get(email="preparer@northwind.example")
        self.client.force_login(officer)
        for target in (superuser, reviewer):
            with self.subTest(target=target.email):
                # Django names the password view after auth's own user model.
                password = reverse("admin:auth_user_password_change", args=[target.pk])
                for path, data in [
                    (
                        password,
                        {"password1": "taken-over-42!", "password2": "taken-over-42!"},
                    ),
                    (url(User, "change", target.pk), {"email": "attacker@example.com"}),
                    (url(User, "delete", target.pk), {"post": "yes"}),
                ]:
                    reply = self.client.post(path, data)
                    self.assertEqual(reply.status_code, 403, path)
                target.refresh_from_db()
                self.assertFalse(target.check_password("taken-over-42!"))
                self.assertNotEqual(target.email, "attacker@example.com")
        # Contractor accounts stay manageable by officers.
        page = self.client.get(url(User, "change", contractor.pk))
        self.assertEqual(page.status_code, 200)

    def test_reviewer_out_of_scope_attempts_are_audited(self) -> None:
        demo.seed(PASSWORD)
        reviewer = User.objects.get(email=demo.REVIEWER_EMAIL)
        response = Response.objects.first()
        response.campaign.reviewers.remove(reviewer)
        self.client.force_login(reviewer)
        self.assertEqual(
            self.client.get(url(Response, "change", response.pk)).status_code, 404
        )
        event = AuditEvent.objects.get(action="access.denied")
        self.assertEqual(event.actor, reviewer)
