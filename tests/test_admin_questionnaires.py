"""Questionnaire versions in the admin: upload, preview and download as a workbook."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from django.utils.html import escape

from survey.admin.questionnaires import VENDOR_PLACEHOLDER
from survey.demo import DEFAULT_DEFINITION
from survey.models import AuditEvent, QuestionnaireVersion
from survey.xlsform import read_workbook, write_workbook
from tests.helpers import make_user
from tests.review_helpers import make_admin_officer, make_reviewer
from tests.test_xlsform import default_book, default_data, put, question_row, saved

UPLOAD = reverse("admin:survey_questionnaireversion_upload")
CHANGELIST = reverse("admin:survey_questionnaireversion_changelist")


def preview_url(version: QuestionnaireVersion) -> str:
    return reverse("admin:survey_questionnaireversion_preview", args=[version.pk])


def workbook_url(version: QuestionnaireVersion) -> str:
    return reverse("admin:survey_questionnaireversion_workbook", args=[version.pk])


def xlsx_upload(content: bytes, name: str = "questionnaire.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


class UploadTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.officer = make_admin_officer()

    def setUp(self) -> None:
        self.client.force_login(self.officer)

    def test_the_changelist_offers_the_upload_page(self) -> None:
        page = self.client.get(CHANGELIST)
        self.assertContains(page, f'href="{UPLOAD}"')
        self.assertContains(self.client.get(UPLOAD), 'type="file"')

    def test_a_good_workbook_is_stored_and_its_preview_shown(self) -> None:
        content = write_workbook(default_data()).getvalue()
        reply = self.client.post(UPLOAD, {"file": xlsx_upload(content)})
        version = QuestionnaireVersion.objects.get()
        self.assertRedirects(reply, preview_url(version))
        self.assertEqual(version.definition, default_data())
        event = AuditEvent.objects.get(action="questionnaire.uploaded")
        self.assertEqual(event.details, {"file": "questionnaire.xlsx"})

    def test_a_json_definition_is_stored_too(self) -> None:
        upload = SimpleUploadedFile("v1.json", DEFAULT_DEFINITION.read_bytes())
        reply = self.client.post(UPLOAD, {"file": upload})
        version = QuestionnaireVersion.objects.get()
        self.assertRedirects(reply, preview_url(version))

    def test_a_broken_workbook_shows_every_fault_and_loads_nothing(self) -> None:
        book = default_book()
        d13, a2 = question_row(book, "D13"), question_row(book, "A2")
        put(book, "survey", d13, "type", "singel")
        put(book, "survey", a2, "id", "A1")
        page = self.client.post(UPLOAD, {"file": xlsx_upload(saved(book).read())})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "the file has 2 problems")
        self.assertContains(
            page, escape(f"survey!row {d13}, column type: unknown type 'singel'")
        )
        self.assertContains(
            page,
            escape(f"survey!row {a2}, column id: duplicate question id 'A1'"),
        )
        self.assertEqual(QuestionnaireVersion.objects.count(), 0)

    def test_an_identical_definition_is_refused(self) -> None:
        QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION)
        content = write_workbook(default_data()).getvalue()
        page = self.client.post(UPLOAD, {"file": xlsx_upload(content)})
        self.assertContains(page, "is identical to questionnaire version")
        self.assertEqual(QuestionnaireVersion.objects.count(), 1)

    def test_other_files_are_refused(self) -> None:
        page = self.client.post(UPLOAD, {"file": xlsx_upload(b"x", "notes.txt")})
        self.assertContains(page, "Upload a .xlsx workbook or a .json file.")
        page = self.client.post(UPLOAD, {"file": xlsx_upload(b"not a zip")})
        self.assertContains(page, "questionnaire.xlsx: not a readable .xlsx workbook")
        self.assertEqual(QuestionnaireVersion.objects.count(), 0)

    def test_the_upload_needs_a_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.officer)
        content = write_workbook(default_data()).getvalue()
        reply = client.post(UPLOAD, {"file": xlsx_upload(content)})
        self.assertEqual(reply.status_code, 403)
        self.assertEqual(QuestionnaireVersion.objects.count(), 0)


class VersionPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.version = QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION)
        cls.reviewer = make_reviewer()

    def setUp(self) -> None:
        self.client.force_login(self.reviewer)

    def test_the_preview_renders_every_section_and_question(self) -> None:
        """Before any campaign uses the version; no answer, no show-if, no submit."""
        self.assertFalse(self.version.campaigns.exists())
        page = self.client.get(preview_url(self.version))
        self.assertEqual(page.status_code, 200)
        parsed = self.version.parsed
        for section in parsed.sections:
            self.assertContains(
                page, escape(f"{section.id}. {section.title.render('{vendor}')}")
            )
            for question in section.questions:
                label = question.label.render(VENDOR_PLACEHOLDER)
                self.assertContains(page, escape(f"{question.id}. {label}"))
        self.assertContains(page, escape("Shown when:"))
        self.assertNotContains(page, 'type="submit" name="save"')
        self.assertNotContains(page, "data-autosave")

    def test_the_preview_fills_in_a_vendor_name(self) -> None:
        page = self.client.get(preview_url(self.version), {"vendor": "Example AI"})
        self.assertContains(page, "Dependence on AI vendor Example AI")

    def test_the_change_page_links_the_preview_and_the_workbook(self) -> None:
        url = reverse(
            "admin:survey_questionnaireversion_change", args=[self.version.pk]
        )
        page = self.client.get(url)
        self.assertContains(page, f'href="{preview_url(self.version)}"')
        self.assertContains(page, f'href="{workbook_url(self.version)}"')

    def test_the_download_reads_back_as_the_stored_definition(self) -> None:
        reply = self.client.get(workbook_url(self.version))
        self.assertEqual(reply.status_code, 200)
        self.assertIn(
            'filename="ai-vendor-dependence-v1.xlsx"', reply["Content-Disposition"]
        )
        back = read_workbook(BytesIO(reply.content), source="download.xlsx")
        self.assertEqual(back, self.version.definition)

    def test_a_reviewer_cannot_upload(self) -> None:
        self.assertNotContains(self.client.get(CHANGELIST), f'href="{UPLOAD}"')
        self.assertEqual(self.client.get(UPLOAD).status_code, 403)
        content = write_workbook(default_data()).getvalue()
        reply = self.client.post(UPLOAD, {"file": xlsx_upload(content)})
        self.assertEqual(reply.status_code, 403)

    def test_staff_without_the_view_permission_get_403(self) -> None:
        self.client.force_login(make_user(is_staff=True))
        for url in (preview_url(self.version), workbook_url(self.version), UPLOAD):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 403)

    def test_anonymous_visitors_are_sent_to_the_login_page(self) -> None:
        self.client.logout()
        for url in (preview_url(self.version), workbook_url(self.version), UPLOAD):
            with self.subTest(url):
                reply = self.client.get(url)
                self.assertEqual(reply.status_code, 302)
                self.assertIn(reverse("admin:login"), reply["Location"])

    def test_an_unknown_version_is_404(self) -> None:
        url = reverse("admin:survey_questionnaireversion_preview", args=[999999])
        self.assertEqual(self.client.get(url).status_code, 404)
