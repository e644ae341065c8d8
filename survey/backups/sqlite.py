"""SQLite backups through the online backup API: a consistent copy while the app writes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from survey.backups.manifest import Inventory, read_inventory, table_names


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    # A URI with a mode never creates a missing file, as a plain connect would.
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=20)


def snapshot(source: Path, dest: Path, submissions_table: str) -> Inventory:
    """Copy `source` to `dest` and read what the copy holds.

    The copy is made in one step (pages=-1), so it is one committed state: in WAL mode
    writers carry on meanwhile, and the copy never sees a half-written transaction.
    """
    with (
        closing(_connect(source, "rw")) as live,
        closing(sqlite3.connect(dest)) as copy,
    ):
        live.backup(copy, pages=-1)
        # One self-contained file: no -wal beside it to forget.
        copy.execute("PRAGMA journal_mode=DELETE")
        return read_inventory(copy.cursor(), "sqlite", submissions_table)


def is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    with closing(_connect(path, "ro")) as db:
        return not table_names(db.cursor(), "sqlite")


def restore(backup: Path, target: Path) -> None:
    """Write the backup's pages over `target` (created if missing), through the same API.

    Unlike a file copy, this takes the target's locks and leaves no stale -wal behind.
    """
    with (
        closing(_connect(backup, "ro")) as source,
        closing(sqlite3.connect(target, timeout=20)) as db,
    ):
        source.backup(db, pages=-1)
        db.execute("PRAGMA journal_mode=WAL")


def integrity_problems(path: Path) -> list[str]:
    """PRAGMA integrity_check and foreign_key_check, as lines of text ([] when sound)."""
    with closing(_connect(path, "ro")) as db:
        checked = [row[0] for row in db.execute("PRAGMA integrity_check")]
        dangling = db.execute("PRAGMA foreign_key_check").fetchall()
    lines = [] if checked == ["ok"] else [f"integrity_check: {c}" for c in checked]
    return lines + [
        f"foreign_key_check: {table} row {rowid} points to a missing {parent}"
        for table, rowid, parent, _fk in dangling
    ]
