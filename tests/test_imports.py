from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import replace

import openpyxl
from django.db import DatabaseError, connection
from django.test import SimpleTestCase, TestCase

from survey import imports
from survey.models import Invitation, Organisation, Response
from tests.helpers import make_campaign, make_organisation

HEADER = ["Legal name", "UEI", "CAGE codes", "Contact name", "Email", "Role"]
GOOD = [
    [
        "Acme Widgets LLC",
        "acmewdgt1234",
        "1acm5, 2ACM6",
        "Pat Doe",
        "Pat@Acme.example",
        "Signatory",
    ],
    [
        "Acme Widgets LLC",
        "ACMEWDGT1234",
        "1ACM5 2ACM6",
        "Sam Roe",
        "sam@acme.example",
        "preparer",
    ],
    [
        "Birch Avionics Inc.",
        "BRCHAV1N2C34",
        "",
        "Lee Poe",
        "lee@birch.example",
        "signatory",
    ],
]


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rezip(
    content: bytes,
    change: Callable[[str, bytes], bytes] = lambda _name, data: data,
    extra: tuple[str, int] | None = None,
) -> bytes:
    """The .xlsx with its members changed, and an extra member of that many zeros."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
        if extra is not None:
            name, size = extra
            # Written in chunks: the test itself should not hold the unzipped size.
            with target.open(name, "w") as member:
                for _ in range(size // 2**20):
                    member.write(bytes(2**20))
    return out.getvalue()


def huge_dimension(content: bytes, last_row: bool) -> bytes:
    """The sheet declares A1:XFD1048576, optionally with a cell in its very last row."""

    def change(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        data = data.replace(
            b'<dimension ref="A1:F4"/>', b'<dimension ref="A1:XFD1048576"/>'
        )
        if last_row:
            data = data.replace(
                b"</sheetData>",
                b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                b"</c></row></sheetData>",
            )
        return data

    return rezip(content, change)


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    # Excel's "CSV UTF-8" starts with a byte-order mark.
    return ("\ufeff" + out.getvalue()).encode()


class ParseTests(SimpleTestCase):
    def test_xlsx_and_csv_read_the_same_normalised_rows(self) -> None:
        for name, content in [
            ("contacts.xlsx", xlsx([HEADER, *GOOD])),
            ("contacts.csv", csv_bytes([HEADER, *GOOD])),
        ]:
            with self.subTest(name=name):
                rows, problems = imports.parse(imports.read_table(name, content))
                self.assertEqual(problems, [])
                self.assertEqual(len(rows), 3)
                self.assertEqual(rows[0].uei, "ACMEWDGT1234")
                self.assertEqual(rows[0].cage_codes, "1ACM5 2ACM6")
                self.assertEqual(rows[0].email, "pat@acme.example")
                self.assertEqual(rows[0].role, "signatory")
                self.assertEqual(rows[2].line, 4)

    def test_each_problem_is_reported_with_its_line(self) -> None:
        header = HEADER[:-1]  # no Role column
        table = [
            header,
            ["Acme Widgets LLC", "0CMEWDGT1234", "1ACM5", "Pat", "pat@acme.example"],
            ["Acme Widgets LLC", "ACMEWDGT1234", "1ACM", "Sam", "sam@acme.example"],
            ["Birch Avionics", "BRCHAV1N2C34", "", "Lee", "PAT@acme.example"],
        ]
        rows, problems = imports.parse(table)
        self.assertEqual(
            [(p.line, p.column) for p in problems],
            [(1, "role"), (2, "uei"), (3, "cage_codes"), (4, "email")],
        )
        self.assertIn("0CMEWDGT1234", problems[1].message)
        self.assertIn("line 2", problems[3].message)

    def test_values_longer_than_their_database_columns_are_problems(self) -> None:
        # 64 + 1 + 3 * 64 + 7 characters: a valid address, but longer than 254.
        email = "p" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".example"
        table = [
            HEADER,
            ["A" * 301, "ACMEWDGT1234", "1ACM5 " * 51, "P" * 201, email, "preparer"],
            [
                "A" * 300,
                "BRCHAV1N2C34",
                "1ACM5 " * 50,
                "P" * 200,
                "a@b.example",
                "preparer",
            ],
        ]
        rows, problems = imports.parse(table)
        self.assertEqual(
            [(p.line, p.column, p.message) for p in problems],
            [
                (2, "legal_name", "This is 301 characters long; at most 300 fit."),
                (2, "cage_codes", "This is 305 characters long; at most 300 fit."),
                (2, "contact_name", "This is 201 characters long; at most 200 fit."),
                (2, "email", "This is 264 characters long; at most 254 fit."),
            ],
        )

    def test_a_nul_character_is_a_problem(self) -> None:
        table = [
            HEADER,
            [
                "Acme\x00 LLC",
                "ACMEWDGT1234",
                "",
                "Pat\x00Doe",
                "p@a.example",
                "preparer",
            ],
        ]
        rows, problems = imports.parse(table)
        self.assertEqual(
            [(p.line, p.column, p.message) for p in problems],
            [
                (2, column, "This contains a NUL character, which cannot be stored.")
                for column in ("legal_name", "contact_name")
            ],
        )

    def test_too_many_rows_are_refused_without_reading_them_all(self) -> None:
        rows = [HEADER] + [GOOD[2]] * (imports.MAX_ROWS + 50)
        table = imports.read_table("big.csv", csv_bytes(rows))
        self.assertEqual(len(table), imports.MAX_ROWS + 2)
        parsed, problems = imports.parse(table)
        self.assertEqual(parsed, [])
        self.assertEqual(
            problems[0].message, f"At most {imports.MAX_ROWS} rows per file."
        )

    def test_an_xlsx_that_unzips_to_too_much_is_refused_before_reading(self) -> None:
        content = rezip(
            xlsx([HEADER, *GOOD]),
            extra=("xl/media/padding.bin", imports.MAX_UNZIPPED_BYTES + 2**20),
        )
        self.assertLess(len(content), 200_000)
        with self.assertRaisesMessage(
            ValueError, "The file unzips to more than 50 MB."
        ):
            imports.read_table("contacts.xlsx", content)

    def test_a_declared_huge_sheet_is_read_within_the_limits(self) -> None:
        # The dimension alone: the rows are read, each only as wide as the limit.
        table = imports.read_table(
            "contacts.xlsx", huge_dimension(xlsx([HEADER, *GOOD]), last_row=False)
        )
        self.assertEqual(len(table), 4)
        self.assertEqual({len(row) for row in table}, {imports.MAX_COLUMNS})
        rows, problems = imports.parse(table)
        self.assertEqual((len(rows), problems), (3, []))
        # A cell in the last of a million rows: padding stops at the row limit.
        table = imports.read_table(
            "contacts.xlsx", huge_dimension(xlsx([HEADER, *GOOD]), last_row=True)
        )
        self.assertEqual(len(table), imports.MAX_ROWS + 2)
        self.assertEqual({len(row) for row in table}, {imports.MAX_COLUMNS})
        self.assertEqual(
            imports.parse(table)[1][0].message,
            f"At most {imports.MAX_ROWS} rows per file.",
        )

    def test_unknown_file_types_and_empty_files_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            imports.read_table("contacts.pdf", b"%PDF")
        self.assertEqual(imports.parse([])[1][0].message, "The file is empty.")
        self.assertEqual(imports.parse([HEADER])[1][0].message, "The file has no rows.")

    def test_error_report_neutralises_formulas(self) -> None:
        starts = ["=", "+", "-", "@", "\t", "\r"]
        problems = [imports.Problem(2, "uei", f"{c}HYPERLINK(x)") for c in starts]
        problems.append(imports.Problem(3, "email", "HYPERLINK(x) = y"))
        report = list(csv.reader(io.StringIO(imports.error_report(problems))))
        self.assertEqual(
            report,
            [
                ["line", "column", "problem"],
                *(["2", "uei", f"'{c}HYPERLINK(x)"] for c in starts),
                ["3", "email", "HYPERLINK(x) = y"],
            ],
        )


class ApplyTests(TestCase):
    def test_rows_become_organisations_responses_and_invitations(self) -> None:
        campaign = make_campaign()
        existing = make_organisation(uei="BRCHAV1N2C34", legal_name="Birch (old)")
        rows, _ = imports.parse([HEADER, *GOOD])
        result = imports.apply(rows, campaign, actor=None)
        self.assertEqual(result.organisations_created, 1)
        self.assertEqual(len(result.invitations), 3)
        self.assertEqual(Organisation.objects.count(), 2)
        acme = Organisation.objects.get(uei="ACMEWDGT1234")
        self.assertEqual(acme.cage_codes, "1ACM5 2ACM6")
        self.assertEqual(
            sorted(Response.objects.values_list("organisation__uei", flat=True)),
            ["ACMEWDGT1234", "BRCHAV1N2C34"],
        )
        invitation, token = result.invitations[0]
        self.assertEqual(Invitation.usable(token), invitation)
        self.assertEqual(invitation.full_name, "Pat Doe")
        existing.refresh_from_db()
        self.assertEqual(existing.legal_name, "Birch (old)")

    def test_a_later_row_the_database_refuses_leaves_nothing_imported(self) -> None:
        # The rows skip _check, standing for a failure it misses (as a NUL character
        # once did on PostgreSQL): the database itself refuses the last row after the
        # earlier ones were written, by its check constraint on the UEI's format and,
        # on PostgreSQL, for the NUL character, which SQLite would store.
        campaign = make_campaign()
        rows, problems = imports.parse([HEADER, *GOOD])
        self.assertEqual(problems, [])
        refused = {"UEI format": replace(rows[-1], uei="0IRCHAV1N2C3")}
        if connection.vendor == "postgresql":
            refused["NUL"] = replace(rows[-1], contact_name="Lee\x00Poe")
        for name, last in refused.items():
            with self.subTest(name):
                with self.assertRaises(DatabaseError):
                    imports.apply([*rows[:-1], last], campaign, actor=None)
                self.assertEqual(Organisation.objects.count(), 0)
                self.assertEqual(Response.objects.count(), 0)
                self.assertEqual(Invitation.objects.count(), 0)


class ConflictTests(TestCase):
    def test_members_and_pending_invitations_are_reported(self) -> None:
        from tests.helpers import make_user

        acme = make_organisation(uei="ACMEWDGT1234")
        make_user("pat@acme.example", organisation=acme)
        Invitation.issue(acme, "sam@acme.example", "preparer")
        # The same person may be invited to another organisation.
        Invitation.issue(make_organisation(), "lee@birch.example", "preparer")
        rows, _ = imports.parse([HEADER, *GOOD])
        self.assertEqual(
            [(p.line, p.column) for p in imports.conflicts(rows)],
            [(2, "email"), (3, "email")],
        )
