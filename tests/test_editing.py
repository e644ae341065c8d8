from __future__ import annotations

import random
import threading

from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase
from django.utils import timezone

from survey.editing import Edit, merge
from survey.models import Response
from tests.helpers import make_response, make_user


def run(**kwargs):  # type: ignore[no-untyped-def]
    defaults = {
        "current_meta": {},
        "question_ids": ["A1", "A2", "A3"],
        "editor": "me",
        "at": "2026-11-26T12:00:00+00:00",
    }
    return merge(**{**defaults, **kwargs})


class MergeTests(SimpleTestCase):
    def test_unchanged_version_applies_every_edit(self) -> None:
        result = run(
            current={"A1": "x"},
            current_version=3,
            loaded={"A1": "x"},
            loaded_version=3,
            posted={"A1": "y", "A2": "z"},
        )
        self.assertEqual(result.answers, {"A1": "y", "A2": "z"})
        self.assertEqual(result.changed, ["A1", "A2"])
        self.assertEqual(result.meta["A1"]["by"], "me")

    def test_edits_to_different_questions_merge(self) -> None:
        result = run(
            current={"A1": "theirs"},
            current_version=4,
            loaded={},
            loaded_version=3,
            posted={"A1": None, "A2": "mine"},
        )
        self.assertEqual(result.answers, {"A1": "theirs", "A2": "mine"})
        self.assertEqual(result.conflicts, [])

    def test_same_question_changed_by_both_is_a_conflict(self) -> None:
        result = run(
            current={"A1": "theirs"},
            current_meta={"A1": {"by": "pat", "at": "t"}},
            current_version=4,
            loaded={"A1": "old"},
            loaded_version=3,
            posted={"A1": "mine"},
        )
        self.assertEqual(result.answers, {"A1": "theirs"})
        conflict = result.conflicts[0]
        self.assertEqual(
            (conflict.theirs, conflict.yours, conflict.by), ("theirs", "mine", "pat")
        )

    def test_same_new_value_is_no_conflict(self) -> None:
        result = run(
            current={"A1": "same"},
            current_version=4,
            loaded={},
            loaded_version=3,
            posted={"A1": "same"},
        )
        self.assertEqual((result.conflicts, result.changed), ([], []))

    def test_clearing_removes_the_answer_and_invalid_fields_are_left_alone(
        self,
    ) -> None:
        result = run(
            current={"A1": "x", "A2": "keep"},
            current_version=1,
            loaded={"A1": "x", "A2": "keep"},
            loaded_version=1,
            posted={"A1": None},
        )
        self.assertEqual(result.answers, {"A2": "keep"})


class ConcurrentEditTests(TransactionTestCase):
    """DL-5: threads load, modify and save at random; no update is lost."""

    def test_final_state_is_the_last_successful_write_of_each_question(self) -> None:
        response = make_response()
        users = [make_user(organisation=response.organisation) for _ in range(4)]
        questions = ["A1", "A2", "B6a", "F2"]
        applied: list[tuple[int, str, str]] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work(number: int) -> None:
            rng = random.Random(number)
            try:
                for step in range(60):
                    current = Response.objects.get(pk=response.pk)
                    qid = rng.choice(questions)
                    value = f"{number}-{step}"
                    result = current.save_answers(
                        Edit(
                            {qid: value}, dict(current.answers), current.version, [qid]
                        ),
                        user=users[number],
                        ip=None,
                        at=timezone.now(),
                    )
                    if qid in result.changed:
                        with lock:
                            applied.append((current.version, qid, value))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        response.refresh_from_db()
        self.assertEqual(response.version, 1 + len(applied))
        for qid in questions:
            writes = [w for w in applied if w[1] == qid]
            if writes:
                self.assertEqual(response.answers.get(qid), max(writes)[2], qid)
