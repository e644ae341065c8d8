"""Importing contacts, sending and resending invitations through the admin."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.test import TestCase
from django.urls import reverse

from survey import imports
from survey.models import AuditEvent, Invitation, Organisation, Response, User
from tests.helpers import make_campaign
from tests.test_imports import GOOD, HEADER, csv_bytes, rezip, xlsx

IMPORT = reverse("admin:survey_invitation_import")
PROBLEMS = reverse("admin:survey_invitation_import_problems")
LINK = re.compile(r"http://testserver/invite/([\w-]+)/")
REFUSED = "sam@acme.example"


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses one recipient, as SMTP does, and delivers the others."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if any(REFUSED in message.to for message in messages):
            raise smtplib.SMTPRecipientsRefused({REFUSED: (550, b"No such user")})
        return super().send_messages(messages)


class ImportPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        cls.superuser = User.objects.create_superuser("root@example.com", "x" * 16)

    def setUp(self) -> None:
        self.client.force_login(self.superuser)

    def upload(self, name: str, content: bytes, send: bool = True) -> object:
        data = {"campaign": self.campaign.pk, "file": SimpleUploadedFile(name, content)}
        if send:
            data["send_emails"] = "on"
        return self.client.post(IMPORT, data, follow=True)

    def test_the_template_downloads_and_imports_as_it_is(self) -> None:
        """Issue 10 §16: the template's headers and example row pass the import."""
        page = self.client.get(IMPORT)
        url = reverse("admin:survey_invitation_import_template")
        self.assertContains(page, f'href="{url}"')
        reply = self.client.get(url)
        self.assertEqual(reply.status_code, 200)
        self.assertIn("invitations-template.xlsx", reply["Content-Disposition"])
        page = self.upload("invitations-template.xlsx", reply.content, send=False)
        self.assertContains(page, "1 row(s) imported")
        self.assertTrue(Organisation.objects.filter(uei="EXMPL1234567").exists())

    def test_a_valid_file_imports_every_row_and_emails_each_contact(self) -> None:
        with self.settings(SITE_URL="http://testserver"):
            page = self.upload("contacts.xlsx", xlsx([HEADER, *GOOD]))
        self.assertContains(page, "3 row(s) imported: 2 new organisation(s)")
        self.assertEqual(Organisation.objects.count(), 2)
        self.assertEqual(Response.objects.filter(campaign=self.campaign).count(), 2)
        self.assertEqual(Invitation.objects.count(), 3)
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox),
            ["lee@birch.example", "pat@acme.example", "sam@acme.example"],
        )
        message = next(m for m in mail.outbox if m.to == ["pat@acme.example"])
        self.assertIn("Acme Widgets LLC", message.subject)
        self.assertIn("Hello Pat Doe", message.body)
        token = LINK.search(message.body).group(1)
        self.assertEqual(Invitation.usable(token).email, "pat@acme.example")
        self.assertTrue(Invitation.objects.get(email="pat@acme.example").sent_at)
        self.assertEqual(
            AuditEvent.objects.filter(action="email.invitation_sent").count(), 3
        )
        imported = AuditEvent.objects.get(action="invitations.imported")
        self.assertEqual(imported.details["rows"], 3)
        self.assertEqual(imported.campaign, self.campaign)

    def test_an_email_that_fails_does_not_stop_the_others(self) -> None:
        backend = f"{__name__}.RefusingBackend"
        with (
            self.settings(SITE_URL="http://testserver", EMAIL_BACKEND=backend),
            self.assertLogs("survey.admin.invitations", "ERROR") as logs,
        ):
            page = self.upload("contacts.xlsx", xlsx([HEADER, *GOOD]))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "3 row(s) imported: 2 new organisation(s)")
        self.assertContains(
            page,
            f"1 invitation(s) could not be emailed: {REFUSED}. Select them below "
            "and use “Send a new link”.",
        )
        # The one after the refused address was still sent.
        self.assertEqual(
            [m.to for m in mail.outbox], [["pat@acme.example"], ["lee@birch.example"]]
        )
        self.assertEqual(Invitation.objects.count(), 3)
        self.assertIsNone(Invitation.objects.get(email=REFUSED).sent_at)
        self.assertEqual(
            AuditEvent.objects.filter(action="email.invitation_sent").count(), 2
        )
        self.assertIn("SMTPRecipientsRefused", logs.output[0])

    def test_importing_the_same_file_twice_is_refused(self) -> None:
        self.upload("contacts.xlsx", xlsx([HEADER, *GOOD]), send=False)
        page = self.upload("contacts.xlsx", xlsx([HEADER, *GOOD]), send=False)
        self.assertContains(page, "already has a pending invitation", count=3)
        self.assertEqual(Invitation.objects.count(), 3)

    def test_emails_can_wait(self) -> None:
        self.upload("contacts.csv", csv_bytes([HEADER, *GOOD]), send=False)
        self.assertEqual(Invitation.objects.count(), 3)
        self.assertEqual(mail.outbox, [])

    def test_a_file_with_any_problem_imports_nothing_and_offers_a_report(self) -> None:
        rows = [
            HEADER[:-1],
            ["Acme Widgets LLC", "ACMEWDGT123O", "1ACM5", "Pat", "pat@acme.example"],
            ["Birch Avionics", "BRCHAV1N2C34", "1BRC$", "Lee", "lee@birch.example"],
            ["Cedar Corp", "CEDARC0RP123", "", "Kim", "pat@acme.example"],
            ["Dune Labs", "DUNELABS1234", "4DUN5", "Ira", "ira@dune.example"],
        ]
        page = self.upload("contacts.xlsx", xlsx(rows))
        self.assertContains(page, "Nothing was imported.")
        self.assertEqual(
            [(p.line, p.column) for p in page.context["problems"]],
            [(1, "role"), (2, "uei"), (3, "cage_codes"), (4, "email")],
        )
        self.assertEqual(Organisation.objects.count(), 0)
        self.assertEqual(Invitation.objects.count(), 0)
        self.assertEqual(mail.outbox, [])
        report = self.client.get(PROBLEMS)
        self.assertEqual(report["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", report["Content-Disposition"])
        lines = report.content.decode().splitlines()
        self.assertEqual(lines[0], "line,column,problem")
        self.assertEqual([ln.split(",")[0] for ln in lines[1:]], ["1", "2", "3", "4"])
        self.assertIn("ACMEWDGT123O", lines[2])

    def test_values_too_long_for_the_database_are_reported_not_a_crash(self) -> None:
        # PostgreSQL refuses them: this runs there too, where it once answered 500.
        email = "p" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".example"
        rows = [
            HEADER,
            GOOD[0],
            [
                "B" * 301,
                "BRCHAV1N2C34",
                "",
                "Lee Poe",
                "lee@birch.example",
                "signatory",
            ],
            [
                "Cedar Corp",
                "CEDARC1RP123",
                "",
                "K" * 201,
                "kim@cedar.example",
                "preparer",
            ],
            ["Dune Labs", "DUNELABS1234", "", "Ira", email, "preparer"],
        ]
        page = self.upload("contacts.csv", csv_bytes(rows))
        self.assertContains(page, "Nothing was imported.")
        self.assertEqual(
            [(p.line, p.column) for p in page.context["problems"]],
            [(3, "legal_name"), (4, "contact_name"), (5, "email")],
        )
        self.assertEqual(Organisation.objects.count(), 0)
        self.assertEqual(Invitation.objects.count(), 0)

    def test_a_nul_character_is_reported_not_a_crash(self) -> None:
        # PostgreSQL cannot store it: this runs there too, where it once answered 500.
        rows = [
            HEADER,
            GOOD[0],
            ["Birch", "BRCHAV1N2C34", "", "Lee\x00", "l@b.example", "preparer"],
        ]
        page = self.upload("contacts.csv", csv_bytes(rows))
        self.assertContains(page, "This contains a NUL character")
        self.assertEqual(
            [(p.line, p.column) for p in page.context["problems"]],
            [(3, "contact_name")],
        )
        self.assertEqual(Organisation.objects.count(), 0)

    def test_a_huge_file_is_refused_before_reading(self) -> None:
        page = self.upload("contacts.csv", b"x" * (5 * 1024 * 1024 + 1))
        self.assertContains(page, "The file is larger than 5 MB.")

    def test_an_xlsx_that_unzips_too_large_is_a_form_error(self) -> None:
        content = rezip(
            xlsx([HEADER, *GOOD]),
            extra=("xl/media/padding.bin", imports.MAX_UNZIPPED_BYTES + 2**20),
        )
        page = self.upload("contacts.xlsx", content)
        self.assertContains(page, "The file unzips to more than 50 MB.")
        self.assertEqual(Invitation.objects.count(), 0)

    def test_an_unreadable_file_is_a_form_error(self) -> None:
        page = self.upload("contacts.xlsx", b"not a zip file")
        self.assertContains(page, "The file cannot be read")
        page = self.upload("contacts.txt", b"a,b")
        self.assertContains(page, "Upload an .xlsx or a .csv file.")
        self.assertEqual(Invitation.objects.count(), 0)


class ResendTests(TestCase):
    def test_resend_replaces_the_link_and_skips_accepted_invitations(self) -> None:
        superuser = User.objects.create_superuser("root@example.com", "x" * 16)
        campaign = make_campaign()
        organisation = Organisation.objects.create(
            legal_name="Acme", uei="ACMEWDGT1234"
        )
        Response.objects.create(campaign=campaign, organisation=organisation)
        pending, old_token = Invitation.issue(
            organisation, "pat@acme.example", "preparer"
        )
        accepted, _ = Invitation.issue(organisation, "sam@acme.example", "preparer")
        accepted.mark_accepted()
        self.client.force_login(superuser)
        with self.settings(SITE_URL="http://testserver"):
            page = self.client.post(
                reverse("admin:survey_invitation_changelist"),
                {"action": "resend", "_selected_action": [pending.pk, accepted.pk]},
                follow=True,
            )
        self.assertContains(page, "1 invitation(s) sent")
        self.assertEqual([m.to for m in mail.outbox], [["pat@acme.example"]])
        new_token = LINK.search(mail.outbox[0].body).group(1)
        self.assertNotEqual(new_token, old_token)
        self.assertIsNone(Invitation.usable(old_token))
        self.assertEqual(Invitation.usable(new_token), pending)

    def test_a_refused_resend_is_reported_not_a_crash(self) -> None:
        superuser = User.objects.create_superuser("root@example.com", "x" * 16)
        organisation = Organisation.objects.create(
            legal_name="Acme", uei="ACMEWDGT1234"
        )
        refused, _ = Invitation.issue(organisation, REFUSED, "preparer")
        self.client.force_login(superuser)
        with (
            self.settings(EMAIL_BACKEND=f"{__name__}.RefusingBackend"),
            self.assertLogs("survey.admin.invitations", "ERROR"),
        ):
            page = self.client.post(
                reverse("admin:survey_invitation_changelist"),
                {"action": "resend", "_selected_action": [refused.pk]},
                follow=True,
            )
        self.assertContains(page, "0 invitation(s) sent")
        self.assertContains(page, f"1 invitation(s) could not be emailed: {REFUSED}.")


class AddInvitationTests(TestCase):
    def test_an_invitation_added_by_hand_gets_a_link_and_an_email(self) -> None:
        superuser = User.objects.create_superuser("root@example.com", "x" * 16)
        organisation = Organisation.objects.create(
            legal_name="Acme", uei="ACMEWDGT1234"
        )
        self.client.force_login(superuser)
        with self.settings(SITE_URL="http://testserver"):
            result = self.client.post(
                reverse("admin:survey_invitation_add"),
                {
                    "organisation": organisation.pk,
                    "email": "Pat@Acme.example",
                    "full_name": "Pat Doe",
                    "role": "signatory",
                },
            )
        self.assertEqual(result.status_code, 302)
        invitation = Invitation.objects.get()
        self.assertEqual(invitation.email, "pat@acme.example")
        self.assertEqual(invitation.created_by, superuser)
        token = LINK.search(mail.outbox[0].body).group(1)
        self.assertEqual(Invitation.usable(token), invitation)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="admin.added", object_id=str(invitation.pk)
            )
        )
