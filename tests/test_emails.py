from __future__ import annotations

from django.core import mail
from django.test import TestCase
from django.utils import translation

from survey import emails
from survey.invitations import invitation_link
from survey.models import AuditEvent, Invitation
from tests.helpers import make_organisation


class InvitationEmailTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.organisation = make_organisation(legal_name="Acme <Widgets> LLC")

    def test_english_by_default_with_the_single_use_link(self) -> None:
        invitation, token = Invitation.issue(
            self.organisation, "pat@acme.example", "preparer", full_name="Pat Doe"
        )
        with self.settings(SITE_URL="https://survey.example"):
            emails.send_invitation(invitation, token)
            link = invitation_link(token)
        self.assertEqual(link, f"https://survey.example/invite/{token}/")
        (message,) = mail.outbox
        self.assertEqual(message.to, ["pat@acme.example"])
        self.assertEqual(
            message.subject, "Invitation: dependency survey for Acme <Widgets> LLC"
        )
        self.assertIn(link, message.body)
        # Plain text: names are not HTML-escaped.
        self.assertIn("for Acme <Widgets> LLC (UEI", message.body)
        self.assertEqual(
            AuditEvent.objects.get(action="email.invitation_sent").details,
            {"to": "pat@acme.example"},
        )

    def test_rendered_in_the_recipients_language(self) -> None:
        invitation, token = Invitation.issue(
            self.organisation, "pat@acme.example", "preparer"
        )
        emails.send_invitation(invitation, token, language="fr")
        self.assertTrue(mail.outbox[0].subject.startswith("Invitation : enquête"))
        self.assertIn("Ouvrez ce lien", mail.outbox[0].body)
        # The request's language is left as it was.
        self.assertEqual(translation.get_language(), "en")
