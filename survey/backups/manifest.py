"""The manifest beside a backup: what the backup holds, to check a restore against."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from survey.models.questionnaires import canonical_json

FORMAT = 1
# Enough for a terminal; the rest is counted, not listed.
SHOWN_DIFFERENCES = 20


class Cursor(Protocol):
    """The part of a DB-API cursor used here (sqlite3, psycopg, Django's wrapper)."""

    def execute(self, sql: str) -> Any: ...

    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True)
class SubmissionDigest:
    id: int
    response: int
    number: int
    stored: str  # Submission.sha256, as the submit wrote it
    recomputed: str  # from the answers and uses as they are in the database


@dataclass(frozen=True)
class Inventory:
    counts: dict[str, int]
    submissions: tuple[SubmissionDigest, ...]

    def submissions_sha256(self) -> str:
        """One digest of every submission's answers, sorted (DL-7's summary figure)."""
        lines = sorted(f"{s.id}:{s.recomputed}\n" for s in self.submissions)
        return hashlib.sha256("".join(lines).encode()).hexdigest()

    def unsealed(self) -> list[SubmissionDigest]:
        """Submissions whose answers no longer give the SHA-256 stored at submit."""
        return [s for s in self.submissions if s.stored != s.recomputed]


@dataclass(frozen=True)
class Manifest:
    taken_at: str  # ISO 8601, UTC: the instant the copied state was read
    engine: str  # "sqlite" or "postgresql"
    database: str  # the name (never the password)
    backup: str  # the backup file's name, beside this manifest
    backup_sha256: str
    seconds: float  # how long the backup took
    inventory: Inventory
    format: int = FORMAT


def manifest_path(backup: Path) -> Path:
    return backup.with_name(f"{backup.name}.manifest.json")


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def answers_sha256(answers: Any, uses: Any) -> str:
    """The submit's digest (Response.answers_digest) of a submission as stored."""
    document = {"answers": _json(answers), "uses": _json(uses)}
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def _json(value: Any) -> Any:
    # SQLite (and Django's psycopg setup) return JSON columns as text, bare psycopg
    # decodes jsonb itself.
    return json.loads(value) if isinstance(value, str | bytes) else value


def table_names(cursor: Cursor, engine: str) -> list[str]:
    if engine == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename"
        )
    return [row[0] for row in cursor.fetchall()]


def read_inventory(cursor: Cursor, engine: str, submissions_table: str) -> Inventory:
    """Row counts of every table and the digests of every submission, read in the
    cursor's transaction (so, for a consistent backup, in the backup's snapshot)."""
    counts = {}
    for table in table_names(cursor, engine):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(cursor.fetchall()[0][0])
    digests: tuple[SubmissionDigest, ...] = ()
    if submissions_table in counts:
        cursor.execute(
            "SELECT id, response_id, number, sha256, answers, uses "
            f'FROM "{submissions_table}" ORDER BY id'
        )
        digests = tuple(
            SubmissionDigest(row[0], row[1], row[2], row[3], answers_sha256(*row[4:]))
            for row in cursor.fetchall()
        )
    return Inventory(counts, digests)


def differences(expected: Inventory, actual: Inventory) -> list[str]:
    """What a restored database holds that its backup did not, one line each."""
    return _count_differences(expected.counts, actual.counts) + _digest_differences(
        expected.submissions, actual.submissions
    )


def _count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    lines = []
    for table in sorted(expected.keys() | actual.keys()):
        if table not in actual:
            lines.append(f"table {table}: in the backup, missing after the restore")
        elif table not in expected:
            lines.append(f"table {table}: not in the backup, present after the restore")
        elif expected[table] != actual[table]:
            lines.append(
                f"table {table}: {expected[table]} rows in the backup, "
                f"{actual[table]} after the restore"
            )
    return lines


def _digest_differences(
    expected: tuple[SubmissionDigest, ...], actual: tuple[SubmissionDigest, ...]
) -> list[str]:
    before = {s.id: s for s in expected}
    after = {s.id: s for s in actual}
    lines = []
    for pk in sorted(before.keys() | after.keys()):
        old, new = before.get(pk), after.get(pk)
        if old is None or new is None:
            where = "backup" if new is None else "restored database"
            lines.append(f"submission {pk}: only in the {where}")
        elif old != new:
            lines.append(
                f"submission {pk} (response {old.response} #{old.number}): "
                + _changed(old, new)
            )
    return lines


def _changed(old: SubmissionDigest, new: SubmissionDigest) -> str:
    if old.recomputed != new.recomputed:
        return (
            f"answers SHA-256 {old.recomputed} in the backup, {new.recomputed} restored"
        )
    return f"stored SHA-256 {old.stored} in the backup, {new.stored} restored"


def summarise(lines: list[str]) -> str:
    shown = lines[:SHOWN_DIFFERENCES]
    more = len(lines) - len(shown)
    return "\n".join(shown + ([f"... and {more} more"] if more else []))


def dumps(manifest: Manifest) -> str:
    return json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n"


def loads(text: str) -> Manifest:
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown manifest format {data.get('format')!r}")
    inventory = data.pop("inventory")
    return Manifest(
        **data,
        inventory=Inventory(
            counts=inventory["counts"],
            submissions=tuple(SubmissionDigest(**s) for s in inventory["submissions"]),
        ),
    )
