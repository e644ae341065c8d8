"""IN-2: fuzzed answers of every question type through the page form and the autosave.

Hypothesis draws a POST for an organisation section or for a use page of the default
questionnaire: for each question a valid value, a boundary value (huge or negative
numbers, years 1 and 9999, NaN and infinities, NUL and other control characters, lone
surrogates, strings of 100,000 characters, wrong option codes, several values where one
is expected), odd row keys, extra keys and a good, stale or broken edit state
(`version`, `loaded`). The request is sent as the browser would, urlencoded, to the page
form or to the autosave endpoint, over a draft that already holds answers.

Whatever is posted:
- no 5xx;
- a refused value is a field error (the page shown again; `status: invalid` with
  `errors` from the autosave), and the stored answer to that question stays;
- a value the page never sends (not one of a question's fixed choices, several for a
  single choice) refuses the whole post: nothing of it is saved (IN-4);
- nothing saved before is lost: answers of other sections, of the organisation (from a
  use page), text inputs left out of the POST and refused questions keep their value,
  and whatever the request changed is a well-formed answer of its type;
- text that goes in is read back as sent, apart from surrounding white space.

The examples are derandomized and no example database is kept, so a failure in CI comes
back on every run and on both databases (the same examples run on SQLite and
PostgreSQL, where a NUL or an out-of-range integer would break a write). FUZZ_EXAMPLES
raises the number of examples and FUZZ_RANDOM=1 draws new ones, for a longer hunt.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from survey import questionnaire as qn
from survey.forms.answers import CLEAR_SUFFIX, MAX_ROWS, UNKNOWN_SUFFIX
from survey.forms.fields import CURRENCY_MAX, TEXT_MAX, TEXTAREA_MAX
from survey.models import Membership, Response, Use
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or 30
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Radio buttons and checkboxes: left out of a POST, they mean "no answer".
TICKED = frozenset({"yesno", "yesno_unknown", "single", "multi"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Values in the draft before each fuzzed request: every section shown (B1 yes), every
# show-if branch with a dependent question open, so that each type has an answer to lose.
ORG_DRAFT = complete_org_answers(
    A4="business_units",
    A4a="Joint venture",
    B1="yes",
    B6a="Invoices and contract files.",
    C1=["other"],
    C1a="A reseller",
    C2="250000.00",
    E1="documented",
    E1a="2027-06-30",
    E2="partial",
    E2a=40,
    E3="15000.50",
)
USE_DRAFT = complete_use_answers(
    D2="cloud_platform",
    D2a=3,
    D16="highly_complex",
    D16a=["migration_difficulty"],
    D18="task_blocked",
    D18a="Data cannot be exported.",
)

# Strings that have broken form fields, decimals, dates or databases somewhere.
SPECIAL = [
    "",
    " ",
    "\t\r\n",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "inf",
    "-inf",
    "Infinity",
    "-Infinity",
    "1e309",
    "1E+999999999",
    "1e-999999999",
    "-0",
    "0.0000000000000000000001",
    "0x1F",
    "1_000",
    "١٢٣",
    "9" * 400,
    "-" + "9" * 40,
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    str(10**9),
    str(10**9 + 1),
    "100.001",
    "1000000000000.01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "1999-12-31",
    "2100-01-01",
    "2099-12-31",
    "2000-01-01",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202eevil",
    "zero\u200bwidth\ufeff",
    "e\u0301\u0301\u0301",
    "😀" * 3,
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "\ud800",
    "x\udfffy",
]
CHARS = st.one_of(
    st.characters(codec=None),
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\u202e", "\u200b", "\ufeff", "\u0301", "😀", "\x7f", "\x85"]),
)
LONG = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["a", "é", "😀", " ", "\x00", "\n"]),
    st.sampled_from([TEXT_MAX, TEXT_MAX + 1, TEXTAREA_MAX + 1, 100_000]),
)
NASTY = st.one_of(
    st.sampled_from(SPECIAL), st.text(CHARS, max_size=40), st.text(max_size=20), LONG
)
WORDS = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=60)


def _numbers(question: qn.Question) -> st.SearchStrategy[str]:
    low = int(question.min) if question.min is not None else 0
    high = int(question.max) if question.max is not None else 10**9
    edges = [low - 1, low, high, high + 1, -(10**30), 10**30]
    if question.type == "int":
        valid = st.integers(low, high).map(str)
    else:
        valid = st.decimals(low, min(high, 10**12), places=2).map(str)
    return st.one_of(
        valid,
        st.sampled_from(edges).map(str),
        st.integers().map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        NASTY,
    )


def _codes(question: qn.Question, org: dict[str, Any]) -> list[str]:
    if question.type in qn.FIXED_OPTIONS:
        return list(qn.FIXED_OPTIONS[question.type])
    if question.options_from:
        return [str(row.get("piid")) for row in org.get(question.options_from) or []]
    return [o.value for o in question.options]


@st.composite
def question_pairs(
    draw: st.DrawFn, question: qn.Question, org: dict[str, Any]
) -> list[tuple[str, str]]:
    """The POST pairs of one question: usually one valid or boundary value, sometimes
    none, several, or values under its subfield and row keys."""
    qid, kind = question.id, question.type
    if draw(st.integers(0, 5)) == 0:
        return []  # left out, as an unticked radio (or a text input no browser omits)
    if kind in {"yesno", "yesno_unknown", "single", "multi"}:
        codes = _codes(question, org) or ["none"]
        one = st.one_of(st.sampled_from(codes), NASTY)
        values = draw(st.lists(one, min_size=1, max_size=4 if kind == "multi" else 2))
        return [(qid, v) for v in values]
    if kind == "group":
        return [
            (f"{qid}__{sub.id}", draw(st.one_of(WORDS, NASTY)))
            for sub in question.subfields
        ]
    if kind == "rows":
        index = st.one_of(
            st.integers(0, 3), st.sampled_from([MAX_ROWS - 1, MAX_ROWS, 999])
        )
        pairs = []
        for row in draw(st.lists(index, max_size=3)):
            for sub in question.subfields:
                pairs.append((f"{qid}__{row}__{sub.id}", draw(st.one_of(WORDS, NASTY))))
        odd = st.sampled_from([f"{qid}__-1__x", f"{qid}__01__piid", f"{qid}__²__piid"])
        return pairs + [(k, draw(NASTY)) for k in draw(st.lists(odd, max_size=1))]
    if kind == "file":
        # No file in an urlencoded POST: a name typed into the field, or "clear".
        return [(qid, draw(NASTY))] + (
            [(qid + CLEAR_SUFFIX, "on")] if draw(st.booleans()) else []
        )
    if kind in qn.NUMERIC_TYPES:
        pairs = [(qid, draw(_numbers(question)))]
        if draw(st.integers(0, 4)) == 0:
            pairs.append((qid + UNKNOWN_SUFFIX, draw(st.sampled_from(["on", "x"]))))
        return pairs
    if kind == "date":
        value = st.one_of(
            st.dates().map(date.isoformat),
            st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat),
            NASTY,
        )
        return [(qid, draw(value))]
    if kind == "text_list":
        items = st.lists(st.from_regex(r"[0-9A-Z]{5}", fullmatch=True), max_size=4)
        value = st.one_of(items.map(", ".join), NASTY, WORDS)
        return [(qid, v) for v in draw(st.lists(value, min_size=1, max_size=2))]
    value = st.one_of(WORDS, NASTY)  # text, textarea
    return [(qid, v) for v in draw(st.lists(value, min_size=1, max_size=2))]


@st.composite
def posts(
    draw: st.DrawFn,
    section: qn.Section,
    stored: dict[str, Any],
    version: int,
    org: dict[str, Any],
) -> tuple[list[tuple[str, str]], bool]:
    """(the POST pairs, whether its edit state is the page's own, as a browser sends)."""
    pairs: list[tuple[str, str]] = []
    for question in section.questions:
        pairs += draw(question_pairs(question, org))
    loaded = {q.id: stored.get(q.id) for q in section.questions}
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=6,
    )
    state = draw(st.sampled_from(["own", "own", "own", "stale", "odd", "none"]))
    if state == "own":
        pairs += [("version", str(version)), ("loaded", json.dumps(loaded))]
    elif state == "stale":
        pairs += [("version", str(version - 1)), ("loaded", json.dumps({}))]
    elif state == "odd":
        odd_loaded = st.one_of(
            st.dictionaries(st.sampled_from(list(loaded)), json_values).map(json.dumps),
            json_values.map(json.dumps),
            NASTY,
            st.just("[" * 10_000),
        )
        pairs += [
            ("version", draw(st.one_of(st.integers().map(str), NASTY))),
            ("loaded", draw(odd_loaded)),
        ]
    extra_keys = st.one_of(
        st.sampled_from(
            ["overwrite", "continue", "save", "csrfmiddlewaretoken", "Z9", "A1__x"]
        ),
        st.text(CHARS, min_size=1, max_size=10),
    )
    for key in draw(st.lists(extra_keys, max_size=3)):
        value = draw(st.one_of(st.sampled_from(list(loaded)), NASTY))
        pairs.append((key, value))
    return pairs, state == "own"


