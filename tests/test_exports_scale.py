"""EX-2 at scale: 1,000 generated organisations, hostile answers mixed in, exported once
and read back with openpyxl.

The campaign comes from survey.generate (bulk inserts, valid answers scored by the
site's code). Then a few attested answers and organisation names are made hostile:
control characters, U+FFFE, a 40,000-character answer, 20,000 emoji (40,000 UTF-16
units, the length Excel counts), non-BMP text and right-to-left text. NUL is left to
the cell writer's own test (tests/test_exports.py): PostgreSQL refuses it in text and
jsonb, as the answer form does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from survey import exports
from survey.deadlines import zone_label
from survey.exports.cells import ILLEGAL, clean, excel_length
from survey.generate import generate
from survey.models import Organisation, Response, Submission, Use
from tests.helpers import make_campaign, make_user

ORGANISATIONS = 1000
CONTROL = "".join(chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
HOSTILE = {
    "control": f"Control{CONTROL}characters",
    "nonchar": "Odd\ufffeand\uffffend",
    "long": "Long answer. " * 3077,  # 40,001 characters
    "emoji_long": "🚀" * 20_000,  # 20,000 characters, 40,000 UTF-16 units
    "emoji": "Rocket 🚀, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 👩🏽‍💻 beyond the BMP",
    "rtl": "شركة الدفاع المحدودة \u202bעברית\u202c مرحبا",
}
# Values written as they are: no cell of theirs may be reported.
UNCHANGED = ("emoji", "rtl")
SANITISED = "Sanitised cells"


def _hostile_campaign() -> tuple[Any, dict[str, str]]:
    """The generated campaign, with hostile values in A1 and D1 of a few submissions
    and in a few organisation names; returns the campaign and {where: value}."""
    campaign = make_campaign()
    generate(campaign, ORGANISATIONS, 7, make_user(), timezone.now())
    placed: dict[str, str] = {}
    submissions = list(
        Submission.objects.filter(response__campaign=campaign, latest=True)
        .exclude(response__status=Response.Status.WITHDRAWN)
        .order_by("response_id")[: 2 * len(HOSTILE)]
    )
    kinds = list(HOSTILE)
    for n, submission in enumerate(submissions):
        kind = kinds[n % len(kinds)]
        submission.answers = {**submission.answers, "A1": HOSTILE[kind]}
        placed[f"A1 of {submission.response_id}"] = HOSTILE[kind]
    Submission.objects.bulk_update(submissions, ["answers"])
    uses = list(
        Use.attested.filter(counted_in=campaign).order_by("pk")[: 2 * len(HOSTILE)]
    )
    for n, use in enumerate(uses):
        kind = kinds[n % len(kinds)]
        use.answers = {**use.answers, "D1": HOSTILE[kind]}
        placed[f"D1 of use {use.pk}"] = HOSTILE[kind]
    Use.attested.bulk_update(uses, ["answers"])
    # Names repeat on many sheets (Contractors, Uses, High-risk uses, Data quality...).
    names = list(
        Organisation.objects.filter(
            responses__in=[s.response_id for s in submissions]
        ).order_by("pk")[:3]
    )
    for org, kind in zip(names, ("control", "emoji", "rtl"), strict=True):
        org.legal_name = f"{HOSTILE[kind][:60]} {org.pk}"
        placed[f"name of {org.pk}"] = org.legal_name
    Organisation.objects.bulk_update(names, ["legal_name"])
    return campaign, placed


def _read(content: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet as rows of values; datetimes as (value, number format)."""
    book = load_workbook(BytesIO(content), read_only=True)
    sheets: dict[str, list[list[Any]]] = {}
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            values = []
            for cell in row:
                value = getattr(cell, "value", None)
                if isinstance(value, datetime):
                    value = (value, cell.number_format)
                values.append(value)
            rows.append(values)
        sheets[sheet.title] = rows
    book.close()
    return sheets


