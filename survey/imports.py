"""Import organisations and their contacts from an .xlsx or .csv file, all or nothing.

Reading and validating are pure (bytes in, rows and problems out); `apply` writes the rows
in one transaction, so a file with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from survey.exports.cells import Book, Column, plain
from survey.models import (
    CAGE_RE,
    UEI_RE,
    Campaign,
    Invitation,
    Membership,
    Organisation,
    Response,
)

# The canonical column names, and the headings people actually write for them.
COLUMNS = {
    "legal_name": ("legal name", "legal_name", "organisation", "organization"),
    "uei": ("uei",),
    "cage_codes": ("cage codes", "cage_codes", "cage code", "cage"),
    "contact_name": ("contact name", "contact_name", "contact", "name"),
    "email": ("email", "e-mail", "email address"),
    "role": ("role",),
}
ROLES = {role.value for role in Membership.Role}
MAX_ROWS = 5000
# The database's limits: PostgreSQL refuses a longer value, which would fail the import.
MAX_LENGTHS = {
    "legal_name": Organisation._meta.get_field("legal_name").max_length,
    "cage_codes": Organisation._meta.get_field("cage_codes").max_length,
    "contact_name": Invitation._meta.get_field("full_name").max_length,
    "email": Invitation._meta.get_field("email").max_length,
}
# Columns A to Z: the six expected ones and room for others people keep beside them.
MAX_COLUMNS = 26
# An .xlsx is a zip: its 5 MB upload can unzip to gigabytes, which openpyxl would hold in
# memory (the shared strings are read whole). Real contact lists unzip to a few MB.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    line: int
    legal_name: str
    uei: str
    cage_codes: str
    contact_name: str
    email: str
    role: str


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The cells of the first sheet of an .xlsx, or of a .csv, as text."""
    if name.lower().endswith(".xlsx"):
        import openpyxl

        # The sizes declared in the zip bound what unzipping can produce: Python's zipfile
        # stops reading a member at its declared size.
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > MAX_UNZIPPED_BYTES:
            raise ValueError(
                _("The file unzips to more than %(n)d MB.")
                % {"n": MAX_UNZIPPED_BYTES // (1024 * 1024)}
            )
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True
        )
        try:
            sheet = workbook.worksheets[0]
            # Bound both ways: read-only mode pads every row to the width and height the
            # sheet declares, up to 16384 columns by a million rows in a tiny file.
            rows = sheet.iter_rows(
                max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True
            )
            return [
                ["" if cell is None else str(cell).strip() for cell in row]
                for row in rows
            ]
        finally:
            workbook.close()
    if name.lower().endswith(".csv"):
        # utf-8-sig: Excel writes a byte-order mark in front of UTF-8 CSV files.
        text = content.decode("utf-8-sig")
        rows = islice(csv.reader(io.StringIO(text)), MAX_ROWS + 2)
        # The same columns as an .xlsx, so both formats read a file alike.
        return [[cell.strip() for cell in row[:MAX_COLUMNS]] for row in rows]
    raise ValueError(_("Upload an .xlsx or a .csv file."))


def parse(table: list[list[str]]) -> tuple[list[Row], list[Problem]]:
    """Rows and every problem found, each with its line number in the file."""
    if not table:
        return [], [Problem(1, "", _("The file is empty."))]
    headings = [h.strip().lower() for h in table[0]]
    index: dict[str, int] = {}
    problems = []
    for column, names in COLUMNS.items():
        found = next((i for i, h in enumerate(headings) if h in names), None)
        if found is None:
            problems.append(
                Problem(1, column, _("Missing column: %(name)s.") % {"name": names[0]})
            )
        else:
            index[column] = found
    if not index:
        return [], problems
    if len(table) - 1 > MAX_ROWS:
        return [], [Problem(1, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS})]
    rows = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        values = {
            column: cells[index[column]]
            if column in index and index[column] < len(cells)
            else ""
            for column in COLUMNS
        }
        row = Row(
            line=line,
            legal_name=" ".join(values["legal_name"].split()),
            uei=values["uei"].strip().upper(),
            cage_codes=" ".join(
                values["cage_codes"].upper().replace(",", " ").replace(";", " ").split()
            ),
            contact_name=" ".join(values["contact_name"].split()),
            email=values["email"].strip().lower(),
            role=values["role"].strip().lower(),
        )
        # Rows are checked even when a column is missing, so one upload shows everything.
        problems += _check(row, seen, set(index))
        rows.append(row)
    problems.sort(key=lambda p: p.line)
    if not rows and not problems:
        problems.append(Problem(2, "", _("The file has no rows.")))
    return rows, problems


