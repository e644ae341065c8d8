"""EX-3: an export run while a thread submits and edits is one consistent snapshot.

A writer thread works on six organisations through the model's own verbs, each in its
own transaction: a reviewer returns a response, its preparer edits the draft, adds or
removes a use, its signatory submits again (a new submission number, another count of
uses), and so on round the organisations. After each commit it records the database's
state from its own connection. Only it writes, so those are all the states there are.

The export runs meanwhile, in the test's thread. Its progress callback, called after
every detail row, waits for the writer's next commit, so that commits land between
the Summary's queries, the Contractors rows, the Uses rows and the aggregates that
follow. The workbook read back must be self-consistent and equal one recorded state:
the Summary's counts, each contractor's submission, status, number of uses and answer,
and the uses listed for it on the Uses sheet. Without the snapshot transaction
(survey.exports.snapshot) the Uses sheet shows submissions that the Contractors sheet
does not, and this fails.
"""

from __future__ import annotations

import threading
from collections import Counter
from io import BytesIO
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max
from django.test import TransactionTestCase
from django.utils import timezone
from openpyxl import load_workbook

from survey import exports
from survey.analytics import Filter
from survey.editing import Edit
from survey.exports import writer as writer_module
from survey.exports.snapshot import snapshot
from survey.models import Membership, Response, Submission, Use, Vendor
from tests.analytics_data import respond
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_user,
)

ORGANISATIONS = 6
PHASES = ("return", "edit", "uses", "submit")
LABELS = {str(label): code for code, label in Response.Status.choices}
# How long the export waits for the writer's next commit before reading on.
WAIT = 5.0


def db_state(campaign_id: int, drafts: bool) -> tuple[Any, ...]:
    """What an export of the campaign should show, as the database stands now."""
    responses = Response.objects.filter(campaign_id=campaign_id)
    statuses = tuple(
        sorted(Counter(responses.values_list("status", flat=True)).items())
    )
    if drafts:
        uses = dict(
            Use.objects.filter(response__campaign_id=campaign_id)
            .values("response_id")
            .annotate(n=Count("pk"))
            .values_list("response_id", "n")
        )
        rows = frozenset(
            (r.pk, None, r.status, uses.get(r.pk, 0), r.answers.get("A1"))
            for r in responses.exclude(status=Response.Status.WITHDRAWN)
        )
        return rows, statuses
    counted = Submission.objects.filter(
        response__campaign_id=campaign_id, latest=True
    ).exclude(response__status=Response.Status.WITHDRAWN)
    uses = dict(
        Use.attested.filter(counted_in_id=campaign_id)
        .values("submission_id")
        .annotate(n=Count("pk"))
        .values_list("submission_id", "n")
    )
    rows = frozenset(
        (s.response_id, s.number, s.response.status, uses.get(s.pk, 0), s.answers["A1"])
        for s in counted.select_related("response")
    )
    return rows, statuses


def workbook_state(test: TransactionTestCase, content: bytes) -> tuple[Any, ...]:
    """The same, read from the workbook, after checking its sheets agree."""
    book = load_workbook(BytesIO(content), read_only=True)
    sheets = {
        title: list(book[title].iter_rows(values_only=True))
        for title in ("Summary", "Contractors", "Uses")
    }
    book.close()
    header, *contractors = sheets["Contractors"]
    col = {h: i for i, h in enumerate(header)}
    a1 = next(i for i, h in enumerate(header) if str(h).startswith("A1: "))
    listed = Counter(row[0] for row in sheets["Uses"][1:])
    rows = set()
    for row in contractors:
        pk, uses = row[col["Response id"]], row[col["Uses"]]
        # No contractor half-submitted: its row and its uses are of one submission.
        test.assertEqual(listed.get(pk, 0), uses, f"response {pk}")
        status = LABELS[row[col["Status"]]]
        rows.add((pk, row[col["Submission number"]], status, uses, row[a1]))
    test.assertEqual(set(listed) - {r[0] for r in rows}, set())
    summary = {row[0]: row[1] for row in sheets["Summary"] if len(row) > 1}
    test.assertEqual(summary["Contractors counted"], len(contractors))
    test.assertEqual(summary["Uses in all"], len(sheets["Uses"]) - 1)
    statuses = tuple(
        sorted(
            (code, summary[str(label)])
            for code, label in Response.Status.choices
            if summary[str(label)]
        )
    )
    return frozenset(rows), statuses


