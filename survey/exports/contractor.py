"""A contractor's own response as a workbook: what it answered, for its records."""

from __future__ import annotations

from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from survey.exports.cells import Book, Column
from survey.exports.columns import fields_for
from survey.models import QuestionnaireVersion, Response, Use
from survey.models.scores import ResponseScores


def response_workbook(response: Response, uses: list[Use], fileobj: IO[bytes]) -> None:
    """Write one organisation's response (its own rows only) as an .xlsx.

    A response closed to changes since its submission is written as submitted (its
    last submission, with the version it was given on: the campaign may have moved to
    another since); a draft, or one given back for changes, as it stands.
    """
    campaign = response.campaign
    version, given, uses, scored = _as_written(response, uses)
    questionnaire = version.parsed
    vendor = campaign.vendor.name
    org = questionnaire.visible_answers(given)
    book = Book(campaign.handling_banner)

    about = book.sheet(
        _("Response"), [Column(_("Field"), "label", 34), Column(_("Value"), "text", 60)]
    )
    for label, value in [
        (_("Campaign"), campaign.title),
        (_("AI vendor"), vendor),
        (_("Organisation"), response.organisation.legal_name),
        (_("UEI"), response.organisation.uei),
        (_("Status"), response.get_status_display()),
        (_("Deadline (UTC)"), response.effective_deadline),
        (_("Submitted at (UTC)"), response.submitted_at),
        (_("SHA-256 of the submitted answers"), response.answers_sha256),
        (_("Dependency index (CDI)"), scored.cdi),
        (_("Tier"), scored.tier),
        (_("Questionnaire version"), str(version)),
        (_("Exported at (UTC)"), timezone.now()),
    ]:
        about.append([label, value])

    answers = book.sheet(
        _("Answers"),
        [
            Column(_("Section"), "label", 10),
            Column(_("ID"), "label", 8),
            Column(_("Question"), "label", 80),
            Column(_("Answer"), "text", 60),
        ],
    )
    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, org):
            continue
        for question in questionnaire.visible_questions(section, given):
            for field in fields_for([question], vendor, codes=False):
                if field.kind == "flag":
                    continue
                read = field.bind(answers)
                answers.append_raw(
                    [
                        answers.guard(section.id),
                        answers.guard(question.id),
                        answers.guard(field.column.header.split(": ", 1)[1]),
                        read(org),
                    ]
                )

    register = questionnaire.use_section
    if register is not None:
        fields = fields_for(register.questions, vendor, codes=False)
        sheet = book.sheet(
            _("Uses"),
            [
                Column("#", "number", 6),
                *(f.column for f in fields),
                Column("DRI", "number", 8),
                Column(_("Band"), "label", 10),
            ],
        )
        readers = [f.bind(sheet) for f in fields]
        for use in uses:
            kept = questionnaire.visible_use_answers(use.answers, org)
            sheet.append_raw(
                [
                    use.position,
                    *(read(kept) for read in readers),
                    use.dri,
                    sheet.guard(use.band),
                ]
            )
    book.save(fileobj)


def _as_written(
    response: Response, uses: list[Use]
) -> tuple[QuestionnaireVersion, dict[str, Any], list[Use], ResponseScores]:
    """The version, organisation answers, uses and scores the workbook shows."""
    if response.submitted_at and not response.is_editable:
        last = (
            response.submissions.filter(latest=True)
            .select_related("questionnaire")
            .first()
        )
        if last is not None:
            copies = Use.attested.filter(submission=last).order_by("position", "id")
            return last.questionnaire, last.answers, list(copies), last
    return response.campaign.questionnaire, response.answers, uses, response
