"""The contractor's pages: sections, uses, autosave, conflicts, review, submit, receipt."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from survey import questionnaire as qn
from survey.forms import MAX_ROWS, TEXT_MAX
from survey.models import AuditEvent, Membership, Response, Submission, Use, User
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
    section_a_post,
)

PREPARER, SIGNATORY = Membership.Role.PREPARER, Membership.Role.SIGNATORY
# The second step of "Attest and submit" (the confirmation page's button).
CONFIRMED = {"confirmed": "1"}


def url(name: str, response: Response, *args: Any) -> str:
    return reverse(name, args=[response.uuid, *args])


class ContractorTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign(handling_banner="CUI // PROPRIETARY")
        cls.org = make_organisation(legal_name="Alpha Systems")
        cls.a1 = make_user("a1@alpha.example", cls.org, PREPARER)
        cls.a2 = make_user("a2@alpha.example", cls.org, SIGNATORY)
        cls.response = make_response(cls.campaign, cls.org)

    def setUp(self) -> None:
        self.client.force_login(self.a1)

    def page_state(self, path: str) -> dict[str, str]:
        """The hidden edit state a page hands to its form (version and loaded answers)."""
        page = self.client.get(path)
        return {
            "version": str(page.context["version"]),
            "loaded": page.context["loaded"],
        }

    def fresh(self) -> Response:
        return Response.objects.get(pk=self.response.pk)


class SectionPageTests(ContractorTestCase):
    def test_page_shows_banners_vendor_deadline_and_navigator(self) -> None:
        page = self.client.get(url("survey-section", self.response, "B"))
        self.assertContains(page, "Do not enter classified information")
        self.assertContains(page, "CUI // PROPRIETARY")
        self.assertContains(page, "relationship with Example AI")
        self.assertContains(page, " ET (")
        self.assertContains(page, 'aria-current="page"')
        self.assertContains(page, "(required)")

    def test_first_visit_records_the_opening(self) -> None:
        self.client.get(url("survey-section", self.response, "A"))
        self.assertIsNotNone(self.fresh().opened_at)

    def test_save_stores_answers_and_moves_to_in_progress(self) -> None:
        path = url("survey-section", self.response, "A")
        state = self.page_state(path)
        reply = self.client.post(
            path, {**state, "A1": "Alpha Systems LLC", "A4": "enterprise"}
        )
        self.assertRedirects(reply, path)
        response = self.fresh()
        self.assertEqual(
            response.answers, {"A1": "Alpha Systems LLC", "A4": "enterprise"}
        )
        self.assertEqual((response.status, response.version), ("in_progress", 2))
        event = AuditEvent.objects.get(action="response.saved")
        self.assertEqual(event.details["questions"], ["A1", "A4"])
        self.assertEqual(event.actor, self.a1)

    def test_add_a_row_works_without_a_script(self) -> None:
        """Issue 10 §6: the button saves the draft and the page comes back with room."""
        path = url("survey-section", self.response, "A")
        page = self.client.get(path)
        self.assertContains(page, 'data-add-row="A6"')
        data = {
            **self.page_state(path),
            "A6__0__piid": "W56HZV-24-C-0101",
            "A6__0__program": "Vehicles",
            "A6__1__piid": "N00024-23-D-0042",
            "A6__1__program": "Ships",
            "save": "A6",
        }
        self.assertRedirects(self.client.post(path, data), path)
        self.assertEqual(len(self.fresh().answers["A6"]), 2)
        page = self.client.get(path)
        self.assertContains(page, 'name="A6__3__piid"')  # two saved, two spare

    def test_section_a_starts_from_the_organisations_record(self) -> None:
        """Issue 10 §6: A1-A3 prefilled, stored once the contractor saves them."""
        self.org.cage_codes = "1ABC5 2DEF6"
        self.org.save()
        path = url("survey-section", self.response, "A")
        page = self.client.get(path)
        form = page.context["form"]
        self.assertEqual(form["A1"].value(), "Alpha Systems")
        self.assertEqual(form["A2"].value(), self.org.uei)
        self.assertIn("1ABC5", form["A3"].value())
        self.assertEqual(self.fresh().answers, {})  # a suggestion, not yet an answer
        self.client.post(
            path,
            {
                **self.page_state(path),
                "A1": form["A1"].value(),
                "A2": form["A2"].value(),
                "A3": form["A3"].value(),
            },
        )
        self.assertEqual(self.fresh().answers["A1"], "Alpha Systems")
        self.assertEqual(self.fresh().answers["A3"], ["1ABC5", "2DEF6"])
        # An answer given wins over the record.
        self.org.legal_name = "Renamed"
        self.org.save()
        self.assertEqual(
            self.client.get(path).context["form"]["A1"].value(), "Alpha Systems"
        )

    def test_the_campaigns_instructions_show_on_home_and_section_a(self) -> None:
        self.campaign.instructions = "Answer for every CAGE code in scope."
        self.campaign.save()
        self.assertContains(
            self.client.get(reverse("survey-home")), "every CAGE code in scope"
        )
        self.assertContains(
            self.client.get(url("survey-section", self.response, "A")),
            "every CAGE code in scope",
        )
        self.assertNotContains(
            self.client.get(url("survey-section", self.response, "B")),
            "every CAGE code in scope",
        )

    def test_a_save_says_when_required_answers_are_still_missing(self) -> None:
        """Issue 10 §2: saved, in a warning, naming and linking the first gap."""
        path = url("survey-section", self.response, "A")
        reply = self.client.post(
            path, {**self.page_state(path), "A1": "Alpha Systems LLC"}, follow=True
        )
        self.assertEqual(self.fresh().answers, {"A1": "Alpha Systems LLC"})
        message = next(iter(reply.context["messages"]))
        self.assertEqual(message.level_tag, "warning")
        self.assertIn(
            "required answers in this section are still missing", str(message)
        )
        self.assertContains(reply, f'href="{path}#id_A2"')
        self.assertContains(reply, 'class="alert alert-warning"')
        # Saved times name the campaign's zone and UTC (issue 10 §7).
        self.assertRegex(
            str(message), r"Saved at \d\d:\d\d:\d\d ET \(\d\d:\d\d:\d\d UTC\)"
        )

    def test_a_complete_section_saves_in_green(self) -> None:
        self.response.answers = complete_org_answers()
        self.response.save()
        path = url("survey-section", self.response, "A")
        section_a = section_a_post()
        reply = self.client.post(
            path, {**self.page_state(path), **section_a}, follow=True
        )
        message = next(iter(reply.context["messages"]))
        self.assertEqual(message.level_tag, "success", str(message))

    def test_bad_input_keeps_what_was_typed_and_saves_the_rest(self) -> None:
        path = url("survey-section", self.response, "A")
        reply = self.client.post(
            path, {**self.page_state(path), "A1": "Alpha", "A2": "0NOTAUEI"}
        )
        self.assertEqual(reply.status_code, 200)
        self.assertContains(reply, 'id="error-summary"')
        self.assertContains(reply, 'href="#id_A2"')
        self.assertContains(reply, 'value="0NOTAUEI"')
        self.assertContains(reply, 'aria-invalid="true"')
        self.assertEqual(self.fresh().answers, {"A1": "Alpha"})

    def test_save_and_continue_goes_to_the_next_section_shown(self) -> None:
        self.response.answers = {
            "B1": "no",
            "B2": "no",
            "B3": "no",
            "B4": "no",
            "B5": "no",
        }
        self.response.save()
        path = url("survey-section", self.response, "B")
        reply = self.client.post(
            path, {**self.page_state(path), "B1": "no", "continue": ""}
        )
        # C, D and E do not apply when every screening answer is No.
        self.assertRedirects(reply, url("survey-section", self.response, "F"))

    def test_a_page_that_does_not_exist_is_404(self) -> None:
        self.assertEqual(
            self.client.get(url("survey-section", self.response, "Z")).status_code, 404
        )

    def test_reviewer_comments_show_beside_their_question(self) -> None:
        from survey.models import ReviewComment

        reviewer = make_user("reviewer@office.example", is_staff=True)
        ReviewComment.objects.create(
            response=self.response,
            question_id="A2",
            text="The UEI does not match SAM.gov",
            author=reviewer,
        )
        page = self.client.get(
            url("survey-section", self.response, "A")
        ).content.decode()
        note = page.index("The UEI does not match SAM.gov")
        self.assertLess(page.index('id="q-A2"'), note)
        self.assertLess(note, page.index('id="q-A3"'))


class AutosaveTests(ContractorTestCase):
    def test_autosave_saves_and_returns_the_new_state(self) -> None:
        path = url("survey-section", self.response, "A")
        reply = self.client.post(
            url("survey-autosave", self.response, "A"),
            {**self.page_state(path), "A1": "Alpha"},
        )
        data = reply.json()
        self.assertEqual((data["status"], data["version"]), ("saved", 2))
        self.assertEqual(data["loaded"]["A1"], "Alpha")
        self.assertRegex(data["saved_at"], r" ET \(\d\d:\d\d:\d\d UTC\)$")
        self.assertEqual(self.fresh().answers, {"A1": "Alpha"})

    def test_autosave_reports_field_errors_and_saves_the_rest(self) -> None:
        path = url("survey-section", self.response, "A")
        reply = self.client.post(
            url("survey-autosave", self.response, "A"),
            {**self.page_state(path), "A1": "Alpha", "A2": "bad"},
        )
        data = reply.json()
        self.assertEqual(data["status"], "invalid")
        self.assertIn("A2", data["errors"])
        self.assertEqual(self.fresh().answers, {"A1": "Alpha"})

    def test_an_expired_session_gets_401_json_and_changes_nothing(self) -> None:
        self.client.logout()
        reply = self.client.post(
            url("survey-autosave", self.response, "A"), {"A1": "X"}
        )
        self.assertEqual(reply.status_code, 401)
        self.assertEqual(reply.json()["status"], "login")
        self.assertEqual(self.fresh().answers, {})


class ConflictTests(ContractorTestCase):
    """DL-5: two users of one organisation edit the same draft."""

    def test_stale_save_of_the_same_question_is_a_conflict_with_both_values(
        self,
    ) -> None:
        path = url("survey-section", self.response, "A")
        state_a1 = self.page_state(path)
        self.client.force_login(self.a2)
        state_a2 = self.page_state(path)
        self.client.force_login(self.a1)
        self.client.post(path, {**state_a1, "A1": "Value of a1"})
        self.client.force_login(self.a2)
        reply = self.client.post(path, {**state_a2, "A1": "Value of a2"})
        self.assertEqual(reply.status_code, 200)
        self.assertContains(reply, "a1@alpha.example saved “Value of a1”")
        self.assertContains(reply, "yours is “Value of a2”")
        self.assertContains(reply, 'value="Value of a2"')
        self.assertEqual(self.fresh().answers["A1"], "Value of a1")
        # Saving again from that page repeats the conflict until a2 chooses to overwrite.
        again = {
            "version": str(reply.context["version"]),
            "loaded": reply.context["loaded"],
        }
        reply = self.client.post(path, {**again, "A1": "Value of a2"})
        self.assertContains(reply, "a1@alpha.example saved “Value of a1”")
        self.assertContains(reply, 'name="overwrite" value="A1"')
        self.assertEqual(self.fresh().answers["A1"], "Value of a1")
        again = {
            "version": str(reply.context["version"]),
            "loaded": reply.context["loaded"],
        }
        self.client.post(path, {**again, "A1": "Value of a2", "overwrite": "A1"})
        self.assertEqual(self.fresh().answers["A1"], "Value of a2")

    def test_edits_to_different_questions_merge(self) -> None:
        path = url("survey-section", self.response, "A")
        state_a1 = self.page_state(path)
        self.client.force_login(self.a2)
        state_a2 = self.page_state(path)
        self.client.force_login(self.a1)
        self.client.post(path, {**state_a1, "A1": "Alpha"})
        self.client.force_login(self.a2)
        reply = self.client.post(path, {**state_a2, "A4": "enterprise"})
        self.assertRedirects(reply, path)
        self.assertEqual(self.fresh().answers, {"A1": "Alpha", "A4": "enterprise"})

    def test_autosave_reports_the_conflict(self) -> None:
        path = url("survey-section", self.response, "A")
        state = self.page_state(path)
        self.client.post(path, {**state, "A1": "First"})
        reply = self.client.post(
            url("survey-autosave", self.response, "A"), {**state, "A1": "Second"}
        )
        data = reply.json()
        self.assertEqual(data["status"], "conflict")
        self.assertEqual(data["conflicts"][0]["theirs"], "First")
        self.assertEqual(data["conflicts"][0]["yours"], "Second")
        self.assertEqual(self.fresh().answers["A1"], "First")
        # The next autosave, with the state handed back, still does not overwrite.
        state = {"version": data["version"], "loaded": json.dumps(data["loaded"])}
        again = self.client.post(
            url("survey-autosave", self.response, "A"),
            {**state, "A1": "Second", "A4": "enterprise"},
        )
        self.assertEqual(again.json()["status"], "conflict")
        self.assertEqual(self.fresh().answers, {"A1": "First", "A4": "enterprise"})


class UseRegisterTests(ContractorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.response.answers = complete_org_answers()
        self.response.save()

    def test_add_edit_and_remove_a_use(self) -> None:
        reply = self.client.post(url("survey-uses", self.response))
        use = Use.objects.get(response=self.response)
        self.assertRedirects(reply, url("survey-use", self.response, use.uuid))
        path = url("survey-use", self.response, use.uuid)
        state = self.page_state(path)
        data = {
            **state,
            "D1": "Drafting",
            "D2": "direct",
            "D3": "ignored: hidden",
            "D13": "level_2",
            "D14": "120",
            "D16": "highly_complex",
            "D16a": ["reaccreditation"],
            "D17": "yes_identified",
            "D17a": "Other model",
            "D8": "secret",
            "D12": "material",
        }
        self.assertRedirects(self.client.post(path, data), path)
        use.refresh_from_db()
        self.assertEqual(use.answers["D1"], "Drafting")
        self.assertNotIn("D3", use.answers)
        self.assertEqual((use.channel, use.supply_tier, use.days), ("direct", "1", 120))
        self.assertEqual((use.dri, use.band), (46.9, "high"))
        self.assertEqual(self.fresh().cdi, 46.9)
        listing = self.client.get(url("survey-uses", self.response))
        self.assertContains(listing, "Drafting")
        self.assertContains(
            self.client.get(url("survey-use-delete", self.response, use.uuid)),
            "Remove this use?",
        )
        reply = self.client.post(url("survey-use-delete", self.response, use.uuid))
        self.assertRedirects(reply, url("survey-uses", self.response))
        self.assertFalse(Use.objects.filter(pk=use.pk).exists())
        self.assertEqual(self.fresh().cdi, 0.0)

    def test_an_empty_use_goes_on_the_way_back_a_started_one_stays(self) -> None:
        """Issue 10 §3: "Add a use" then "Back" leaves no phantom Critical use."""
        self.client.post(url("survey-uses", self.response))
        empty = Use.objects.get(response=self.response)
        page = self.client.get(url("survey-use", self.response, empty.uuid))
        self.assertContains(page, f'name="discard" value="{empty.uuid}"')
        reply = self.client.post(
            url("survey-uses", self.response), {"discard": str(empty.uuid)}
        )
        self.assertRedirects(reply, url("survey-uses", self.response))
        self.assertFalse(Use.objects.filter(response=self.response).exists())
        self.client.post(url("survey-uses", self.response))
        started = Use.objects.get(response=self.response)
        started.answers = {"D1": "Drafting"}
        started.save()
        self.client.post(
            url("survey-uses", self.response), {"discard": str(started.uuid)}
        )
        self.assertTrue(Use.objects.filter(pk=started.pk).exists())
        listing = self.client.get(url("survey-uses", self.response))
        self.assertContains(listing, "incomplete: scored as the worst case")
        # Garbage in the field changes nothing and is no error.
        reply = self.client.post(url("survey-uses", self.response), {"discard": "nope"})
        self.assertEqual(reply.status_code, 302)
        self.assertEqual(Use.objects.filter(response=self.response).count(), 1)

    def test_unknown_wins_over_the_number_box(self) -> None:
        """Issue 10 §5: ticked "unknown" clears the number, even a bad one."""
        use = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers(D14=45)
        )
        path = url("survey-use", self.response, use.uuid)
        form = {
            **self.page_state(path),
            **{k: v for k, v in complete_use_answers().items() if k != "D14"},
            "D14": "not a number",
            "D14__unknown": "on",
        }
        reply = self.client.post(path, form)
        self.assertRedirects(reply, path)
        use.refresh_from_db()
        self.assertEqual(use.answers["D14"], "unknown")
        page = self.client.get(path).content.decode()
        box = re.search(r'<input[^>]*id="id_D14"[^>]*>', page).group(0)
        self.assertIn("readonly", box)
        self.assertNotIn('value="', box)

    def test_use_programs_come_from_a6(self) -> None:
        use = Use.objects.create(response=self.response)
        page = self.client.get(url("survey-use", self.response, use.uuid))
        self.assertContains(page, 'value="W56HZV-24-C-0101"')
        self.assertContains(page, "W56HZV-24-C-0101 – Vehicles")

    def test_a_use_of_another_response_is_404(self) -> None:
        other = make_response(campaign=self.campaign)
        use = Use.objects.create(response=other)
        self.assertEqual(
            self.client.get(url("survey-use", self.response, use.uuid)).status_code, 404
        )


class ReviewAndSubmitTests(ContractorTestCase):
    def complete(self) -> None:
        self.response.answers = complete_org_answers()
        self.response.save()
        use = Use(response=self.response, position=1, answers=complete_use_answers())
        use.refresh_derived(self.campaign.questionnaire.parsed, self.response.answers)
        use.save()

    def test_review_lists_missing_answers_with_links(self) -> None:
        page = self.client.get(url("survey-review", self.response))
        self.assertContains(page, "required answers are missing")
        self.assertContains(page, url("survey-section", self.response, "A") + "#q-A1")
        self.assertNotContains(page, "Attest and submit")

    def test_review_shows_answers_scores_and_warnings(self) -> None:
        self.complete()
        self.client.force_login(self.a2)
        page = self.client.get(url("survey-review", self.response))
        self.assertNotContains(page, "required answers are missing")
        self.assertContains(page, "Contractor Inc.")
        self.assertContains(page, "Band: <strong>Medium</strong> (DRI 12.5)")
        self.assertContains(page, "Tier: <strong>Medium</strong>")
        self.assertContains(page, "Attest and submit")
        self.assertContains(page, "to the best of my knowledge")

    def test_only_the_signatory_submits(self) -> None:
        self.complete()
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertEqual(reply.status_code, 403)
        self.assertContains(reply, "authorised signatory", status_code=403)
        self.assertFalse(Submission.objects.exists())

    def test_section_f_shows_the_attestation_and_only_the_signatory_gives_it(
        self,
    ) -> None:
        """Issue 10 §10: the text F3 refers to is on its page; F3 is the signatory's."""
        self.complete()
        path = url("survey-section", self.response, "F")
        page = self.client.get(path)
        self.assertContains(page, self.fresh().attestation_text()[:60])
        field = page.context["form"].fields["F3"]
        self.assertTrue(field.disabled)
        self.assertIn("a2@alpha.example", field.help_text)
        before = self.fresh().answers["F3"]
        self.client.post(
            path, {**self.page_state(path), "F3": "no", "F2": "Alex Roe, VP"}
        )
        self.assertEqual(self.fresh().answers["F3"], before)
        self.client.force_login(self.a2)
        page = self.client.get(path)
        self.assertFalse(page.context["form"].fields["F3"].disabled)

    def test_attest_and_submit_asks_for_a_confirmation_first(self) -> None:
        """Issue 10 §10: WCAG 3.3.4, a legal commitment confirmed in a second step."""
        self.complete()
        self.client.force_login(self.a2)
        first = self.client.post(url("survey-submit", self.response))
        self.assertEqual(first.status_code, 200)
        self.assertContains(first, "Alpha Systems")
        self.assertContains(first, self.campaign.title)
        self.assertContains(first, 'name="confirmed" value="1"')
        self.assertFalse(Submission.objects.exists())
        self.assertEqual(self.fresh().status, "invited")
        second = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(second, url("survey-receipt", self.response))
        self.assertEqual(Submission.objects.count(), 1)

    def test_submission_with_missing_answers_is_refused(self) -> None:
        self.client.force_login(self.a2)
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(reply, url("survey-review", self.response))
        self.assertEqual(self.fresh().status, "invited")

    def test_submit_records_and_locks_and_gives_a_receipt(self) -> None:
        self.complete()
        self.client.force_login(self.a2)
        reply = self.client.post(
            url("survey-submit", self.response), CONFIRMED, REMOTE_ADDR="203.0.113.9"
        )
        self.assertRedirects(reply, url("survey-receipt", self.response))
        response = self.fresh()
        submission = Submission.objects.get()
        self.assertEqual(
            (response.status, response.submitted_by), ("submitted", self.a2)
        )
        self.assertEqual(response.submitted_ip, "203.0.113.9")
        self.assertEqual(submission.sha256, response.answers_sha256)
        self.assertEqual(len(submission.sha256), 64)
        receipt = self.client.get(url("survey-receipt", self.response))
        self.assertContains(receipt, submission.sha256)
        self.assertContains(receipt, " UTC")
        self.assertContains(receipt, " ET (")
        # Issue 10 §7: the attestation ("as of the date below") comes before the dates,
        # and nothing counts down any more.
        page = receipt.content.decode()
        self.assertLess(
            page.index(submission.attestation[:40]), page.index(submission.sha256)
        )
        self.assertNotContains(receipt, "data-countdown")
        self.assertNotContains(
            self.client.get(reverse("survey-home")), "data-countdown"
        )
        # The response is now read-only.
        path = url("survey-section", self.response, "A")
        reply = self.client.post(path, {"A1": "Changed"})
        self.assertEqual(reply.status_code, 403)
        self.assertEqual(self.fresh().answers["A1"], "Contractor Inc.")

    def test_double_submit_gives_one_submission_and_no_error(self) -> None:
        self.complete()
        self.client.force_login(self.a2)
        for _ in range(5):
            reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
            self.assertRedirects(reply, url("survey-receipt", self.response))
        self.assertEqual(Submission.objects.count(), 1)
        self.assertEqual(
            AuditEvent.objects.filter(action="response.submitted").count(), 1
        )


