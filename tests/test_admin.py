from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from survey import demo
from survey.models import (
    Attachment,
    AuditEvent,
    ExportJob,
    IntermediaryAlias,
    Invitation,
    ReminderSent,
    Response,
    ReviewComment,
    ScoringVersion,
    User,
)
from tests.helpers import log_in, make_response

PASSWORD = "demo-survey-2026"


def admin_url(model: type, view: str, *args: object) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


class AdminPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        demo.seed(PASSWORD)
        AuditEvent.record("demo.seeded")
        cls.superuser = User.objects.get(email=demo.ADMIN_EMAIL)
        cls.reviewer = User.objects.get(email=demo.REVIEWER_EMAIL)
        submitted = Response.objects.filter(status="submitted").first()
        ReviewComment.objects.create(
            response=submitted,
            question_id="A2",
            text="Please check",
            author=cls.reviewer,
        )
        ReminderSent.objects.create(
            response=submitted, offset_hours=24, deadline=submitted.campaign.deadline
        )
        Invitation.issue(submitted.organisation, "new@northwind.example", "preparer")
        IntermediaryAlias.objects.create(key="aws bedrock", platform="Amazon Bedrock")
        ScoringVersion.objects.create(
            campaign=submitted.campaign, number=1, config={}, note="Defaults"
        )
        ExportJob.objects.create(
            campaign=submitted.campaign, requested_by=cls.superuser
        )
        Attachment.objects.create(
            response=submitted,
            question_id="E1b",
            name="plan.pdf",
            size=5,
            content_type="application/pdf",
            sha256="0" * 64,
            content=b"%PDF-",
            uploaded_by=cls.superuser,
        )

    def test_every_model_is_registered(self) -> None:
        from django.apps import apps

        for model in apps.get_app_config("survey").get_models():
            self.assertTrue(admin.site.is_registered(model), model)

    def test_superuser_opens_every_changelist_and_change_page(self) -> None:
        self.client.force_login(self.superuser)
        for model in admin.site._registry:
            if model._meta.app_label != "survey":
                continue
            with self.subTest(model=model.__name__):
                self.assertEqual(
                    self.client.get(admin_url(model, "changelist")).status_code, 200
                )
                obj = model.objects.first()
                self.assertIsNotNone(obj)
                response = self.client.get(admin_url(model, "change", obj.pk))
                self.assertEqual(response.status_code, 200)

    def test_response_list_searches_name_uei_and_cage(self) -> None:
        self.client.force_login(self.superuser)
        for term in ["Northwind", "NWD3F5YSTM12", "1NWD5"]:
            response = self.client.get(admin_url(Response, "changelist"), {"q": term})
            self.assertContains(response, "Northwind Defense Systems LLC")
            self.assertNotContains(response, "Cedar Ridge Manufacturing")

    def test_response_list_search_takes_sql_and_like_metacharacters(self) -> None:
        """IN-5: SQL and LIKE metacharacters are searched for as text, never a 500."""
        self.client.force_login(self.superuser)
        for term in ["' OR 1=1 --", "%", "_", "\\", "Northwind%"]:
            with self.subTest(term=term):
                response = self.client.get(
                    admin_url(Response, "changelist"), {"q": term}
                )
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, "Northwind Defense Systems LLC")

    def test_response_list_filters_by_flag(self) -> None:
        self.client.force_login(self.superuser)
        response = self.client.get(
            admin_url(Response, "changelist"), {"flag_unresolved__exact": "1"}
        )
        self.assertContains(response, "Harbor Point Logistics")
        self.assertNotContains(response, "Northwind Defense Systems")

    def test_response_list_runs_a_bounded_number_of_queries(self) -> None:
        self.client.force_login(self.superuser)
        url = admin_url(Response, "changelist")
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        campaign = Response.objects.first().campaign
        for _ in range(15):
            make_response(campaign=campaign)
        with CaptureQueriesContext(connection) as many:
            page = self.client.get(url)
        self.assertEqual(page.context["cl"].result_count, 20)
        self.assertEqual(len(many), len(few))

    def test_audit_events_cannot_be_added_changed_or_deleted(self) -> None:
        self.client.force_login(self.superuser)
        event = AuditEvent.objects.get(action="demo.seeded")
        self.assertEqual(self.client.get(admin_url(AuditEvent, "add")).status_code, 403)
        response = self.client.post(
            admin_url(AuditEvent, "change", event.pk), {"action": "tampered"}
        )
        self.assertEqual(response.status_code, 403)
        response = self.client.post(
            admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 403)
        event.refresh_from_db()
        self.assertEqual(event.action, "demo.seeded")

    def test_reviewer_views_responses_but_cannot_change_them(self) -> None:
        self.client.force_login(self.reviewer)
        response_obj = Response.objects.filter(status="submitted").first()
        self.assertEqual(
            self.client.get(admin_url(Response, "changelist")).status_code, 200
        )
        page = self.client.get(admin_url(Response, "change", response_obj.pk))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        response = self.client.post(
            admin_url(Response, "change", response_obj.pk), {"status": "accepted"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.client.get(admin_url(User, "changelist")).status_code, 403
        )
        response_obj.refresh_from_db()
        self.assertEqual(response_obj.status, "submitted")

    def test_contractors_are_sent_to_the_login_page(self) -> None:
        self.assertTrue(log_in(self.client, "preparer@northwind.example", PASSWORD))
        response = self.client.get(admin_url(Response, "changelist"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])

    def test_only_superusers_assign_roles(self) -> None:
        admin_user = User.objects.create_user(
            "officer@programoffice.example", "x" * 14, is_staff=True
        )
        from django.contrib.auth.models import Group

        admin_user.groups.add(Group.objects.get(name="Admin"))
        self.client.force_login(admin_user)
        target = User.objects.get(email="preparer@northwind.example")
        page = self.client.get(admin_url(User, "change", target.pk))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="groups"')
        self.assertNotContains(page, 'name="is_superuser"')


class AttachmentDownloadTests(TestCase):
    """Reviewers download evidence of their campaigns only."""

    def test_download_follows_campaign_assignment(self) -> None:
        demo.seed(PASSWORD)
        reviewer = User.objects.get(email=demo.REVIEWER_EMAIL)
        response = Response.objects.filter(status="submitted").first()
        attachment = Attachment.objects.create(
            response=response,
            question_id="E1b",
            name="plan.pdf",
            size=5,
            content_type="application/pdf",
            sha256="0" * 64,
            content=b"%PDF-",
            uploaded_by=reviewer,
        )
        url = reverse("admin:survey_attachment_download", args=[attachment.pk])
        self.client.force_login(reviewer)
        reply = self.client.get(url)
        self.assertEqual(b"".join(reply.streaming_content), b"%PDF-")
        self.assertIn('filename="plan.pdf"', reply["Content-Disposition"])
        response.campaign.reviewers.remove(reviewer)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.client.force_login(User.objects.get(email="preparer@northwind.example"))
        self.assertEqual(self.client.get(url).status_code, 302)
