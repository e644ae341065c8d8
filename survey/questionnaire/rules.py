"""The parser's cross-question rules: show-if conditions on earlier answers, the soft
checks, and the bindings (each role played by at most one question of the right type
and place; the required ones present; option flags and tiers only on their question)."""

from __future__ import annotations

from typing import Any

from survey.questionnaire.elements import (
    BINDINGS,
    FIXED_OPTIONS,
    OPTION_FLAGS,
    Check,
    Condition,
    DefinitionError,
    Question,
)
from survey.questionnaire.fields import Fields

_CHECK_KEYS = {"warn_if", "unless_some_use", "for_each_use", "message"}
_LEAF_OPS = {"equals", "not_equals", "in", "not_in", "includes", "excludes"}


class Rules(Fields):
    """Rules that look at questions read earlier (mixed into the parser)."""

    seen: dict[str, Question]
    use_ids: set[str]
    bound: dict[str, str]

    def binds(
        self, data: dict[str, Any], qtype: str, where: str, repeatable: bool
    ) -> str:
        name = data.get("binds")
        if name is None:
            return ""
        binding = BINDINGS.get(name) if isinstance(name, str) else None
        if binding is None:
            raise self.fail(where, f"unknown binding {name!r}", "binds")
        if name in self.bound:
            raise self.fail(
                where, f"binding {name!r} is already on {self.bound[name]}", "binds"
            )
        if qtype not in binding.types:
            types = " or ".join(sorted(binding.types))
            raise self.fail(
                where, f"binding {name!r} needs a {types} question", "binds"
            )
        if binding.in_use_section != repeatable:
            place = "inside" if binding.in_use_section else "outside"
            raise self.fail(
                where,
                f"binding {name!r} belongs to a question {place} the repeatable section",
                "binds",
            )
        return name

    def check_bindings(self) -> None:
        if not self.use_ids:
            return  # a questionnaire without a use register binds no use columns
        for name, binding in BINDINGS.items():
            if binding.required and name not in self.bound:
                types = " or ".join(sorted(binding.types))
                raise DefinitionError(
                    f"{self.source}: bindings: no question binds {name!r} "
                    f"(required, a {types} question of the repeatable section)",
                    key="binds",
                )

    def checks(self, data: Any) -> tuple[Check, ...]:
        if not isinstance(data, list):
            raise self.fail("checks", "'checks' is a list of objects")
        checks = []
        for index, item in enumerate(data):
            where = f"check #{index + 1}"
            if not isinstance(item, dict):
                raise self.fail(where, "a check is an object")
            self._keys(item, _CHECK_KEYS, where)
            each = self._bool(item, "for_each_use", where)
            if "warn_if" not in item:
                raise self.fail(where, "a check needs 'warn_if'", "warn_if")
            if each and "unless_some_use" in item:
                raise self.fail(
                    where, "'unless_some_use' is for organisation-level checks"
                )
            checks.append(
                Check(
                    warn_if=self.condition(item["warn_if"], where, repeatable=each),
                    unless_some_use=self.condition(
                        item.get("unless_some_use"), where, repeatable=True
                    ),
                    for_each_use=each,
                    message=self.text(item.get("message"), f"{where} 'message'"),
                )
            )
        return tuple(checks)

    def _tier(self, item: dict[str, Any], where: str, binds: str) -> str:
        tier = item.get("tier")
        if tier is None:
            return ""
        if binds != "channel":
            raise self.fail(where, "only the channel question's options have a 'tier'")
        if not isinstance(tier, str) or not 0 < len(tier) <= 10:
            raise self.fail(where, "'tier' is a short text such as \"2+\"")
        return tier

    def _flag(self, item: dict[str, Any], where: str, binds: str) -> str:
        flag = item.get("flag")
        if flag is None:
            return ""
        if flag not in OPTION_FLAGS:
            raise self.fail(where, f"unknown option flag {flag!r}", "flag")
        if OPTION_FLAGS[flag] != binds:
            raise self.fail(
                where,
                f"flag {flag!r} goes on the options of the question bound to "
                f"{OPTION_FLAGS[flag]!r}",
                "flag",
            )
        return flag

    def condition(self, data: Any, where: str, repeatable: bool) -> Condition | None:
        if data is None:
            return None
        if not isinstance(data, dict) or not data:
            raise self.fail(where, "a show-if condition is an object")
        groups = {"any", "all"} & data.keys()
        if groups:
            if len(data) != 1:
                raise self.fail(where, "a show-if group has only 'any' or 'all'")
            op = groups.pop()
            children = data[op]
            if not isinstance(children, list) or not children:
                raise self.fail(where, f"show-if '{op}' needs a non-empty list")
            return Condition(
                op=op,
                children=tuple(self._child(c, where, repeatable) for c in children),
            )
        ops = _LEAF_OPS & data.keys()
        if len(ops) != 1 or set(data) != ops | {"question"}:
            ops_list = ", ".join(sorted(_LEAF_OPS))
            raise self.fail(where, f"a show-if rule is question + one of {ops_list}")
        op = ops.pop()
        target = self._earlier(data.get("question"), where, repeatable, "show-if")
        raw = data[op]
        values = tuple(raw) if isinstance(raw, list) else (raw,)
        expects_list = op in {"in", "not_in"}
        if expects_list != isinstance(raw, list) or not values:
            expected = "a non-empty list" if expects_list else "one value"
            raise self.fail(where, f"show-if '{op}' takes {expected}")
        known = {o.value for o in target.options} | set(
            FIXED_OPTIONS.get(target.type, ())
        )
        if known:
            for value in values:
                if value not in known:
                    raise self.fail(
                        where,
                        f"show-if refers to {target.id}={value!r}, which is not an option",
                    )
        return Condition(op=op, question=target.id, values=values)

    def _child(self, data: Any, where: str, repeatable: bool) -> Condition:
        if data is None:
            raise self.fail(where, "a show-if group cannot hold null")
        return self.condition(data, where, repeatable)  # type: ignore[return-value]

    def _earlier(self, qid: Any, where: str, repeatable: bool, what: str) -> Question:
        target = self.seen.get(qid) if isinstance(qid, str) else None
        if target is None:
            raise self.fail(
                where,
                f"{what} refers to {qid!r}, which is missing or comes later",
                "options_from" if what == "'options_from'" else "show_if",
            )
        if qid in self.use_ids and not repeatable:
            raise self.fail(
                where, f"{what} refers to {qid}, inside the repeatable section"
            )
        return target