class ExportTests(ContractorTestCase):
    def test_contractor_downloads_their_answers(self) -> None:
        self.response.answers = complete_org_answers(A1='=HYPERLINK("http://x","y")')
        self.response.save()
        Use.objects.create(
            response=self.response,
            position=1,
            answers=complete_use_answers(D1="@SUM(1)", D14=45),
        )
        reply = self.client.get(url("survey-export", self.response))
        self.assertEqual(
            reply["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertIn("attachment;", reply["Content-Disposition"])
        self.assertIn("no-store", reply["Cache-Control"])
        book = load_workbook(BytesIO(b"".join(reply.streaming_content)))
        answers = {
            row[1]: row[3] for row in book["Answers"].iter_rows(values_only=True)
        }
        self.assertEqual(answers["A1"], '=HYPERLINK("http://x","y")')
        cell = next(c for c in book["Answers"]["D"] if c.value == answers["A1"])
        self.assertEqual(cell.data_type, "s")
        uses = list(book["Uses"].iter_rows(values_only=True))
        self.assertEqual(uses[1][1], "@SUM(1)")
        header = uses[0]
        self.assertEqual(
            uses[1][header.index(next(h for h in header if h.startswith("D14: ")))], 45
        )


class QueryCountTests(ContractorTestCase):
    """Page queries do not grow with the number of uses."""

    def count(self, path: str) -> int:
        self.client.get(path)
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(path).status_code, 200)
        return len(queries)

    def test_pages_with_1_and_25_uses(self) -> None:
        self.response.answers = complete_org_answers()
        self.response.save()
        first = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )
        paths = [
            url("survey-section", self.response, "A"),
            url("survey-uses", self.response),
            url("survey-use", self.response, first.uuid),
            url("survey-review", self.response),
            reverse("survey-home"),
        ]
        with_one = [self.count(p) for p in paths]
        Use.objects.bulk_create(
            Use(response=self.response, position=n, answers=complete_use_answers())
            for n in range(2, 26)
        )
        with_many = [self.count(p) for p in paths]
        self.assertEqual(with_many, with_one)


