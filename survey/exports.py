"""Excel workbooks, streamed with openpyxl's write-only mode. The only module using openpyxl.

Every user-supplied string is written as text: a leading "=" (or +, -, @, tab, CR, LF)
would otherwise make Excel evaluate it as a formula, and XML-illegal control characters
would abort the file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from survey import questionnaire as qn
from survey.models import Response, Use

EXCEL_CELL_LIMIT = 32_767
TRUNCATED = " […]"
# Characters after which Excel (or LibreOffice) may start a formula or DDE command.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def text_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A cell that holds `value` as inert text, whatever it starts with."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.lstrip(" ").startswith(_TRIGGERS):
        cell.quotePrefix = True
    return cell


def value_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """Numbers stay numeric cells; everything else is inert text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return text_cell(sheet, _("Yes") if value else _("No"))
    if isinstance(value, int | float | Decimal):
        return value
    return text_cell(sheet, value)


def answer_value(question: qn.Question, value: Any, vendor: str) -> Any:
    """Numeric answers as numbers (for sums and filters in Excel), others as read."""
    if question.type in qn.NUMERIC_TYPES and value not in (None, "", qn.UNKNOWN):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    return qn.display(question, value, vendor)


def header(sheet: WriteOnlyWorksheet, titles: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = text_cell(sheet, title)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _sheet(workbook: Workbook, title: str, banner: str, widths: list[int]) -> Any:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    if banner:
        sheet.oddHeader.center.text = banner
        sheet.oddFooter.center.text = banner
    return sheet


def _utc(instant: datetime | None) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if instant else ""


def response_workbook(response: Response, uses: list[Use], fileobj: IO[bytes]) -> None:
    """Write one organisation's response as an .xlsx to a binary file object."""
    campaign = response.campaign
    questionnaire = campaign.questionnaire.parsed
    vendor = campaign.vendor.name
    banner = campaign.handling_banner
    org = questionnaire.visible_answers(response.answers)
    workbook = Workbook(write_only=True)

    about = _sheet(workbook, _("Response"), banner, [30, 70])
    about.append(header(about, [_("Field"), _("Value (times in UTC)")]))
    for label, value in [
        (_("Campaign"), campaign.title),
        (_("AI vendor"), vendor),
        (_("Organisation"), response.organisation.legal_name),
        (_("UEI"), response.organisation.uei),
        (_("Status"), response.get_status_display()),
        (_("Deadline (UTC)"), _utc(response.effective_deadline)),
        (_("Submitted at (UTC)"), _utc(response.submitted_at)),
        (_("SHA-256 of the submitted answers"), response.answers_sha256),
        (_("Dependency index (CDI)"), response.cdi),
        (_("Tier"), response.tier),
        (_("Questionnaire version"), str(campaign.questionnaire)),
        (_("Exported at (UTC)"), _utc(timezone.now())),
    ]:
        about.append([text_cell(about, label), value_cell(about, value)])

    answers = _sheet(workbook, _("Answers"), banner, [10, 8, 80, 60])
    answers.append(header(answers, [_("Section"), _("ID"), _("Question"), _("Answer")]))
    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, org):
            continue
        for question in questionnaire.visible_questions(section, response.answers):
            answers.append(
                [
                    text_cell(answers, section.id),
                    text_cell(answers, question.id),
                    text_cell(answers, question.label.render(vendor)),
                    value_cell(
                        answers, answer_value(question, org.get(question.id), vendor)
                    ),
                ]
            )

    register = questionnaire.use_section
    if register is not None:
        questions = list(register.questions)
        sheet = _sheet(workbook, _("Uses"), banner, [6] + [24] * (len(questions) + 2))
        titles = ["#", *[f"{q.id}. {q.label.render(vendor)}" for q in questions]]
        sheet.append(header(sheet, [*titles, "DRI", _("Band")]))
        for use in uses:
            kept = questionnaire.visible_use_answers(use.answers, org)
            row = [use.position]
            row += [
                value_cell(sheet, answer_value(q, kept.get(q.id), vendor))
                for q in questions
            ]
            sheet.append([*row, use.dri, value_cell(sheet, use.band)])

    workbook.save(fileobj)