def urlencoded(pairs: list[tuple[str, str]]) -> str:
    """The body a browser sends, lone surrogates as the bytes a broken client would."""

    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


def as_received(text: str) -> str:
    """What Django reads for `text` sent by urlencoded (bad UTF-8 replaced)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def well_formed(question: qn.Question, value: Any, org: dict[str, Any]) -> bool:
    """Whether a stored answer is one the form could produce for this question."""
    kind = question.type
    if isinstance(value, str) and _CONTROL.search(value):
        return False
    if question.takes_unknown and value == qn.UNKNOWN:
        return True
    if kind in {"yesno", "yesno_unknown", "single"}:
        return value in _codes(question, org)
    if kind == "multi":
        codes = _codes(question, org)
        return isinstance(value, list) and all(v in codes for v in value)
    if kind == "int":
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else 10**9
        return type(value) is int and low <= value <= high
    if kind == "pct":
        return type(value) in (int, float) and 0 <= value <= 100
    if kind == "currency":
        try:
            amount = Decimal(value)
        except (InvalidOperation, TypeError):
            return False
        return 0 <= amount <= CURRENCY_MAX and amount == amount.quantize(
            Decimal("0.01")
        )
    if kind == "date":
        try:
            return 2000 <= date.fromisoformat(value).year <= 2099
        except (TypeError, ValueError):
            return False
    if kind in {"text", "textarea"}:
        limit = question.max_length or (TEXT_MAX if kind == "text" else TEXTAREA_MAX)
        return (
            isinstance(value, str)
            and value == value.strip()
            and 0 < len(value) <= limit
        )
    if kind == "text_list":
        return isinstance(value, list) and all(
            isinstance(v, str) and v == v.upper() and v for v in value
        )
    subs = {s.id for s in question.subfields}
    if kind == "group":
        return isinstance(value, dict) and set(value) == subs
    if kind == "rows":
        return isinstance(value, list) and all(
            isinstance(row, dict) and set(row) == subs for row in value
        )
    return isinstance(value, dict) and bool(value.get("name"))  # file


class FuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        cls.org = make_organisation()
        # The signatory: the attestation (F3) is open to them, so every type is posted.
        cls.user = make_user(None, cls.org, Membership.Role.SIGNATORY)
        # A preparer: the attestation is shown to them read-only.
        cls.preparer = make_user(None, cls.org, Membership.Role.PREPARER)
        cls.response_pk = make_response(cls.campaign, cls.org).pk
        Response.objects.filter(pk=cls.response_pk).update(answers=ORG_DRAFT, version=7)
        cls.use_pk = Use.objects.create(
            response_id=cls.response_pk, position=1, answers=USE_DRAFT, version=4
        ).pk
        cls.questionnaire = cls.campaign.questionnaire.parsed

    def post(
        self, path: str, pairs: list[tuple[str, str]], preparer: bool = False
    ) -> HttpResponse:
        self.client.force_login(self.preparer if preparer else self.user)
        return self.client.post(
            path, urlencoded(pairs), content_type="application/x-www-form-urlencoded"
        )

    def errors_of(
        self, reply: HttpResponse, autosave: bool, closed: bool = False
    ) -> dict[str, Any]:
        """The field errors the user is shown; asserts the reply is one of the forms'."""
        self.assertLess(reply.status_code, 500, reply.content[:300])
        if closed and reply.status_code != 400:
            self.assertEqual(reply.status_code, 403)
            return {"*": "refused whole"}
        if reply.status_code == 400:
            return {"*": "refused whole"}  # a NUL anywhere, or a body too large
        if autosave:
            self.assertEqual(reply.status_code, 200)
            data = reply.json()
            self.assertIn(data["status"], {"saved", "invalid", "conflict"})
            # A conflict is reported first; its reply carries the field errors too.
            if data["status"] == "invalid" or data["errors"]:
                self.assertIn(data["status"], {"invalid", "conflict"})
                self.assertTrue(data["errors"] or data["conflicts"], data)
            return data["errors"]
        self.assertIn(reply.status_code, (200, 302))
        if reply.status_code == 302:
            return {}
        errors = dict(reply.context["form"].errors)
        self.assertTrue(errors or reply.context["conflicts"], "shown again for nothing")
        if errors:
            self.assertContains(reply, "is-invalid")
        return errors

    def check(
        self,
        section: qn.Section,
        pairs: list[tuple[str, str]],
        own_state: bool,
        before: dict[str, Any],
        after: dict[str, Any],
        errors: dict[str, Any],
        org: dict[str, Any],
        use: bool = False,
    ) -> None:
        # Errors on a fixed-choice question are always tampering: see survey.forms.answers.
        fixed = {
            q.id for q in section.questions if q.type in TICKED and not q.options_from
        }
        if "*" in errors or fixed & set(errors):
            self.assertEqual(after, before, "a refused request changed the draft")
            return
        posted_keys = {k for k, _v in pairs}
        ids = {q.id for q in section.questions}
        for qid in set(before) - ids:
            self.assertEqual(after.get(qid), before[qid], f"{qid} of another section")
        shown = (
            self.questionnaire.shown_ids(after, org=org)
            if use
            else self.questionnaire.shown_ids(after)
        )
        for question in section.questions:
            qid = question.id
            names = [n for n in errors if n == qid or n.startswith(qid + "__")]
            sent = [k for k in posted_keys if k == qid or k.startswith(qid + "__")]
            kept = after.get(qid) == before.get(qid)
            if names:
                self.assertTrue(kept, f"{qid} refused ({names}) but changed")
            elif not sent and question.type not in TICKED:
                self.assertTrue(kept, f"{qid} not posted but changed")
            if not kept and qid in after:
                self.assertTrue(
                    well_formed(question, after[qid], org),
                    f"{qid} stored {after[qid]!r:.200}",
                )
            values = [v for k, v in pairs if k == qid]
            if (
                question.type in {"text", "textarea"}
                and own_state
                and not names
                and len(values) == 1
                and qid in shown
            ):
                expected = as_received(values[0]).strip() or None
                self.assertEqual(after.get(qid), expected, f"{qid} read back")


