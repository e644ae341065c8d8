"""User journeys in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from survey.models import Invitation, Response, Submission, Use
from tests.browser_helpers import (
    accept_invitation,
    answer,
    choose,
    log_in,
    preparer_of,
    reviewer_of,
    watch_console,
)
from tests.helpers import (
    make_campaign,
    make_lite_campaign,
    make_organisation,
    make_response,
)

pytestmark = pytest.mark.django_db(transaction=True)


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def fill_use(page: Page, name: str, channel: str, days: str) -> None:
    page.get_by_role("button", name="Add a use").click()
    page.locator("#id_D1").fill(name)
    choose(page, "D2", channel)
    page.locator("#id_D3").fill("Amazon Bedrock (GovCloud)")
    choose(page, "D4", "document_analysis")
    page.locator("input[name='D5']").first.check()
    choose(page, "D6", "contract_performance")
    choose(page, "D7", "no")
    choose(page, "D8", "commercial")
    choose(page, "D9", "proprietary")
    choose(page, "D10", "pilot")
    choose(page, "D11", "human_review")
    choose(page, "D12", "low")
    choose(page, "D13", "level_3")
    page.locator("#id_D14").fill(days)
    page.locator("#id_D15__unknown").check()
    choose(page, "D16", "medium")
    choose(page, "D17", "yes_tested")
    page.locator("#id_D17a").fill("Another model family")
    choose(page, "D18", "no")
    save_and_continue(page)
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_invited_contractor_answers_resumes_and_submits(
    browser: Browser, live_server: Any
) -> None:
    base = live_server.url
    campaign = make_campaign()
    org = make_organisation(legal_name="Gamma Works")
    response = make_response(campaign, org)
    _invitation, token = Invitation.issue(org, "sam@gamma.example", "signatory")

    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    accept_invitation(page, base, token, "Sam Signer")
    page.get_by_role("link", name=campaign.title).click()

    # A: identification. A4a appears only for a partial scope.
    expect(page.locator("#q-A4a")).to_be_hidden()
    choose(page, "A4", "business_units")
    expect(page.locator("#q-A4a")).to_be_visible()
    page.locator("#id_A4a").fill("Gamma Aerospace division only")
    page.locator("#id_A1").fill("Gamma Works LLC")
    page.locator("#id_A2").fill("GMW4RKS56789")
    page.locator("#id_A3").fill("6GMW4")
    choose(page, "A5", "prime")
    page.locator("#id_A6__0__piid").fill("FA8650-25-C-1234")
    page.locator("#id_A6__0__program").fill("Sensor Fusion")
    choose(page, "A7", "none")
    save_and_continue(page)

    # B: screening, with a dependence through a cloud platform.
    for question, value in [
        ("B1", "no"),
        ("B2", "yes"),
        ("B3", "no"),
        ("B4", "no"),
        ("B5", "no"),
    ]:
        choose(page, question, value)
    choose(page, "B6", "cloud_billing")
    save_and_continue(page)

    # D: two uses (C does not apply: no direct relationship).
    expect(page.get_by_role("heading", name="D. Use register")).to_be_visible()
    fill_use(page, "Summarising test reports", "cloud_platform", "20")
    fill_use(page, "Drafting proposals", "embedded", "45")
    page.get_by_role("link", name="E. Transition readiness and flowdown").click()
    choose(page, "E1", "no")
    choose(page, "E2", "complete")
    save_and_continue(page)

    # F: contact and attestation.
    page.locator("#id_F1__name").fill("Sam Signer")
    page.locator("#id_F1__title").fill("Contracts Director")
    page.locator("#id_F1__email").fill("sam@gamma.example")
    page.locator("#id_F1__phone").fill("+1 555 0199")
    page.locator("#id_F2").fill("Sam Signer, Contracts Director")
    choose(page, "F3", "yes")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")
    assert page.evaluate("window.localStorage.length") == 0
    context.close()

    # Another browser session: everything is still there.
    context = browser.new_context()
    page = context.new_page()
    problems += watch_console(page)
    log_in(page, base, "sam@gamma.example")
    page.get_by_role("link", name=campaign.title).click()
    expect(page.locator("#id_A1")).to_have_value("Gamma Works LLC")
    expect(page.locator("#id_A4a")).to_have_value("Gamma Aerospace division only")
    page.get_by_role("link", name="Review and submit").click()
    expect(
        page.get_by_role("heading", name="Use 1: Summarising test reports")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="Use 2: Drafting proposals")
    ).to_be_visible()
    expect(page.get_by_text("required answers are missing")).to_have_count(0)
    page.get_by_role("button", name="Attest and submit").click()
    # A second step names what is attested (issue 10 §10).
    expect(page.get_by_role("alert")).to_contain_text("with 2 uses of the vendor")
    page.get_by_role("button", name="Confirm: attest and submit").click()
    expect(page.get_by_role("heading", name="Submission receipt")).to_be_visible()
    shown_hash = page.locator("[data-receipt-hash]").inner_text()
    context.close()

    response.refresh_from_db()
    submission = Submission.objects.get(response=response)
    assert response.status == Response.Status.SUBMITTED
    assert shown_hash == submission.sha256 == response.answers_sha256
    assert response.uses.count() == 2
    assert problems == []


def fill_lite_use(page: Page, name: str, channel: str, days: str) -> None:
    """One use of the second questionnaire, through its page."""
    page.get_by_role("button", name="Add a use").click()
    answer(page, "use.name").fill(name)
    choose(page, "use.channel", channel)
    intermediary = answer(page, "use.intermediary")
    if channel == "direct":
        expect(intermediary).to_be_hidden()
    else:
        intermediary.fill("Cloud model catalogue (government region)")
    choose(page, "use.relationship", "performance")
    choose(page, "use.classification", "cui")
    choose(page, "use.reliance", "some")
    choose(page, "use.criticality", "partial")
    answer(page, "use.days").fill(days)
    answer(page, "use.cost__unknown").check()
    choose(page, "use.substitutability", "moderate")
    expect(answer(page, "use.alternative_name")).to_be_hidden()
    choose(page, "use.alternative", "tested")
    answer(page, "use.alternative_name").fill("An open-weight model")
    save_and_continue(page)
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_invited_contractor_submits_the_second_questionnaire(
    browser: Browser, live_server: Any
) -> None:
    """Issue 11 §4: the same journey on a definition with other ids and sections."""
    base = live_server.url
    campaign = make_lite_campaign()
    org = make_organisation(legal_name="Kilo Systems")
    response = make_response(campaign, org)
    _invitation, token = Invitation.issue(org, "kim@kilo.example", "signatory")

    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    accept_invitation(page, base, token, "Kim Signer")
    page.get_by_role("link", name=campaign.title).click()

    # The organisation's record fills in its name; the rest is typed.
    expect(answer(page, "org.name")).to_have_value("Kilo Systems")
    answer(page, "org.uei").fill("K1L0SYS45678")
    answer(page, "org.cage").fill("8KLO2")
    choose(page, "org.classification", "none")
    save_and_continue(page)

    # Screening: the direct section shows as soon as the direct answer is Yes.
    navigator = page.get_by_role("navigation", name="Questionnaire sections")
    direct = navigator.get_by_role("link", name=re.compile("Direct purchases"))
    expect(direct).to_be_hidden()
    choose(page, "screen.direct", "yes")
    expect(direct).to_be_visible()
    for question, value in [
        ("screen.cloud", "yes"),
        ("screen.embedded", "no"),
        ("screen.supplies", "no"),
    ]:
        choose(page, question, value)
    save_and_continue(page)
    choose(page, "direct.agreement", "api")
    answer(page, "direct.spend").fill("12000")
    save_and_continue(page)

    expect(
        page.get_by_role("heading", name=re.compile("Uses of Example AI"))
    ).to_be_visible()
    fill_lite_use(page, "Test report summaries", "cloud", "20")
    fill_lite_use(page, "Proposal drafts", "direct", "45")
    navigator.get_by_role("link", name=re.compile("Transition and attestation")).click()
    expect(answer(page, "sign.date")).to_be_hidden()
    choose(page, "sign.plan", "drafting")
    answer(page, "sign.date").fill("2027-03-31")
    answer(page, "sign.contact__name").fill("Kim Signer")
    answer(page, "sign.contact__email").fill("kim@kilo.example")
    answer(page, "sign.official").fill("Kim Signer, President")
    choose(page, "sign.attest", "yes")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")

    page.get_by_role("link", name="Review and submit").click()
    expect(page.get_by_role("heading", name="Use 2: Proposal drafts")).to_be_visible()
    expect(page.get_by_text("required answers are missing")).to_have_count(0)
    page.get_by_role("button", name="Attest and submit").click()
    expect(page.get_by_role("alert")).to_contain_text("with 2 uses of the vendor")
    page.get_by_role("button", name="Confirm: attest and submit").click()
    expect(page.get_by_role("heading", name="Submission receipt")).to_be_visible()
    shown_hash = page.locator("[data-receipt-hash]").inner_text()
    context.close()

    response.refresh_from_db()
    assert response.status == Response.Status.SUBMITTED
    assert shown_hash == Submission.objects.get(response=response).sha256
    assert response.answers["direct.agreement"] == ["api"]
    # Both uses: C = 2; T = 1 (20 days) or 2 (45 days); Sub = 2; a tested alternative,
    # so A = 1 and S = max(1, max(T, Sub) - A) = 1; E = 2, R = 2, so M = 1.
    # DRI = 100 × (2 × 1) × 1 / 24 = 8.3, Low.
    assert sorted(response.uses.values_list("dri", "band")) == [
        (8.3, "low"),
        (8.3, "low"),
    ]
    assert set(response.uses.values_list("channel", flat=True)) == {"cloud", "direct"}
    assert problems == []


def test_autosave_keeps_typing_when_the_browser_closes(
    browser: Browser, live_server: Any
) -> None:
    response, _user = preparer_of("pat@delta.example")
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, "pat@delta.example")
    page.goto(
        f"{live_server.url}{reverse('survey-section', args=[response.uuid, 'A'])}"
    )
    page.locator("#id_A1").fill("Delta Dynamics")
    # No click on Save: the autosave sends it within its interval.
    expect(page.locator("[data-autosave-status]")).to_contain_text(
        "Draft saved at", timeout=25_000
    )
    context.close()
    response.refresh_from_db()
    assert response.answers["A1"] == "Delta Dynamics"
    assert problems == []


def test_leaving_the_page_saves_what_was_typed(
    browser: Browser, live_server: Any
) -> None:
    response, _user = preparer_of("kim@epsilon.example")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server.url, "kim@epsilon.example")
    page.goto(
        f"{live_server.url}{reverse('survey-section', args=[response.uuid, 'A'])}"
    )
    page.locator("#id_A1").fill("Epsilon Labs")
    # Leave at once, long before the next autosave: the page sends its draft as it goes.
    page.goto(f"{live_server.url}{reverse('survey-home')}")
    for _ in range(50):
        response.refresh_from_db()
        if response.answers.get("A1"):
            break
        page.wait_for_timeout(100)
    context.close()
    assert response.answers.get("A1") == "Epsilon Labs"


def test_reviewer_filters_the_dashboard_and_drills_down(
    browser: Browser, live_server: Any
) -> None:
    from tests.analytics_data import seven_contractors

    campaign = seven_contractors()
    reviewer = reviewer_of(campaign)
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, reviewer.email)
    page.goto(
        f"{live_server.url}{reverse('admin:survey_campaign_dashboard', args=[campaign.pk])}"
    )
    expect(page.get_by_role("img", name="Uses by band")).to_be_visible()
    page.get_by_label("Band", exact=True).select_option("high")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"band=high"))
    expect(page.get_by_label("Band", exact=True)).to_have_value("high")
    bands = page.get_by_role("table", name="Uses by band")
    expect(bands.get_by_role("row", name="Total")).to_contain_text("2")
    statuses = page.get_by_role("table", name="Responses")
    statuses.get_by_role("row", name="Returned for clarification").get_by_role(
        "link"
    ).click()
    expect(page).to_have_url(re.compile(r"/manage/survey/response/.*status__exact="))
    expect(page.get_by_role("link", name=re.compile("^Foxtrot"))).to_be_visible()
    context.close()
    assert problems == []


def test_reviewer_exports_from_the_dashboard_and_downloads(
    browser: Browser, live_server: Any
) -> None:
    from io import BytesIO, StringIO

    from django.core.management import call_command
    from openpyxl import load_workbook

    from tests.analytics_data import seven_contractors

    campaign = seven_contractors()
    reviewer = reviewer_of(campaign)
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, reviewer.email)
    dashboard = reverse("admin:survey_campaign_dashboard", args=[campaign.pk])
    page.goto(f"{live_server.url}{dashboard}?band=high")
    page.get_by_role("link", name="Export to Excel").click()
    expect(page.get_by_text("band=high")).to_be_visible()
    page.get_by_role("button", name="Start the export").click()
    expect(page).to_have_url(re.compile(r"/manage/survey/exportjob/\d+/change/"))
    progress = page.get_by_label("Progress")
    expect(progress).to_have_attribute("value", "0")
    # The worker, as `manage.py db_worker` runs it beside the web server; the page
    # keeps polling meanwhile.
    call_command("db_worker", batch=True, startup_delay=False, stdout=StringIO())
    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_text("Done")).to_be_visible()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the file").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(BytesIO(download.path().read_bytes()))
    uses = list(book["Uses"].iter_rows(values_only=True))
    assert len(uses) - 1 == 2  # the two High uses attested (Bravo, Foxtrot)
    page.get_by_role("link", name="My exports").first.click()
    expect(page.get_by_role("row", name=re.compile("Done"))).to_contain_text(
        campaign.title
    )
    context.close()
    assert problems == []


def test_the_navigator_and_unknown_boxes_follow_the_answers_live(
    browser: Browser, live_server: Any
) -> None:
    """Issue 10 §4 and §5, before anything is saved."""
    from tests.helpers import complete_org_answers, complete_use_answers

    response, _user = preparer_of("lee@zeta.example")
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, "lee@zeta.example")
    page.goto(
        f"{live_server.url}{reverse('survey-section', args=[response.uuid, 'B'])}"
    )
    navigator = page.get_by_role("navigation", name="Questionnaire sections")
    expect(navigator.get_by_role("link", name=re.compile(r"^D\. "))).to_be_hidden()
    choose(page, "B2", "yes")
    expect(navigator.get_by_role("link", name=re.compile(r"^D\. "))).to_be_visible()
    expect(navigator.get_by_role("link", name=re.compile(r"^C\. "))).to_be_hidden()
    choose(page, "B1", "yes")
    expect(navigator.get_by_role("link", name=re.compile(r"^C\. "))).to_be_visible()
    # Saved, so that no save on leaving the page races the rest of the test.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")

    response.refresh_from_db()
    response.answers = complete_org_answers()
    response.save()
    use = Use.objects.create(
        response=response, position=1, answers=complete_use_answers(D14=45)
    )
    page.goto(
        f"{live_server.url}{reverse('survey-use', args=[response.uuid, use.uuid])}"
    )
    days = page.locator("#id_D14")
    expect(days).to_have_value("45")
    page.locator("#id_D14__unknown").check()
    expect(days).to_have_value("")
    expect(days).not_to_be_editable()
    page.locator("#id_D14__unknown").uncheck()
    expect(days).to_be_editable()
    days.fill("45")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")
    context.close()
    assert problems == []


def test_pages_reflow_at_320_pixels(browser: Browser, live_server: Any) -> None:
    """Issue 10 §8 (WCAG 1.4.10): no page is wider than a 320 px screen."""
    from tests.helpers import complete_org_answers, complete_use_answers

    response, user = preparer_of(
        "a.very.long.address.for.a.preparer@northwind-defense.example",
        organisation=make_organisation(
            legal_name="Northwind Defense Systems Incorporated"
        ),
        answers=complete_org_answers(),
    )
    use = Use.objects.create(
        response=response, position=1, answers=complete_use_answers()
    )
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{live_server.url}{reverse('login')}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    log_in(page, live_server.url, user.email)
    for path in (
        reverse("survey-home"),
        reverse("survey-section", args=[response.uuid, "A"]),
        reverse("survey-uses", args=[response.uuid]),
        reverse("survey-use", args=[response.uuid, use.uuid]),
        reverse("survey-review", args=[response.uuid]),
    ):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    context.close()
    assert problems == []


def test_response_page_buttons_do_not_cover_the_heading(
    browser: Browser, live_server: Any
) -> None:
    """Issue 10 §13: the response page's action buttons sit clear of its heading."""
    from tests.review_helpers import make_submitted

    response = make_submitted()
    reviewer = reviewer_of(response.campaign)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, reviewer.email)
    page.goto(
        f"{live_server.url}{reverse('admin:survey_response_change', args=[response.pk])}"
    )
    heading = page.locator("#content h1").bounding_box()
    tools = page.locator("#content-main .object-tools").bounding_box()
    assert heading and tools
    overlap = not (
        tools["y"] >= heading["y"] + heading["height"]
        or tools["y"] + tools["height"] <= heading["y"]
        or tools["x"] >= heading["x"] + heading["width"]
        or tools["x"] + tools["width"] <= heading["x"]
    )
    context.close()
    assert not overlap, (heading, tools)