class SessionAndCsrfTests(ContractorTestCase):
    def test_an_expired_session_leads_back_to_the_same_page_with_the_draft(
        self,
    ) -> None:
        self.response.answers = {"A1": "Saved earlier"}
        self.response.save()
        path = url("survey-section", self.response, "A")
        self.client.session.flush()
        self.client.cookies.clear()
        reply = self.client.post(path, {"A1": "Typed after expiry"})
        login = f"{reverse('login')}?next={path}"
        self.assertRedirects(reply, login)
        self.assertEqual(self.fresh().answers, {"A1": "Saved earlier"})
        reply = self.client.post(
            login, {"username": "a1@alpha.example", "password": "correct horse battery"}
        )
        self.assertRedirects(reply, path)
        self.assertContains(self.client.get(path), 'value="Saved earlier"')

    def test_a_stale_csrf_token_gets_a_reload_page_not_an_error(self) -> None:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.a1)
        path = url("survey-section", self.response, "A")
        reply = client.post(path, {"A1": "X", "csrfmiddlewaretoken": "stale"})
        self.assertEqual(reply.status_code, 403)
        self.assertContains(reply, "This page is out of date", status_code=403)
        self.assertContains(reply, f'href="{path}"', status_code=403)
        self.assertEqual(self.fresh().answers, {})