class OrganisationSectionFuzzTests(FuzzTestCase):
    """Sections A, B, C, E and F (every type but int) through both paths, as the
    signatory or a preparer (who cannot give the attestation), on an open or a
    submitted response (where every write is refused)."""

    @FUZZ
    @given(data=st.data())
    def test_page_form_and_autosave(self, data: st.DataObject) -> None:
        ids = [s.id for s in self.questionnaire.sections if not s.repeatable]
        section_id = data.draw(st.sampled_from(ids), label="section")
        section = next(s for s in self.questionnaire.sections if s.id == section_id)
        autosave = data.draw(st.booleans(), label="autosave")
        preparer = data.draw(st.integers(0, 3), label="preparer") == 0
        closed = data.draw(st.integers(0, 7), label="submitted") == 0
        if closed:
            Response.objects.filter(pk=self.response_pk).update(
                status=Response.Status.SUBMITTED, submitted_at=timezone.now()
            )
        response = Response.objects.get(pk=self.response_pk)
        before = dict(response.answers)
        pairs, own = data.draw(
            posts(section, before, response.version, before), label="post"
        )
        name = "survey-autosave" if autosave else "survey-section"
        path = reverse(name, args=[response.uuid, section.id])
        reply = self.post(path, pairs, preparer)
        errors = self.errors_of(reply, autosave, closed)
        after = Response.objects.get(pk=self.response_pk).answers
        self.check(section, pairs, own, before, after, errors, before)
        if preparer:
            for question in section.questions:
                if question.must_be:
                    self.assertEqual(after.get(question.id), before.get(question.id))


