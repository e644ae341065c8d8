"""Merging one user's edits into answers that others may have changed meanwhile.

Each save carries the version and the answers the user loaded. Questions the user changed
are applied unless someone else changed the same question since the load: those are
conflicts, reported with both values and never silently overwritten. Edits to different
questions merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Conflict:
    question_id: str
    theirs: Any
    yours: Any
    by: str = ""
    at: str = ""


@dataclass
class Merge:
    answers: dict[str, Any]
    meta: dict[str, dict[str, str]]
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def merge(
    *,
    current: Mapping[str, Any],
    current_meta: Mapping[str, dict[str, str]],
    current_version: int,
    loaded: Mapping[str, Any],
    loaded_version: int,
    posted: Mapping[str, Any],
    question_ids: Iterable[str],
    editor: str,
    at: str,
    overwrite: Iterable[str] = (),
) -> Merge:
    """Apply the user's changes (posted vs loaded) to the current answers.

    `overwrite` names questions where the user, shown both values, chose to keep theirs.
    """
    overwrite = set(overwrite)
    answers = dict(current)
    meta = dict(current_meta)
    result = Merge(answers=answers, meta=meta)
    for qid in question_ids:
        if qid not in posted:
            continue  # invalid on this save: keep what is stored
        yours, before = posted[qid], loaded.get(qid)
        if yours == before:
            continue  # not edited by this user
        theirs = current.get(qid)
        stale = current_version != loaded_version and qid not in overwrite
        if stale and theirs != before and theirs != yours:
            info = current_meta.get(qid, {})
            result.conflicts.append(
                Conflict(qid, theirs, yours, info.get("by", ""), info.get("at", ""))
            )
            continue
        if theirs == yours:
            continue
        if yours is None:
            answers.pop(qid, None)
        else:
            answers[qid] = yours
        meta[qid] = {"by": editor, "at": at}
        result.changed.append(qid)
    return result


@dataclass(frozen=True)
class Edit:
    """One save from a page: what the user posted and the state the page was built from."""

    posted: Mapping[str, Any]
    loaded: Mapping[str, Any]
    loaded_version: int
    question_ids: Sequence[str]
    overwrite: frozenset[str] = frozenset()

    def only(self, question_ids: Iterable[str]) -> Edit:
        """This edit limited to some questions (the others keep what is stored)."""
        keep = set(question_ids)
        return replace(self, question_ids=[q for q in self.question_ids if q in keep])

    def apply(
        self,
        current: Mapping[str, Any],
        current_meta: Mapping[str, dict[str, str]],
        current_version: int,
        editor: str,
        at: str,
    ) -> Merge:
        return merge(
            current=current,
            current_meta=current_meta,
            current_version=current_version,
            loaded=self.loaded,
            loaded_version=self.loaded_version,
            posted=self.posted,
            question_ids=self.question_ids,
            editor=editor,
            at=at,
            overwrite=self.overwrite,
        )