def _check(row: Row, seen: dict[str, int], present: set[str]) -> list[Problem]:
    problems = []

    def problem(column: str, message: str) -> None:
        if column in present:
            problems.append(Problem(row.line, column, message))

    if not row.legal_name:
        problem("legal_name", _("The legal name is missing."))
    for column, limit in MAX_LENGTHS.items():
        length = len(getattr(row, column))
        if length > limit:
            problem(
                column,
                _("This is %(length)d characters long; at most %(limit)d fit.")
                % {"length": length, "limit": limit},
            )
    # A .csv may hold a NUL character, which PostgreSQL cannot store; the other columns
    # refuse it through their own format checks.
    for column in ("legal_name", "contact_name"):
        if "\x00" in getattr(row, column):
            problem(column, _("This contains a NUL character, which cannot be stored."))
    if not re.match(UEI_RE, row.uei):
        problem(
            "uei",
            _(
                "%(value)s is not a UEI: 12 letters or digits, without O or I, "
                "not starting with 0."
            )
            % {"value": row.uei or "—"},
        )
    for code in row.cage_codes.split():
        if not re.match(CAGE_RE, code):
            problem(
                "cage_codes",
                _("%(value)s is not a CAGE code: 5 letters or digits.")
                % {"value": code},
            )
    try:
        validate_email(row.email)
    except ValidationError:
        problem("email", _("%(value)s is not an email address.") % {"value": row.email})
    else:
        if row.email in seen:
            problem(
                "email",
                _("%(value)s is also on line %(line)d.")
                % {"value": row.email, "line": seen[row.email]},
            )
        seen.setdefault(row.email, row.line)
    if row.role not in ROLES:
        problem(
            "role",
            _("The role must be one of: %(roles)s.")
            % {"roles": ", ".join(sorted(ROLES))},
        )
    return problems


def conflicts(rows: list[Row]) -> list[Problem]:
    """Rows that repeat what the database already holds: a member, or a pending invitation."""
    emails = {row.email for row in rows}
    members = set(
        Membership.objects.filter(user__email__in=emails).values_list(
            "user__email", "organisation__uei"
        )
    )
    pending = set(
        Invitation.objects.filter(
            email__in=emails, accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).values_list("email", "organisation__uei")
    )
    problems = []
    for row in rows:
        if (row.email, row.uei) in members:
            problems.append(
                Problem(
                    row.line,
                    "email",
                    _("%(value)s is already a member of this organisation.")
                    % {"value": row.email},
                )
            )
        elif (row.email, row.uei) in pending:
            problems.append(
                Problem(
                    row.line,
                    "email",
                    _(
                        "%(value)s already has a pending invitation to this "
                        "organisation; resend it instead."
                    )
                    % {"value": row.email},
                )
            )
    return problems


@dataclass
class Result:
    organisations_created: int
    invitations: list[tuple[Invitation, str]]


def apply(rows: list[Row], campaign: Campaign, actor: Any) -> Result:
    """Create the organisations, their responses to the campaign and the invitations."""
    created = 0
    invitations = []
    with transaction.atomic():
        for row in rows:
            organisation, new = Organisation.objects.get_or_create(
                uei=row.uei,
                defaults={"legal_name": row.legal_name, "cage_codes": row.cage_codes},
            )
            created += new
            Response.objects.get_or_create(campaign=campaign, organisation=organisation)
            invitations.append(
                Invitation.issue(
                    organisation,
                    row.email,
                    row.role,
                    created_by=actor,
                    full_name=row.contact_name,
                )
            )
    return Result(created, invitations)


def error_report(problems: list[Problem]) -> str:
    """The problems as CSV text, one line each, for the downloadable report."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("line"), _("column"), _("problem")])
    for p in problems:
        # The workbooks' cell writer: a message quoting a cell that starts with "="
        # must not become a formula in the spreadsheet that opens the report.
        writer.writerow([p.line, p.column, plain(p.message)])
    return out.getvalue()


EXAMPLE = {
    "legal_name": "Example Systems LLC",
    "uei": "EXMPL1234567",
    "cage_codes": "1ABC5",
    "contact_name": "Pat Doe",
    "email": "pat.doe@example.com",
    "role": Membership.Role.PREPARER.value,
}


def template(fileobj: Any) -> None:
    """The .xlsx to fill in: the expected headers and one example row."""
    book = Book()
    sheet = book.sheet(
        _("Organisations"), [Column(COLUMNS[key][0], "text", 26) for key in COLUMNS]
    )
    sheet.append([EXAMPLE[key] for key in COLUMNS])
    book.save(fileobj)