class HomePageTests(ContractorTestCase):
    def test_home_shows_progress_deadline_and_countdown(self) -> None:
        deadline = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
        campaign = make_campaign(
            deadline=deadline, opens_at=deadline - timedelta(days=30)
        )
        make_response(campaign, self.org, answers={"A1": "Alpha"})
        page = self.client.get(reverse("survey-home"))
        self.assertContains(page, "Fri 4 Dec 2026, 17:00 ET (22:00 UTC)")
        self.assertContains(page, "data-countdown=")
        self.assertContains(page, "<progress")
        self.assertContains(page, "Do not enter classified information", count=1)
        self.assertContains(page, "CUI // PROPRIETARY", count=1)


class InvitationTests(TestCase):
    def test_a_new_user_follows_an_invitation_once(self) -> None:
        from survey.models import Invitation, User

        org = make_organisation()
        make_response(organisation=org)
        _invitation, token = Invitation.issue(
            org, "New.Person@Example.com", "signatory"
        )
        path = reverse("survey-accept-invitation", args=[token])
        self.assertContains(self.client.get(path), "new.person@example.com")
        reply = self.client.post(
            path,
            {
                "full_name": "New Person",
                "new_password1": "a long passphrase 42",
                "new_password2": "a long passphrase 42",
            },
        )
        self.assertRedirects(reply, reverse("survey-home"))
        user = User.objects.get(email="new.person@example.com")
        self.assertEqual(user.memberships.get().role, "signatory")
        self.assertContains(self.client.get(reverse("survey-home")), org.legal_name)
        self.client.logout()
        self.assertEqual(self.client.get(path).status_code, 404)

    def test_weak_passwords_and_expired_links_are_refused(self) -> None:
        from survey.models import Invitation

        org = make_organisation()
        invitation, token = Invitation.issue(org, "x@example.com", "preparer")
        path = reverse("survey-accept-invitation", args=[token])
        reply = self.client.post(
            path, {"full_name": "X", "new_password1": "short", "new_password2": "short"}
        )
        self.assertEqual(reply.status_code, 200)
        self.assertContains(reply, "too short")
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=datetime(2020, 1, 1, tzinfo=UTC)
        )
        self.assertEqual(self.client.get(path).status_code, 404)

    def test_password_policy_has_length_and_no_composition_rules(self) -> None:
        """AC-6: common and short passwords are refused; 64 characters and emoji pass."""
        from survey.models import Invitation

        org = make_organisation()
        cases = [
            ("password123", False),
            ("Abc!234", False),
            ("a" * 30 + "Q" * 34, True),
            ("deadline rush \U0001f680 ok", True),
        ]
        for number, (password, accepted) in enumerate(cases):
            with self.subTest(password=password):
                invitation, token = Invitation.issue(
                    org, f"p{number}@example.com", "preparer"
                )
                reply = Client().post(
                    reverse("survey-accept-invitation", args=[token]),
                    {
                        "full_name": "P",
                        "new_password1": password,
                        "new_password2": password,
                    },
                )
                self.assertEqual(reply.status_code, 302 if accepted else 200)
                self.assertEqual(
                    User.objects.filter(email=f"p{number}@example.com").exists(),
                    accepted,
                )

    def test_password_reset_sends_an_email(self) -> None:
        from django.core import mail

        make_user("pat@example.com")
        reply = self.client.post(
            reverse("password_reset"), {"email": "pat@example.com"}
        )
        self.assertRedirects(reply, reverse("password_reset_done"))
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("/accounts/reset/", mail.outbox[0].body)


