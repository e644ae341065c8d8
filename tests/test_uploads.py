from __future__ import annotations

import io
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from survey import uploads
from survey.models import Attachment, Membership
from tests.helpers import (
    complete_org_answers,
    make_organisation,
    make_response,
    make_user,
)

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def office_file(prefix: str = "word/", size: int = 10) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{prefix}document.xml", "0" * size)
    return buffer.getvalue()


class SniffTests(SimpleTestCase):
    """IN-6: the type is read from the content against an allowlist."""

    def test_allowed_types(self) -> None:
        self.assertEqual(uploads.sniff(PDF), "application/pdf")
        self.assertEqual(uploads.sniff(b"\x89PNG\r\n\x1a\n0000"), "image/png")
        self.assertEqual(
            uploads.sniff(b'{"bomFormat": "CycloneDX"}'), "application/json"
        )
        self.assertEqual(
            uploads.sniff(office_file("xl/")),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def test_refused_content(self) -> None:
        svg = b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>'
        for content in [
            b"",
            b"<html><script>alert(1)</script></html>",
            svg,
            office_file(size=60 * 1024 * 1024),
            b"PK\x03\x04broken",
            b"MZ\x90\x00",
            b'<?xml version="1.0"?><bom/>',
            b"x" * (uploads.MAX_BYTES + 1),
        ]:
            with self.subTest(content=content[:20]), self.assertRaises(ValidationError):
                uploads.sniff(content)

    def test_names_are_made_safe_and_follow_the_real_type(self) -> None:
        self.assertEqual(
            uploads.safe_filename("../../etc/passwd", "application/pdf"), "passwd.pdf"
        )
        self.assertEqual(
            uploads.safe_filename("x.pdf.html", "application/pdf"), "x_pdf.pdf"
        )
        self.assertEqual(
            uploads.safe_filename("a\x00b\r\nc.pdf", "application/pdf"), "abc.pdf"
        )
        self.assertEqual(
            uploads.safe_filename("C:\\Users\\me\\plan.docx", "application/pdf"),
            "plan.pdf",
        )


class UploadViewTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.org = make_organisation()
        cls.response = make_response(
            organisation=cls.org, answers=complete_org_answers(E1="documented")
        )
        cls.a1 = make_user(organisation=cls.org)
        cls.a2 = make_user(organisation=cls.org, role=Membership.Role.SIGNATORY)
        cls.b1 = make_user(organisation=make_organisation())

    def upload(self, content: bytes, name: str = "plan.pdf") -> object:
        path = reverse("survey-section", args=[self.response.uuid, "E"])
        page = self.client.get(path)
        return self.client.post(
            path,
            {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "E1": "documented",
                "E1a": "2027-01-31",
                "E2": "complete",
                "E1b": SimpleUploadedFile(name, content, "application/pdf"),
            },
        )

    def test_a_file_is_stored_and_downloaded_only_by_its_organisation(self) -> None:
        self.client.force_login(self.a1)
        reply = self.upload(PDF, "../exit plan.pdf")
        self.assertEqual(reply.status_code, 302)
        self.response.refresh_from_db()
        stored = Attachment.objects.get()
        self.assertEqual(self.response.answers["E1b"]["name"], "exit plan.pdf")
        self.assertEqual(bytes(stored.content), PDF)
        url = reverse("survey-attachment", args=[self.response.uuid, stored.uuid])
        self.client.force_login(self.a2)
        download = self.client.get(url)
        self.assertEqual(b"".join(download.streaming_content), PDF)
        self.assertIn(
            'attachment; filename="exit plan.pdf"', download["Content-Disposition"]
        )
        self.assertEqual(download["X-Content-Type-Options"], "nosniff")
        self.assertIn("no-store", download["Cache-Control"])
        review = self.client.get(reverse("survey-review", args=[self.response.uuid]))
        self.assertContains(review, url)
        self.client.force_login(self.b1)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_refused_file_is_a_field_error_and_saves_the_rest(self) -> None:
        self.client.force_login(self.a1)
        reply = self.upload(b"<html><script>alert(1)</script></html>", "x.pdf")
        self.assertEqual(reply.status_code, 200)
        self.assertContains(reply, "Only these files are accepted")
        self.assertFalse(Attachment.objects.exists())
        self.response.refresh_from_db()
        self.assertEqual(self.response.answers["E1a"], "2027-01-31")

    def test_the_current_file_can_be_removed(self) -> None:
        self.client.force_login(self.a1)
        self.upload(PDF)
        path = reverse("survey-section", args=[self.response.uuid, "E"])
        page = self.client.get(path)
        self.assertContains(page, "Current file: plan.pdf")
        self.client.post(
            path,
            {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "E1": "documented",
                "E1b__clear": "on",
            },
        )
        self.response.refresh_from_db()
        self.assertNotIn("E1b", self.response.answers)

    def test_a_file_for_a_hidden_question_is_not_kept(self) -> None:
        self.client.force_login(self.a1)
        path = reverse("survey-section", args=[self.response.uuid, "E"])
        page = self.client.get(path)
        self.client.post(
            path,
            {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "E1": "no",
                "E2": "complete",
                "E1b": SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
            },
        )
        self.response.refresh_from_db()
        self.assertEqual(self.response.answers["E1"], "no")
        self.assertNotIn("E1b", self.response.answers)
        self.assertFalse(Attachment.objects.exists())