class UsePageFuzzTests(FuzzTestCase):
    """The use page (section D: int, currency, choices, text, textarea, file)."""

    @FUZZ
    @given(data=st.data())
    def test_page_form_and_autosave(self, data: st.DataObject) -> None:
        section = self.questionnaire.use_section
        assert section is not None
        autosave = data.draw(st.booleans(), label="autosave")
        response = Response.objects.get(pk=self.response_pk)
        use = Use.objects.get(pk=self.use_pk)
        before, org = dict(use.answers), dict(response.answers)
        pairs, own = data.draw(posts(section, before, use.version, org), label="post")
        name = "survey-use-autosave" if autosave else "survey-use"
        reply = self.post(reverse(name, args=[response.uuid, use.uuid]), pairs)
        errors = self.errors_of(reply, autosave)
        after = Use.objects.get(pk=self.use_pk).answers
        self.assertEqual(Response.objects.get(pk=self.response_pk).answers, org)
        self.check(section, pairs, own, before, after, errors, org, use=True)


FILE_CONTENT = st.one_of(
    st.binary(max_size=200),
    st.builds(
        bytes.__add__,
        st.sampled_from(
            [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04"]
        ),
        st.binary(max_size=200),
    ),
    st.text(CHARS, max_size=50).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b'{"a": "\\u0000"}'),
)
# The test client encodes a file name as UTF-8 (a lone surrogate becomes "?") and
# refuses one without a last path part.
FILE_NAME = (
    st.one_of(NASTY, WORDS.map(lambda w: w + ".pdf"))
    .map(lambda name: name.encode("utf-8", "replace").decode())
    .filter(lambda name: os.path.basename(name) not in {"", ".", ".."})
)