class RaceAndRobustnessTests(ContractorTestCase):
    """Checks made under the row lock, odd input, and campaign-level requirements."""

    def complete(self) -> Use:
        self.response.answers = complete_org_answers()
        self.response.save()
        return Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )

    def test_submit_rechecks_completeness_under_the_lock(self) -> None:
        from django.utils import timezone

        from survey.models import Incomplete

        self.complete()
        self.response.answers.pop("F3")
        self.response.save()
        with self.assertRaises(Incomplete):
            self.response.submit(self.a2, None, timezone.now())
        self.assertEqual(self.fresh().status, "invited")
        self.assertFalse(Submission.objects.exists())

    def test_a_signed_attestation_is_required_when_the_campaign_says_so(self) -> None:
        self.complete()
        self.campaign.require_signed_attestation = True
        self.campaign.save()
        self.client.force_login(self.a2)
        page = self.client.get(url("survey-review", self.response))
        self.assertContains(page, "#q-F4")
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(reply, url("survey-review", self.response))
        self.assertFalse(Submission.objects.exists())

    def test_no_use_can_be_added_to_a_submitted_response(self) -> None:
        from django.utils import timezone

        from survey.models import Refused

        self.complete()
        self.response.submit(self.a2, None, timezone.now())
        with self.assertRaises(Refused):
            self.response.add_use(self.a1, None, timezone.now())
        self.assertEqual(self.response.uses.count(), 1)

    def test_saving_a_use_removed_meanwhile_is_404(self) -> None:
        use = self.complete()
        path = url("survey-use-autosave", self.response, use.uuid)
        Use.objects.filter(pk=use.pk).delete()
        self.assertEqual(self.client.post(path, {"D1": "x"}).status_code, 404)

    def test_odd_edit_state_and_row_keys_are_not_errors(self) -> None:
        path = url("survey-section", self.response, "A")
        for data in [
            {"A6__²__piid": "x", "A1": "Alpha"},
            {"loaded": "[" * 100_000, "A1": "Alpha"},
            {"loaded": "x" * 2_000_000, "A1": "Alpha"},
            {"version": ["1", "2"], "A1": ["a", "b"]},
        ]:
            with self.subTest(keys=list(data)):
                self.assertIn(self.client.post(path, data).status_code, (200, 302))

    def test_cage_codes_are_checked_one_by_one(self) -> None:
        path = url("survey-section", self.response, "A")
        reply = self.client.post(path, {"A3": "1ABC5, NOT-A-CAGE, ZZ"})
        self.assertContains(reply, "NOT-A-CAGE, ZZ")
        self.assertNotIn("A3", self.fresh().answers)

    def test_error_summary_links_to_the_first_radio(self) -> None:
        path = url("survey-section", self.response, "A")
        reply = self.client.post(path, {"A4": "not-an-option"})
        self.assertContains(reply, 'href="#id_A4_0"')
        self.assertContains(reply, 'id="id_A4_0"')

    def test_the_organisation_autosave_refuses_the_use_section(self) -> None:
        reply = self.client.post(
            url("survey-autosave", self.response, "D"), {"D1": "x"}
        )
        self.assertEqual(reply.status_code, 404)

    def test_denied_access_is_recorded(self) -> None:
        other = make_response(campaign=self.campaign)
        self.client.get(url("survey-review", other))
        event = AuditEvent.objects.get(action="access.denied")
        self.assertEqual((event.actor, event.details["method"]), (self.a1, "GET"))
        self.assertEqual(event.details["path"], url("survey-review", other))


class GivenBackAfterDeadlineTests(ContractorTestCase):
    """A response returned for clarification after the deadline can still be answered."""

    def test_returned_response_is_open_until_resubmitted(self) -> None:
        import time_machine
        from django.utils import timezone

        from survey.models import ReviewComment
        from tests.review_helpers import make_reviewer

        self.response.answers = complete_org_answers()
        self.response.save()
        use = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )
        self.response.submit(self.a2, None, timezone.now())
        reviewer = make_reviewer(self.campaign)
        after = self.campaign.deadline + timedelta(days=2)
        with time_machine.travel(after, tick=False):
            self.response.refresh_from_db()
            self.response.start_review(reviewer)
            self.response.return_for_clarification(
                reviewer, [("D1", use, "Name the platform")]
            )
            self.client.force_login(self.a1)
            path = url("survey-use", self.response, use.uuid)
            page = self.client.get(path)
            self.assertContains(page, "Name the platform")
            state = {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
            }
            reply = self.client.post(
                path, {**state, **complete_use_answers(D1="Drafting on Amazon Bedrock")}
            )
            self.assertEqual(reply.status_code, 302)
            self.client.force_login(self.a2)
            reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
            self.assertRedirects(reply, url("survey-receipt", self.response))
            # Submitted again: the gate closes once more.
            self.client.force_login(self.a1)
            self.assertEqual(self.client.post(path, {"D1": "Late"}).status_code, 403)
        self.assertEqual(self.response.submissions.count(), 2)
        comment = ReviewComment.objects.get()
        self.assertEqual(comment.state, "answered")
        # Accepted: the review is closed, and so is the comment (issue 10 §1).
        self.response.refresh_from_db()
        self.response.start_review(reviewer)
        self.response.accept(reviewer)
        comment.refresh_from_db()
        self.assertEqual(comment.state, "resolved")
        # The finding survives even if the use it was about is removed later.
        Use.objects.filter(pk=use.pk).delete()
        self.assertEqual(ReviewComment.objects.get().text, "Name the platform")