def test_contract_rows_grow_and_shrink(browser: Browser, live_server: Any) -> None:
    """Issue 10 §6: A6 takes "Add a row" and "Remove", and saves what is left."""
    response, user = preparer_of(
        "kai@eta.example",
        answers={"A6": [{"piid": "W56HZV-24-C-0101", "program": "Vehicles"}]},
    )
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, user.email)
    page.goto(
        f"{live_server.url}{reverse('survey-section', args=[response.uuid, 'A'])}"
    )
    rows = page.locator("[data-row='A6']")
    visible = page.locator("[data-row='A6']:visible")
    expect(visible).to_have_count(2)  # the saved row and one empty one
    page.get_by_role("button", name="Add a row").click()
    expect(visible).to_have_count(3)
    page.locator("input[name='A6__1__piid']").fill("N00024-23-D-0042")
    page.locator("input[name='A6__1__program']").fill("Ship Maintenance")
    rows.nth(0).get_by_role("button", name="Remove this row").click()
    expect(rows.nth(0)).to_be_hidden()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")
    context.close()
    response.refresh_from_db()
    assert response.answers["A6"] == [
        {"piid": "N00024-23-D-0042", "program": "Ship Maintenance"}
    ]
    assert problems == []


FRENCH_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def test_french_pages_keep_one_date_style_and_a_french_file_button(
    browser: Browser, live_server: Any
) -> None:
    """Issue 10 §9: the deadline and "your time" in one style; the file button in French."""
    response, user = preparer_of("lea@theta.example")
    use = Use.objects.create(response=response, position=1, answers={"D1": "Drafting"})
    context = browser.new_context(timezone_id="Europe/Paris")
    page = context.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, user.email)
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()

    deadline = page.locator("time[data-local-time]").first
    # "vendredi 4 décembre 2026, 17:00 ET (22:00 UTC)" and, beside it, the reader's zone.
    style = r"(\w+) \d{1,2} (\w+) \d{4}, \d{2}:\d{2}"
    shown = re.match(style, deadline.inner_text())
    mine = re.search(r"votre heure : " + style, deadline.locator("+ span").inner_text())
    assert shown and mine, (
        deadline.inner_text(),
        deadline.locator("+ span").inner_text(),
    )
    for day, month in (shown.groups(), mine.groups()):
        assert day in FRENCH_DAYS and month in FRENCH_MONTHS

    page.goto(
        f"{live_server.url}{reverse('survey-use', args=[response.uuid, use.uuid])}"
    )
    native = page.locator("input[type=file][name=D19]")
    # Visually hidden, still in the tab order and named by the question's label.
    expect(native).to_have_class(re.compile(r"\bvisually-hidden\b"))
    expect(page.get_by_text("Choisir un fichier")).to_be_visible()
    expect(page.get_by_text("Aucun fichier choisi")).to_be_visible()
    native.set_input_files(
        files=[
            {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}
        ]
    )
    expect(page.get_by_text("plan.pdf")).to_be_visible()
    native.focus()
    assert native.evaluate("e => e === document.activeElement")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status").first).to_contain_text("Enregistré")
    context.close()
    assert problems == []
