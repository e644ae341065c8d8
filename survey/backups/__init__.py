"""Online backups and verified restores (DL-7): SQLite's backup API, pg_dump/pg_restore.

Each backup gets a manifest beside it (survey.backups.manifest), read from the same
consistent state as the copy; a restore checks the file against it first, and the
restored database against it after.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import ConnectionHandler

from survey.backups import postgres, sqlite
from survey.backups.manifest import (
    Inventory,
    Manifest,
    differences,
    dumps,
    file_sha256,
    loads,
    manifest_path,
    read_inventory,
)

SUBMISSIONS_TABLE = "survey_submission"
_FAILURES = (sqlite3.Error, psycopg.Error, DatabaseError, postgres.ToolFailed, OSError)


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with the reason for the operator."""


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    seconds: float  # restoring the file
    verify_seconds: float  # checking the result against the manifest
    problems: tuple[str, ...]


def engine(database: Mapping[str, Any]) -> str:
    """The backup method for a Django DATABASES entry."""
    name = database["ENGINE"].rsplit(".", 1)[-1]
    kinds = {"sqlite3": "sqlite", "postgresql": "postgresql"}
    if name not in kinds:
        raise BackupError(f"No backup method for {database['ENGINE']}.")
    return kinds[name]


def default_name(kind: str, now: datetime) -> str:
    suffix = ".sqlite3" if kind == "sqlite" else ".dump"
    return f"survey-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{suffix}"


def take(database: Mapping[str, Any], output: Path) -> Manifest:
    """Back up the database, online, to `output` and write its manifest beside it.

    Both are written under a temporary name first: a file under its final name is
    always complete, and the manifest appears last.
    """
    kind = engine(database)
    if output.exists() or manifest_path(output).exists():
        raise BackupError(f"{output} exists: a backup is never overwritten.")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f"{output.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        taken_at, inventory = _copy(kind, database, partial)
        partial.replace(output)
    except _FAILURES as error:
        raise BackupError(f"Backup failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        taken_at=taken_at.astimezone(UTC).isoformat(),
        engine=kind,
        database=str(database["NAME"]),
        backup=output.name,
        backup_sha256=file_sha256(output),
        seconds=round(time.monotonic() - started, 3),
        inventory=inventory,
    )
    _write_atomically(manifest_path(output), dumps(manifest))
    return manifest


def _copy(
    kind: str, database: Mapping[str, Any], dest: Path
) -> tuple[datetime, Inventory]:
    if kind == "postgresql":
        return postgres.dump(database, dest, SUBMISSIONS_TABLE)
    taken_at = datetime.now(UTC)
    return taken_at, sqlite.snapshot(Path(database["NAME"]), dest, SUBMISSIONS_TABLE)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(text)
    partial.replace(path)


def read_manifest(backup: Path) -> Manifest:
    path = manifest_path(backup)
    if not backup.exists():
        raise BackupError(f"No backup {backup}.")
    if not path.exists():
        raise BackupError(
            f"No manifest {path}: only a backup made by `manage.py backup` can be "
            "restored and checked."
        )
    try:
        return loads(path.read_text())
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"Unreadable manifest {path}: {error}") from error


def restore(backup: Path, database: Mapping[str, Any], force: bool) -> Restored:
    """Restore `backup` into the database, then check the result against its manifest.

    Refused unless the database is empty (no tables), or `force` is given, which
    replaces what it holds.
    """
    manifest = read_manifest(backup)
    kind = engine(database)
    if manifest.engine != kind:
        raise BackupError(f"{backup} is a {manifest.engine} backup, not {kind}.")
    started = time.monotonic()
    if file_sha256(backup) != manifest.backup_sha256:
        raise BackupError(
            f"{backup} has changed since it was made (its SHA-256 is not the "
            "manifest's): nothing was restored."
        )
    try:
        _replace(kind, backup, database, force)
    except _FAILURES as error:
        raise BackupError(f"Restore failed: {error}") from error
    restored = time.monotonic()
    problems = verify(database, manifest)
    return Restored(
        manifest=manifest,
        seconds=restored - started,
        verify_seconds=time.monotonic() - restored,
        problems=tuple(problems),
    )


def _replace(kind: str, backup: Path, database: Mapping[str, Any], force: bool) -> None:
    empty = (
        sqlite.is_empty(Path(database["NAME"]))
        if kind == "sqlite"
        else postgres.is_empty(database)
    )
    if not empty and not force:
        raise BackupError(
            f"The database {database['NAME']} is not empty: nothing was restored. "
            "Restore into an empty database, or give --force to replace everything "
            "it holds with the backup."
        )
    if kind == "sqlite":
        sqlite.restore(backup, Path(database["NAME"]))
    else:
        postgres.restore(backup, database, clean=not empty)


def verify(database: Mapping[str, Any], manifest: Manifest) -> list[str]:
    """Every way the database differs from the backup's manifest ([] when none):
    migrations (as `migrate --check`), system checks, SQLite's integrity and foreign
    keys, the row count of every table and the SHA-256 of every submission."""
    kind = engine(database)
    handler = ConnectionHandler({DEFAULT_DB_ALIAS: dict(database)})
    try:
        wrapper = handler[DEFAULT_DB_ALIAS]
        problems = migration_problems(wrapper) + check_problems()
        if kind == "sqlite":
            problems += sqlite.integrity_problems(Path(database["NAME"]))
        with wrapper.cursor() as cursor:
            actual = read_inventory(cursor, kind, SUBMISSIONS_TABLE)
    except _FAILURES as error:
        raise BackupError(f"Checking {database['NAME']} failed: {error}") from error
    finally:
        handler.close_all()
    return problems + differences(manifest.inventory, actual)


def migration_problems(wrapper: BaseDatabaseWrapper) -> list[str]:
    """Migrations the code has and the database lacks, and the reverse (a backup made
    by newer code)."""
    executor = MigrationExecutor(wrapper)
    graph = executor.loader.graph
    unapplied = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(set(executor.loader.applied_migrations) - set(graph.nodes))
    return [
        f"migration {m.app_label}.{m.name} is not applied" for m, _back in unapplied
    ] + [
        f"migration {app}.{name} is applied but not in the code"
        for app, name in unknown
    ]


def check_problems() -> list[str]:
    return [str(message) for message in checks.run_checks() if message.is_serious()]