class ReturnedForClarificationTests(ContractorTestCase):
    """Issue 10 §1: a returned response says so everywhere, with links to each comment."""

    def setUp(self) -> None:
        from django.utils import timezone

        from survey.models import ReviewComment  # noqa: F401
        from tests.review_helpers import make_reviewer

        super().setUp()
        self.response.answers = complete_org_answers()
        self.response.save()
        self.use = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )
        self.response.submit(self.a2, None, timezone.now())
        reviewer = make_reviewer(self.campaign)
        self.response.refresh_from_db()
        self.response.start_review(reviewer)
        self.response.return_for_clarification(
            reviewer,
            [("A4", None, "Say which units are in scope"), ("D1", self.use, "Name it")],
        )

    def test_banner_links_and_sidebar_markers(self) -> None:
        home = self.client.get(reverse("survey-home"))
        self.assertContains(home, "2 reviewer comments to answer")
        for section in ("A", "B", "E"):
            page = self.client.get(url("survey-section", self.response, section))
            self.assertContains(page, "Returned for clarification: 2 comments")
            self.assertContains(
                page, url("survey-section", self.response, "A") + "#q-A4"
            )
            self.assertContains(
                page, url("survey-use", self.response, self.use.uuid) + "#q-D1"
            )
        nav = self.client.get(url("survey-section", self.response, "B")).context["nav"]
        self.assertEqual(
            {i["id"]: i["comments"] for i in nav if i["comments"]}, {"A": 1, "D": 1}
        )
        review = self.client.get(url("survey-review", self.response))
        self.assertContains(review, "Say which units are in scope")

    def test_changing_the_answer_answers_the_comment(self) -> None:
        from survey.models import ReviewComment

        path = url("survey-section", self.response, "A")
        page = self.client.get(path)
        form = page.context["form"]
        data = {**self.page_state(path)}
        for name in ("A1", "A2", "A3", "A7"):
            data[name] = form[name].value()
        data.update({"A4": "business_units", "A4a": "Aerospace only", "A5": ["prime"]})
        self.client.post(path, data)
        states = dict(ReviewComment.objects.values_list("question_id", "answered_at"))
        self.assertIsNotNone(states["A4"])
        self.assertIsNone(states["D1"])  # not touched yet
        self.assertContains(self.client.get(path), "answered")


class HiddenAnswersTests(ContractorTestCase):
    """Answers hidden by show-if stay in the draft, count nowhere, and come back."""

    B_KEYS = ("B1", "B2", "B3", "B4", "B5", "B6")

    def setUp(self) -> None:
        super().setUp()
        self.answers = complete_org_answers(
            B1="yes", C1=["enterprise_seats"], C2="2500.00"
        )
        Response.objects.filter(pk=self.response.pk).update(answers=self.answers)

    def autosave_b(self, **changes: str) -> dict[str, Any]:
        state = self.page_state(url("survey-section", self.response, "B"))
        data = {**state, **{k: self.answers[k] for k in self.B_KEYS}, **changes}
        return self.client.post(url("survey-autosave", self.response, "B"), data).json()

    def test_toggling_a_screening_answer_and_back_restores_the_dependent_answers(
        self,
    ) -> None:
        self.assertEqual(self.autosave_b(B1="no")["status"], "saved")
        response = self.fresh()
        questionnaire = response.campaign.questionnaire.parsed
        self.assertEqual(
            (response.answers["C1"], response.answers["C2"]),
            (["enterprise_seats"], "2500.00"),
        )
        self.assertNotIn("C1", questionnaire.visible_answers(response.answers))
        page = self.client.get(url("survey-review", self.response))
        self.assertNotContains(page, "C2.")
        self.assertEqual(self.autosave_b(B1="yes")["status"], "saved")
        response = self.fresh()
        self.assertEqual(
            questionnaire.visible_answers(response.answers)["C2"], "2500.00"
        )
        self.assertEqual(response.answers, self.answers)

    def test_a_question_hidden_on_its_own_page_keeps_its_answer(self) -> None:
        path = url("survey-section", self.response, "A")
        state = self.page_state(path)
        reply = self.client.post(
            path, {**state, "A4": "cage_codes", "A4a": "Parent Holdings"}
        )
        self.assertEqual(reply.status_code, 302)
        # The browser disables a hidden input; a stale page may still send it empty.
        for hidden in [{}, {"A4a": ""}]:
            state = self.page_state(path)
            self.client.post(path, {**state, "A4": "enterprise", **hidden})
            self.assertEqual(self.fresh().answers["A4a"], "Parent Holdings")
        state = self.page_state(path)
        self.client.post(path, {**state, "A4": "cage_codes", "A4a": "Parent Holdings"})
        response = self.fresh()
        self.assertEqual(response.answers["A4"], "cage_codes")
        self.assertEqual(response.answers["A4a"], "Parent Holdings")

    def test_a_hidden_use_answer_is_kept_but_fills_no_column(self) -> None:
        use = Use.objects.create(response=self.response, answers=complete_use_answers())
        path = url("survey-use", self.response, use.uuid)
        self.client.post(path, {**self.page_state(path), "D2": "direct"})
        use.refresh_from_db()
        self.assertEqual(use.answers["D3"], "Amazon Bedrock")
        self.assertEqual(
            (use.channel, use.supply_tier, use.intermediary), ("direct", "1", "")
        )
        self.client.post(path, {**self.page_state(path), "D2": "cloud_platform"})
        use.refresh_from_db()
        self.assertEqual(use.intermediary, "Amazon Bedrock")

    def test_hidden_answers_are_dropped_at_submission(self) -> None:
        use = Use.objects.create(
            response=self.response, answers=complete_use_answers(D2="direct")
        )
        self.autosave_b(B1="no")
        self.client.force_login(self.a2)
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(reply, url("survey-receipt", self.response))
        submission = Submission.objects.get(response=self.response)
        self.assertNotIn("C1", submission.answers)
        self.assertNotIn("D3", submission.uses[0])
        response = self.fresh()
        use.refresh_from_db()
        self.assertNotIn("C1", response.answers)
        self.assertNotIn("D3", use.answers)

    def test_text_fields_left_out_of_a_post_are_unchanged(self) -> None:
        path = url("survey-section", self.response, "A")
        for endpoint in [path, url("survey-autosave", self.response, "A")]:
            with self.subTest(endpoint=endpoint):
                self.client.post(endpoint, {**self.page_state(path), "saved": "1"})
                answers = self.fresh().answers
                for qid in ["A1", "A2", "A3", "A6"]:
                    self.assertEqual(answers.get(qid), self.answers[qid], qid)


