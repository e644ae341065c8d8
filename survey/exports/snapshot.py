"""One export, one instant: every read of a workbook in one read-only transaction.

A workbook is built from many queries (the aggregates, then the Contractors and Uses
sheets in chunks, then more aggregates). Each in its own transaction, a submission
committing between two of them would show a contractor half-submitted: its row from
one submission, its uses from the next, the totals from neither (checklist EX-3).

- PostgreSQL: REPEATABLE READ, READ ONLY, set as the transaction's first statement, so
  that every query sees the snapshot of the first one.
- SQLite: a DEFERRED transaction, which under WAL (survey.env) reads one snapshot from
  its first SELECT on and lets writers commit beside it. The settings' IMMEDIATE mode
  would take the write lock for the whole export and stop every autosave meanwhile.
  PRAGMA query_only makes a write inside it fail, as READ ONLY does on PostgreSQL.

The price of one snapshot is one long transaction, for as long as the export runs (a
10,000-response workbook takes about 15 s): PostgreSQL's VACUUM cannot clean rows
changed meanwhile, and an `idle_in_transaction_session_timeout` on the server must stay
above the export's length (EXPORT_TIMEOUT_MINUTES); SQLite's checkpoint cannot pass the
snapshot until it ends, so the WAL file grows by the writes made meanwhile.

Nothing may be written on this connection meanwhile: a job reports its progress on
another one (survey.jobs). Inside a transaction the caller opened (a test's, a
management command's), that transaction decides what the reads see, as it must.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Reads inside this block see the database as it stood at their first query."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            yield
        return
    # SQLite, the only other database the settings know.
    connection.ensure_connection()  # connecting would set the mode from settings
    # query_only around the transaction, not inside it: after an error in the block,
    # Django runs nothing more before the rollback, and the setting would stay on.
    with (
        _begin(connection, "DEFERRED"),
        _query_only(connection),
        transaction.atomic(using),
    ):
        yield


@contextmanager
def _begin(connection: BaseDatabaseWrapper, mode: str) -> Iterator[None]:
    """SQLite's BEGIN mode for the transactions opened inside this block."""
    before = connection.transaction_mode
    connection.transaction_mode = mode
    try:
        yield
    finally:
        connection.transaction_mode = before


@contextmanager
def _query_only(connection: BaseDatabaseWrapper) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        # A setting of the connection, not of the transaction: it would outlive it.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