class EvidenceFuzzTests(FuzzTestCase):
    """File questions (E1b, F4) through a multipart page save and autosave."""

    @FUZZ
    @given(
        section_id=st.sampled_from(["E", "F"]),
        autosave=st.booleans(),
        name=FILE_NAME,
        content=FILE_CONTENT,
    )
    def test_uploads(
        self, section_id: str, autosave: bool, name: str, content: bytes
    ) -> None:
        qid = {"E": "E1b", "F": "F4"}[section_id]
        section = next(s for s in self.questionnaire.sections if s.id == section_id)
        response = Response.objects.get(pk=self.response_pk)
        before = dict(response.answers)
        loaded = {q.id: before.get(q.id) for q in section.questions}
        self.client.force_login(self.user)
        path_name = "survey-autosave" if autosave else "survey-section"
        reply = self.client.post(
            reverse(path_name, args=[response.uuid, section_id]),
            {
                "version": str(response.version),
                "loaded": json.dumps(loaded),
                qid: SimpleUploadedFile(name, content),
                # The page's radio buttons as they stand, as a browser posts them.
                **{
                    q.id: before[q.id]
                    for q in section.questions
                    if q.type in TICKED and q.id in before
                },
            },
        )
        errors = self.errors_of(reply, autosave)
        after = Response.objects.get(pk=self.response_pk).answers
        pairs = [(qid, name)]
        self.check(section, pairs, True, before, after, errors, before)
        # Django's parser drops a file whose name has no printable character left
        # (nor a path's last part) before any view sees it: no file was posted then.
        dropped = MultiPartParser.sanitize_file_name(None, name) is None
        if dropped:
            self.assertEqual(after, before)
        elif qid not in errors and "*" not in errors:
            self.assertFalse(_CONTROL.search(after[qid]["name"]), after[qid])


class DraftTests(FuzzTestCase):
    def test_the_drafts_are_valid_answers(self) -> None:
        """Else the fuzzing would start from answers the pages themselves refuse."""
        org = ORG_DRAFT
        for section in self.questionnaire.sections:
            draft = USE_DRAFT if section.repeatable else ORG_DRAFT
            for question in section.questions:
                if question.id in draft:
                    value = draft[question.id]
                    self.assertTrue(well_formed(question, value, org), question.id)
