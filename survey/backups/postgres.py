"""PostgreSQL backups through pg_dump/pg_restore, in the snapshot the manifest is read in."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from survey.backups.manifest import Inventory, read_inventory, table_names

# DATABASE_URL query parameters that libpq understands; Django's own OPTIONS keys
# (pool, isolation_level, server_side_binding, ...) mean nothing to pg_dump.
LIBPQ_OPTIONS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "options",
        "sslcert",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslrootcert",
        "target_session_attrs",
    }
)


class ToolFailed(Exception):
    """pg_dump or pg_restore exited non-zero (its stderr is the message)."""


def conninfo(database: Mapping[str, Any]) -> str:
    """A libpq connection string for a Django DATABASES entry, without its password,
    which goes through the environment so that no process list shows it."""
    options = database.get("OPTIONS") or {}
    params = {
        "dbname": database["NAME"],
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        "user": database.get("USER"),
        **{key: value for key, value in options.items() if key in LIBPQ_OPTIONS},
    }
    return make_conninfo(**{key: str(v) for key, v in params.items() if v})


def environment(database: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def _connect(database: Mapping[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(
        conninfo(database), password=database.get("PASSWORD") or None
    )


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if found is None:
        raise ToolFailed(f"{name} not found: install the PostgreSQL client tools.")
    return found


def _run(database: Mapping[str, Any], args: list[str]) -> None:
    done = subprocess.run(
        args, env=environment(database), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise ToolFailed(done.stderr.strip() or f"{args[0]} exited {done.returncode}")


def dump(
    database: Mapping[str, Any], dest: Path, submissions_table: str
) -> tuple[datetime, Inventory]:
    """pg_dump --format=custom into `dest`, and the inventory of the same snapshot.

    A repeatable-read transaction exports its snapshot and pg_dump imports it, so the
    counts and digests describe exactly the rows in the dump, while the app writes on.
    """
    with _connect(database) as db:
        db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        db.read_only = True
        taken_at, snapshot = db.execute(
            "SELECT now(), pg_export_snapshot()"
        ).fetchall()[0]
        _run(
            database,
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={dest}",
                f"--dbname={conninfo(database)}",
            ],
        )
        inventory = read_inventory(db.cursor(), "postgresql", submissions_table)
        db.rollback()
    return taken_at, inventory


def is_empty(database: Mapping[str, Any]) -> bool:
    with _connect(database) as db:
        return not table_names(db.cursor(), "postgresql")


def restore(backup: Path, database: Mapping[str, Any], clean: bool) -> None:
    """pg_restore in one transaction: a failure leaves the database as it was.

    Objects belong to the user of DATABASE_URL (--no-owner, --no-acl), so a dump taken
    on one server restores on another with other roles. `clean` drops the objects the
    dump holds before making them again.
    """
    _run(
        database,
        [
            _tool("pg_restore"),
            "--no-password",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-acl",
            *(["--clean", "--if-exists"] if clean else []),
            f"--dbname={conninfo(database)}",
            str(backup),
        ],
    )