class HiddenAnswersEdgeTests(ContractorTestCase):
    """Visibility judged on the answers as merged, and a register hidden at submission."""

    def test_a_stale_page_cannot_clear_what_another_user_hid(self) -> None:
        Response.objects.filter(pk=self.response.pk).update(
            answers={"A4": "cage_codes", "A4a": "Parent Holdings"}
        )
        path = url("survey-section", self.response, "A")
        stale = self.page_state(path)
        # Someone else answers A4 "enterprise": A4a is hidden, and kept.
        self.client.post(path, {**self.page_state(path), "A4": "enterprise"})
        # The stale page still shows A4a and sends it cleared.
        self.client.post(path, {**stale, "A4": "cage_codes", "A4a": ""})
        answers = self.fresh().answers
        self.assertEqual(answers["A4"], "enterprise")
        self.assertEqual(answers["A4a"], "Parent Holdings")

    def test_uses_of_a_hidden_register_are_not_submitted(self) -> None:
        answers = complete_org_answers(B2="no")  # every screening answer "no"
        Response.objects.filter(pk=self.response.pk).update(answers=answers)
        Use.objects.create(response=self.response, answers=complete_use_answers())
        self.client.force_login(self.a2)
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(reply, url("survey-receipt", self.response))
        submission = Submission.objects.get(response=self.response)
        self.assertEqual(submission.uses, [])
        self.assertEqual(submission.route, "no_dependence")
        self.assertFalse(Use.objects.filter(response=self.response).exists())
        self.assertFalse(Use.attested.filter(response=self.response).exists())
        page = self.client.get(url("survey-export", self.response))
        self.assertEqual(page.status_code, 200)


# A draft in which every section shows, and every dependent question posted below.
SHOWN_DRAFT = complete_org_answers(
    B1="yes",
    B6a="Invoices.",
    C1=["api_payg"],
    C2="1000.00",
    E1="documented",
    E1a="2027-06-30",
    E2="partial",
    E2a=40,
)
# Radio buttons and checkboxes: a page that does not tick one posts nothing for it.
TICKED = frozenset({"yesno", "yesno_unknown", "single", "multi"})


def as_posted(section: qn.Section, answers: dict[str, Any]) -> dict[str, Any]:
    """What a browser posts for a page showing `answers`; rows, groups and files are left
    out (a text input missing from a post leaves its answer as it is)."""
    data: dict[str, Any] = {}
    for question in section.questions:
        value = answers.get(question.id)
        if question.type in {"rows", "group", "file"}:
            continue
        if value is None:
            if question.type not in TICKED:
                data[question.id] = ""
        elif question.type == "text_list":
            data[question.id] = "\n".join(value)
        else:
            data[question.id] = value if isinstance(value, list) else str(value)
    return data


class AnswerPostTestCase(ContractorTestCase):
    """Posts to a section or use page, and its autosave, from the page's own state."""

    def setUp(self) -> None:
        super().setUp()
        Response.objects.filter(pk=self.response.pk).update(answers=SHOWN_DRAFT)
        self.use = Use.objects.create(
            response=self.response, position=1, answers=complete_use_answers()
        )
        self.questionnaire = self.campaign.questionnaire.parsed

    def section(self, where: str) -> qn.Section:
        if where == "use":
            assert self.questionnaire.use_section is not None
            return self.questionnaire.use_section
        return self.questionnaire.section(where)

    def target(self, where: str) -> Response | Use:
        return Use.objects.get(pk=self.use.pk) if where == "use" else self.fresh()

    def path(self, where: str, autosave: bool) -> str:
        if where == "use":
            name = "survey-use-autosave" if autosave else "survey-use"
            return reverse(name, args=[self.response.uuid, self.use.uuid])
        return url(
            "survey-autosave" if autosave else "survey-section", self.response, where
        )

    def send(self, where: str, changes: dict[str, Any], autosave: bool) -> Any:
        section, target = self.section(where), self.target(where)
        loaded = {q.id: target.answers.get(q.id) for q in section.questions}
        data = {
            "version": str(target.version),
            "loaded": json.dumps(loaded),
            **as_posted(section, target.answers),
            **changes,
        }
        return self.client.post(self.path(where, autosave), data)

    def errors_of(self, reply: Any, autosave: bool) -> dict[str, Any]:
        """The field errors the user is shown: the page again, or the autosave's JSON."""
        self.assertEqual(reply.status_code, 200)
        if autosave:
            self.assertEqual(reply.json()["status"], "invalid")
            return reply.json()["errors"]
        self.assertContains(reply, 'id="error-summary"')
        return {k: list(v) for k, v in reply.context["form"].errors.items()}

    def snapshot(self) -> tuple[Any, ...]:
        response, use = self.fresh(), Use.objects.get(pk=self.use.pk)
        return (response.version, response.answers, use.version, use.answers)