def _table(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def _column(index: int) -> str:
    return get_column_letter(index + 1)


class ThousandOrganisationsTests(TestCase):
    """One export of 1,000 organisations, read back once for all the tests below."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign, cls.placed = _hostile_campaign()
        handle = BytesIO()
        cls.counts = exports.write(
            cls.campaign,
            exports.Options(),
            handle,
            generated_by="analyst@example.com",
            now=timezone.now(),
        )
        cls.content = handle.getvalue()

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # Read outside setUpTestData: Django would deep-copy these rows for each test.
        cls.sheets = _read(cls.content)
        cls.report = _table(cls.sheets.get(SANITISED, [[]]))
        cls.manifest = {
            r[0]: r[1] if len(r) > 1 else None for r in cls.sheets["Manifest"]
        }

    def cells(self) -> list[tuple[str, str, Any]]:
        """(sheet, coordinate, value) of every data cell outside the report."""
        return [
            (title, f"{_column(i)}{r}", value)
            for title, rows in self.sheets.items()
            if title != SANITISED
            for r, row in enumerate(rows, 1)
            for i, value in enumerate(row)
        ]

    def test_every_submitted_organisation_and_use_is_exported(self) -> None:
        self.assertEqual(Organisation.objects.count(), ORGANISATIONS)
        submitted = Submission.objects.filter(
            response__campaign=self.campaign, latest=True
        ).exclude(response__status=Response.Status.WITHDRAWN)
        contractors = _table(self.sheets["Contractors"])
        self.assertEqual(len(contractors), submitted.count())
        self.assertEqual(
            sorted(r["Response id"] for r in contractors),
            sorted(submitted.values_list("response_id", flat=True)),
        )
        uses = _table(self.sheets["Uses"])
        counted = Use.attested.filter(counted_in=self.campaign)
        self.assertEqual(len(uses), counted.count())
        self.assertEqual(
            sorted(r["Use id"] for r in uses),
            sorted(counted.values_list("pk", flat=True)),
        )
        self.assertEqual(self.manifest["Rows: Contractors"], len(contractors))
        self.assertEqual(self.manifest["Rows: Uses"], len(uses))
        self.assertEqual(self.counts["Uses"], len(uses))

    def test_no_cell_holds_what_xml_or_excel_cannot(self) -> None:
        for title, where, value in self.cells():
            if isinstance(value, str):
                self.assertIsNone(ILLEGAL.search(value), (title, where))
                self.assertLessEqual(
                    excel_length(value), exports.EXCEL_CELL_LIMIT, (title, where)
                )

    def test_every_changed_cell_is_reported_where_it_is(self) -> None:
        changed = {clean(v) for v in self.placed.values() if clean(v) != v}
        found = {
            (title, where) for title, where, value in self.cells() if value in changed
        }
        reported = {(r["Sheet"], r["Cell"]) for r in self.report}
        # On the detail sheets and beyond: names repeat on several sheets.
        self.assertGreater(len({title for title, _where in found}), 3)
        self.assertEqual(found, reported)
        self.assertEqual(self.manifest["Cells sanitised"], len(reported))
        written = {(t, w): v for t, w, v in self.cells()}
        for row in self.report:
            with self.subTest(row=(row["Sheet"], row["Cell"])):
                self.assertIn(written[(row["Sheet"], row["Cell"])], changed)
                header = self.sheets[row["Sheet"]][0]
                column = "".join(c for c in row["Cell"] if c.isalpha())
                index = next(i for i in range(len(header)) if _column(i) == column)
                self.assertEqual(header[index], row["Column"])

    def test_illegal_characters_are_removed_and_named(self) -> None:
        contractors = {r["Response id"]: r for r in _table(self.sheets["Contractors"])}
        a1 = next(k for k in self.sheets["Contractors"][0] if k.startswith("A1: "))
        by_cell = {(r["Sheet"], r["Cell"]): r for r in self.report}
        checked = 0
        for where, value in self.placed.items():
            if not where.startswith("A1 of ") or value not in (
                HOSTILE["control"],
                HOSTILE["nonchar"],
            ):
                continue
            row = contractors[int(where.removeprefix("A1 of "))]
            self.assertEqual(row[a1], ILLEGAL.sub("", value))
            line = next(
                r
                for r in by_cell.values()
                if r["Sheet"] == "Contractors"
                and r["First cell of the row"] == row["Response id"]
                and r["Column"] == a1
            )
            expected = sorted({f"U+{ord(c):04X}" for c in ILLEGAL.findall(value)})
            self.assertEqual(line["Characters removed"].split(" "), expected)
            self.assertEqual(line["Cut at the cell limit"], 0)
            checked += 1
        self.assertEqual(checked, 4)

    def test_long_values_are_cut_visibly_and_kept_whole_in_parts(self) -> None:
        cut = [r for r in self.report if r["Cut at the cell limit"] == 1]
        written = {(t, w): v for t, w, v in self.cells()}
        places = {(r["Sheet"], r["Cell"]) for r in cut}
        # Both long values, twice each in A1 (Contractors) and in D1 (Uses, and the
        # other sheets that name a use).
        self.assertEqual(sum(p[0] == "Contractors" for p in places), 4)
        self.assertEqual(sum(p[0] == "Uses" for p in places), 4)
        for place in places:
            parts = sorted(
                (r for r in cut if (r["Sheet"], r["Cell"]) == place),
                key=lambda r: r["Part"],
            )
            whole = "".join(r["Whole text, in parts"] for r in parts)
            value = written[place]
            with self.subTest(place=place):
                self.assertIn(whole, (HOSTILE["long"], HOSTILE["emoji_long"]))
                self.assertEqual(parts[0]["Length (UTF-16 units)"], excel_length(whole))
                self.assertGreater(len(parts), 1)
                self.assertTrue(value.endswith(exports.TRUNCATED))
                # At the limit, or one unit short where a pair would have been split.
                self.assertIn(
                    excel_length(value),
                    (exports.EXCEL_CELL_LIMIT, exports.EXCEL_CELL_LIMIT - 1),
                )
                self.assertTrue(whole.startswith(value.removesuffix(exports.TRUNCATED)))
                for part in parts:
                    self.assertLessEqual(
                        excel_length(part["Whole text, in parts"]),
                        exports.EXCEL_CELL_LIMIT,
                    )

    def test_emoji_and_right_to_left_text_come_back_as_typed(self) -> None:
        values = {v for _t, _w, v in self.cells()}
        for kind in UNCHANGED:
            with self.subTest(kind=kind):
                self.assertIn(HOSTILE[kind], values)
        reported = {(r["Sheet"], r["Cell"]) for r in self.report}
        for title, where, value in self.cells():
            if value in (HOSTILE[k] for k in UNCHANGED):
                self.assertNotIn((title, where), reported)

    def test_datetimes_name_their_zone(self) -> None:
        zone = zone_label(self.campaign.display_timezone)
        zones = ("(UTC)", f"({zone})")
        unnamed, seen = [], 0
        for title, rows in self.sheets.items():
            header = rows[0]
            for row in rows[1:]:
                for index, value in enumerate(row):
                    if not isinstance(value, tuple) or "h" not in value[1]:
                        continue  # not a datetime, or a date
                    # Item/value sheets (Manifest) name the zone in the item.
                    label = row[0] if title == "Manifest" else header[index]
                    if not str(label).endswith(zones):
                        unnamed.append((title, label))
                    seen += 1
        self.assertEqual(unnamed, [])
        self.assertGreater(seen, 1000)
        utc = self.manifest["Deadline (UTC)"][0]
        local = self.manifest[f"Deadline ({zone})"][0]
        offset = self.campaign.deadline.astimezone(
            ZoneInfo(self.campaign.display_timezone)
        ).utcoffset()
        self.assertNotEqual(offset, timedelta(0))
        self.assertEqual(local - utc, offset)
