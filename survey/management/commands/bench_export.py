"""python manage.py bench_export --responses N: the campaign workbook against raw openpyxl.

Run by `make bench`. The export runs in a child process, so that its peak RSS is its
own; then the same cells (read back from the file it wrote) are written by a second
child with bare openpyxl write-only, no Django and no styling: the baseline. The same
export at a tenth of the size shows whether memory grows with the campaign. One JSON
line: {"name": "export", "seconds", "baseline_seconds", "ratio", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from survey import exports
from survey.models import Campaign, Use


class Command(BaseCommand):
    help = (
        "Time the campaign workbook export against a raw openpyxl write of its cells."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--responses", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--child", nargs=2, metavar=("SLUG", "OUTPUT"))
        parser.add_argument("--baseline", nargs=2, metavar=("CELLS", "OUTPUT"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["child"]:
            self.child(*options["child"])
        elif options["baseline"]:
            self.raw(*options["baseline"])
        else:
            self.parent(options["responses"], options["seed"])

    def parent(self, size: int, seed: int) -> None:
        folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
        tenth = max(size // 10, 1)
        for n in (size, tenth):
            self.campaign(n, seed)
        full = self.spawn(["--child", f"bench-{size}", str(folder / "full.xlsx")])
        small = self.spawn(["--child", f"bench-{tenth}", str(folder / "tenth.xlsx")])
        cells = folder / "cells.pickle"
        _dump_cells(folder / "full.xlsx", cells)
        baseline = self.spawn(["--baseline", str(cells), str(folder / "raw.xlsx")])
        uses = Use.attested.filter(counted_in__slug=f"bench-{size}").count()
        self.stdout.write(
            json.dumps(
                {
                    "name": "export",
                    "seconds": full["seconds"],
                    "baseline_seconds": baseline["seconds"],
                    "ratio": round(full["seconds"] / baseline["seconds"], 3),
                    "peak_rss_mb": full["peak_rss_mb"],
                    "peak_rss_mb_tenth": small["peak_rss_mb"],
                    "rows": full["rows"],
                    "cells": baseline["cells"],
                    "responses": size,
                    "uses": uses,
                    "db": connection.vendor,
                }
            )
        )
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()

    def campaign(self, size: int, seed: int) -> None:
        if not Campaign.objects.filter(slug=f"bench-{size}").exists():
            call_command(
                "generate_campaign",
                f"bench-{size}",
                responses=size,
                seed=seed,
                scratch=True,
                stdout=self.stderr,
            )

    def spawn(self, arguments: list[str]) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, sys.argv[0], "bench_export", *arguments],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def child(self, slug: str, output: str) -> None:
        campaign = Campaign.objects.select_related("vendor", "questionnaire").get(
            slug=slug
        )
        started = time.perf_counter()
        with open(output, "wb") as handle:
            counts = exports.write(
                campaign,
                exports.Options(),
                handle,
                generated_by="bench",
                now=timezone.now(),
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            json.dumps(
                {
                    "seconds": round(seconds, 3),
                    "peak_rss_mb": _peak_rss_mb(),
                    "rows": sum(counts.values()),
                }
            )
        )

    def raw(self, cells_path: str, output: str) -> None:
        """The baseline: the same values, appended row by row, nothing else."""
        from openpyxl import Workbook

        with open(cells_path, "rb") as handle:
            sheets = pickle.load(handle)  # noqa: S301 - our own file, just written
        started = time.perf_counter()
        book = Workbook(write_only=True)
        cells = 0
        for title, rows in sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
                cells += len(row)
        book.save(output)
        seconds = time.perf_counter() - started
        self.stdout.write(json.dumps({"seconds": round(seconds, 3), "cells": cells}))


def _dump_cells(workbook: Path, target: Path) -> None:
    """Every value of the export, by sheet, for the baseline to write again."""
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    sheets = [
        (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
        for sheet in book.worksheets
    ]
    book.close()
    with target.open("wb") as handle:
        pickle.dump(sheets, handle)


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