class Writer(threading.Thread):
    """Returns, edits, adds or removes a use and submits, round the organisations,
    recording the state after each commit until told to stop."""

    def __init__(self, campaign: Any, reviewer: Any, responses: list[Response]) -> None:
        super().__init__(name="export-snapshot-writer")
        self.campaign, self.reviewer, self.responses = campaign, reviewer, responses
        self.stop = threading.Event()
        self.committed = threading.Condition()
        self.commits = 0
        self.states: dict[bool, set[tuple[Any, ...]]] = {True: set(), False: set()}
        self.errors: list[BaseException] = []
        self.done = dict.fromkeys((r.pk for r in responses), 0)
        # Staggered: the organisations are at different steps of the round, so that
        # every few commits one is returned and another submits.
        for n, response in enumerate(responses):
            for _ in range(n % len(PHASES)):
                self.advance(response.pk)
        self.record()

    def record(self) -> None:
        for drafts in (False, True):
            self.states[drafts].add(db_state(self.campaign.pk, drafts))
        with self.committed:
            self.commits += 1
            self.committed.notify_all()

    def wait_for_commit(self) -> None:
        with self.committed:
            seen = self.commits
            self.committed.wait_for(
                lambda: self.commits > seen or not self.is_alive(), timeout=WAIT
            )

    def run(self) -> None:
        try:
            step = 0
            while not self.stop.is_set():
                self.advance(self.responses[step % len(self.responses)].pk)
                self.record()
                step += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            connection.close()

    def advance(self, pk: int) -> None:
        """The response's next step of the round, in its own transaction."""
        phase = PHASES[self.done[pk] % len(PHASES)]
        self.act(Response.objects.get(pk=pk), phase, self.done[pk])
        self.done[pk] += 1

    def act(self, response: Response, phase: str, step: int) -> None:
        now = timezone.now()
        members = {
            m.role: m.user
            for m in Membership.objects.filter(organisation=response.organisation)
        }
        if phase == "return":
            response.return_for_clarification(
                self.reviewer, [("A1", None, "Please check the name.")]
            )
        elif phase == "edit":
            name = f"{response.organisation.legal_name} (edit {step})"
            edit = Edit({"A1": name}, dict(response.answers), response.version, ["A1"])
            response.save_answers(
                edit, user=members[Membership.Role.PREPARER], ip=None, at=now
            )
        elif phase == "uses":
            uses = list(response.uses.all())
            if len(uses) > 1:
                response.remove_use(
                    uses[-1], members[Membership.Role.PREPARER], None, now
                )
            else:
                self.add_use(response, now)
        else:
            response.submit(members[Membership.Role.SIGNATORY], None, now)

    def add_use(self, response: Response, now: Any) -> None:
        with transaction.atomic():
            locked = Response.lock_for_write(response.pk, now)
            last = locked.uses.aggregate(last=Max("position"))["last"] or 0
            use = Use(
                response=locked,
                position=last + 1,
                answers=complete_use_answers(D1=f"Use {last + 1}"),
            )
            use.refresh_derived(locked.campaign.questionnaire.parsed, locked.answers)
            use.save()
            locked.refresh_scores(list(locked.uses.all()))
            locked.save()


class ConcurrentExportTests(TransactionTestCase):
    """Real commits from another connection while the export reads."""

    def setUp(self) -> None:
        self.campaign = make_campaign()
        self.reviewer = make_user("reviewer@example.com", is_staff=True)
        self.responses = [
            respond(
                self.campaign,
                f"Organisation {n}",
                complete_org_answers(A1=f"Organisation {n}"),
                [complete_use_answers(D1=f"Use {u}") for u in range(1, n % 2 + 2)],
            )
            for n in range(ORGANISATIONS)
        ]
        # A progress report after every row: the writer commits between any two.
        self.addCleanup(
            setattr, writer_module, "PROGRESS_EVERY", writer_module.PROGRESS_EVERY
        )
        writer_module.PROGRESS_EVERY = 1

    def test_an_export_beside_submits_and_edits_is_one_snapshot(self) -> None:
        writer = Writer(self.campaign, self.reviewer, self.responses)
        writer.start()
        results = []
        try:
            for drafts in (False, True, False, True):
                before = writer.commits
                handle = BytesIO()
                exports.write(
                    self.campaign,
                    exports.Options(filter=Filter(include_drafts=drafts)),
                    handle,
                    generated_by="analyst@example.com",
                    now=timezone.now(),
                    progress=lambda done, total: writer.wait_for_commit(),
                )
                results.append((drafts, handle.getvalue(), writer.commits - before))
        finally:
            writer.stop.set()
            writer.join()
        self.assertEqual(writer.errors, [])
        for drafts, content, commits in results:
            with self.subTest(drafts=drafts):
                # The writer committed many times while this export read.
                self.assertGreater(commits, 5)
                self.assertIn(workbook_state(self, content), writer.states[drafts])


class SnapshotTests(TransactionTestCase):
    """The transaction itself: read-only, and the connection as it was afterwards."""

    def test_nothing_is_written_inside_and_the_connection_is_restored(self) -> None:
        mode = getattr(connection, "transaction_mode", None)
        with snapshot():
            self.assertIs(connection.in_atomic_block, True)
            with self.assertRaises(DatabaseError):
                Vendor.objects.create(name="Written inside the snapshot")
        self.assertIs(connection.in_atomic_block, False)
        self.assertFalse(Vendor.objects.filter(name__startswith="Written").exists())
        # Writes work again, and SQLite's transactions take the write lock at BEGIN.
        Vendor.objects.create(name="Written after")
        self.assertEqual(getattr(connection, "transaction_mode", None), mode)
