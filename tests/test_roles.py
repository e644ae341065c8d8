from __future__ import annotations

from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import TestCase

from survey import roles


class EnsureRolesTests(TestCase):
    def test_command_creates_and_refreshes_the_groups(self) -> None:
        call_command("ensure_roles", stdout=StringIO())
        reviewer = Group.objects.get(name=roles.REVIEWER)
        reviewer.permissions.clear()
        out = StringIO()
        call_command("ensure_roles", stdout=out)
        codenames = set(reviewer.permissions.values_list("codename", flat=True))
        self.assertIn("review_response", codenames)
        self.assertIn("view_submission", codenames)
        # Reviewers change nothing; the one thing they add is an export of their data.
        self.assertEqual(
            {c for c in codenames if c.startswith(("change_", "add_", "delete_"))},
            {"add_exportjob"},
        )
        admin = set(
            Group.objects.get(name=roles.ADMIN).permissions.values_list(
                "codename", flat=True
            )
        )
        self.assertIn("change_response", admin)
        self.assertNotIn("delete_auditevent", admin)
        self.assertIn("Reviewer:", out.getvalue())