class AnswerLimitTests(AnswerPostTestCase):
    """IN-3: boundary values through the page form and the autosave: a field error
    (the page again, or "invalid"), never a 500, and nothing invalid stored."""

    NUMBERS = ["NaN", "Infinity", "1e309", "-1", "0x10", "１２"]
    REFUSED = [
        *[("use", "D14", value) for value in NUMBERS],  # int
        *[("E", "E2a", value) for value in [*NUMBERS, "101"]],  # percentage
        *[("C", "C2", value) for value in NUMBERS],  # currency
        *[
            ("E", "E1a", value)
            for value in ["0000-00-00", "9999-12-31", "2025-02-30", "1999-12-31"]
        ],
        ("A", "A1", "x" * 201),  # max_length 200 in the definition
        ("A", "A1", "x" * 20_000),
        ("B", "B6a", "x" * 2001),  # max_length 2000
        ("B", "B6a", "x" * 200_000),
    ]
    ACCEPTED = [
        ("A", "A1", "x" * 200, "x" * 200),
        ("B", "B6a", "y" * 2000, "y" * 2000),
        ("use", "D14", "0", 0),
        ("E", "E2a", "100", 100),
        ("C", "C2", "1000000000000", "1000000000000.00"),
        ("E", "E1a", "2099-12-31", "2099-12-31"),
    ]

    def test_boundary_values_are_field_errors_and_store_nothing(self) -> None:
        for where, qid, value in self.REFUSED:
            for autosave in (False, True):
                with self.subTest(question=qid, value=value[:12], autosave=autosave):
                    before = self.snapshot()
                    reply = self.send(where, {qid: value}, autosave)
                    self.assertIn(qid, self.errors_of(reply, autosave))
                    self.assertEqual(self.snapshot(), before)

    def test_values_at_the_limits_are_stored(self) -> None:
        for where, qid, value, stored in self.ACCEPTED:
            for autosave in (False, True):
                with self.subTest(question=qid, value=value[:12], autosave=autosave):
                    # Cleared first, so that the value posted is a change.
                    target = self.target(where)
                    type(target).objects.filter(pk=target.pk).update(
                        answers={**target.answers, qid: None}
                    )
                    reply = self.send(where, {qid: value}, autosave)
                    self.assertLess(reply.status_code, 400)
                    if autosave:
                        self.assertEqual(reply.json()["status"], "saved")
                    self.assertEqual(self.target(where).answers[qid], stored)

    def test_an_empty_required_answer_waits_for_the_submission(self) -> None:
        """A draft may be incomplete: an empty required number clears the answer, the
        page says it is missing, and the submission is refused until it is given."""
        reply = self.send("use", {"D14": ""}, autosave=False)
        self.assertEqual(reply.status_code, 302)
        self.assertNotIn("D14", self.target("use").answers)
        message = str(next(iter(self.client.get(reply.url).context["messages"])))
        self.assertIn("required answer in this section is still missing", message)
        self.assertIn("D14.", message)
        self.send("use", {"D14": "30"}, autosave=True)
        reply = self.send("use", {"D14": ""}, autosave=True)
        self.assertEqual(reply.json()["status"], "saved")
        self.assertNotIn("D14", self.target("use").answers)
        self.client.force_login(self.a2)
        reply = self.client.post(url("survey-submit", self.response), CONFIRMED)
        self.assertRedirects(reply, url("survey-review", self.response))
        self.assertFalse(Submission.objects.exists())

    def test_a_page_filled_to_every_limit_fits_the_request_limits(self) -> None:
        """The body limits (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS)
        never refuse a page whose every answer is within its own limit: section A with
        its 100 contract rows full of two-byte characters, saved twice (the second time
        with those answers in the page's edit state too)."""
        rows = {}
        for index in range(MAX_ROWS):
            rows[f"A6__{index}__piid"] = f"{index:03d}" + "é" * (TEXT_MAX - 3)
            rows[f"A6__{index}__program"] = "é" * TEXT_MAX
        changes = {"A1": "é" * 200, "A4": "business_units", "A4a": "é" * 2000, **rows}
        for attempt in range(2):
            with self.subTest(attempt=attempt):
                section, target = self.section("A"), self.target("A")
                loaded = {q.id: target.answers.get(q.id) for q in section.questions}
                data = {
                    "version": str(target.version),
                    "loaded": json.dumps(loaded),
                    **as_posted(section, target.answers),
                    **changes,
                }
                body = urlencode(data, doseq=True)
                self.assertLess(len(body), settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
                self.assertLess(
                    sum(len(v) if isinstance(v, list) else 1 for v in data.values()),
                    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                )
                reply = self.client.post(self.path("A", False), data)
                self.assertEqual(reply.status_code, 302)
                self.assertEqual(len(self.target("A").answers["A6"]), MAX_ROWS)


class TamperingTests(AnswerPostTestCase):
    """IN-4: a post the page could never send is refused whole, with a field error,
    and saves nothing; ordinary mistakes still save the rest of the page."""

    CHOICE = "Select a valid choice."
    ONE = "Choose one answer only."
    # (case, page, the tampered fields, the field in error, its message, a valid edit)
    CASES = [
        ("not a choice", "A", {"A4": "everything"}, "A4", CHOICE),
        ("another question's option", "A", {"A4": "prime"}, "A4", CHOICE),
        ("another question's options", "A", {"A5": ["enterprise"]}, "A5", CHOICE),
        ("another questionnaire's option", "use", {"D2": "cloud"}, "D2", CHOICE),
        ("several for a single choice", "A", {"A7": ["none", "secret"]}, "A7", ONE),
        ("several for yes or no", "B", {"B2": ["yes", "no"]}, "B2", ONE),
        ("unknown for yes or no", "F", {"F3": "unknown"}, "F3", CHOICE),
    ]
    EDITS = {
        "A": {"A1": "Typed before the tampering"},
        "B": {"B6a": "Typed before the tampering"},
        "F": {"F2": "Typed before the tampering"},
        "use": {"D1": "Typed before the tampering"},
    }

    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.a2)  # the signatory: the attestation is open

    def test_a_tampered_post_is_refused_whole(self) -> None:
        for case, where, tampered, field, message in self.CASES:
            for autosave in (False, True):
                with self.subTest(case, autosave=autosave):
                    before = self.snapshot()
                    changes = {**self.EDITS[where], **tampered}
                    reply = self.send(where, changes, autosave)
                    errors = self.errors_of(reply, autosave)
                    self.assertEqual(list(errors), [field])
                    self.assertIn(message, errors[field][0])
                    self.assertEqual(self.snapshot(), before)
                    if autosave:
                        # The page keeps the base it was built from.
                        version = self.target(where).version
                        self.assertEqual(reply.json()["version"], version)
                    else:
                        self.assertContains(reply, "Nothing on this page was saved.")
                        # What was typed is shown again, to be sent once corrected.
                        self.assertContains(reply, "Typed before the tampering")

    def test_ordinary_mistakes_still_save_the_rest(self) -> None:
        """Regression: input a person can get wrong is a field error, and the valid
        rest of the page is saved (nobody loses what they typed)."""
        cases = [
            ("a UEI in the wrong format", "A", {"A2": "0NOTAUEI"}, "A2"),
            ("an overlong name", "use", {"D3": "x" * 201}, "D3"),
            ("a malformed number", "use", {"D14": "NaN"}, "D14"),
            # Choices drawn from A6: a colleague may remove one while the page is open.
            ("a contract no longer in A6", "use", {"D5": ["W9-REMOVED"]}, "D5"),
        ]
        for case, where, mistake, field in cases:
            for autosave in (False, True):
                with self.subTest(case, autosave=autosave):
                    edit = {k: f"{v} {autosave}" for k, v in self.EDITS[where].items()}
                    before = self.target(where).answers.get(field)
                    reply = self.send(where, {**edit, **mistake}, autosave)
                    self.assertEqual(list(self.errors_of(reply, autosave)), [field])
                    if not autosave:
                        self.assertContains(reply, "the others were saved")
                    answers = self.target(where).answers
                    self.assertEqual(answers.get(field), before)
                    for qid, value in edit.items():
                        self.assertEqual(answers[qid], value)

    def test_an_answer_to_a_hidden_question_is_dropped_not_stored(self) -> None:
        """Without the script a page shows its conditional questions, and posts what is
        typed there: never refused, never stored while the condition is false."""
        self.assertEqual(self.fresh().answers["A4"], "enterprise")  # A4a is hidden
        for autosave in (False, True):
            with self.subTest(autosave=autosave):
                edit = {"A1": f"Saved {autosave}", "A4a": "Sneaked in"}
                reply = self.send("A", edit, autosave)
                self.assertLess(reply.status_code, 400)
                if autosave:
                    self.assertEqual(reply.json()["status"], "saved")
                answers = self.fresh().answers
                self.assertEqual(answers["A1"], f"Saved {autosave}")
                self.assertNotIn("A4a", answers)
