"""Show-if expressions in an ODK-like syntax, to and from the definition's condition objects.

    ${A4} = 'enterprise'              {"question": "A4", "equals": "enterprise"}
    ${A4} != 'enterprise'             {"question": "A4", "not_equals": "enterprise"}
    ${D2} in ('direct', 'embedded')   {"question": "D2", "in": ["direct", "embedded"]}
    ${D2} not in ('direct')           {"question": "D2", "not_in": ["direct"]}
    selected(${C1}, 'other')          {"question": "C1", "includes": "other"}
    not(selected(${D9}, 'secret'))    {"question": "D9", "excludes": "secret"}
    a or b or c                       {"any": [a, b, c]}
    a and b                           {"all": [a, b]}
    (a or b) and c                    {"all": [{"any": [a, b]}, c]}
    any(a)   all(a)                   {"any": [a]}   {"all": [a]} (a group of one)

`and` binds tighter than `or`; parentheses keep their group, so `(a or b) or c` is a
group inside a group. Values are quoted ('it''s' holds a quote) or bare numbers,
true, false, null.
"""

from __future__ import annotations

import re
from typing import Any

LEAF_OPS = {"=": "equals", "!=": "not_equals", "in": "in", "not in": "not_in"}
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<ref>\$\{(?P<id>[^}]*)\})
    |(?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    |(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    |(?P<word>[A-Za-z_]+)
    |(?P<punct>!=|[=(),])
    )""",
    re.VERBOSE,
)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_WORDS = {"true": True, "false": False, "null": None}


class ExpressionError(ValueError):
    """A syntax error; `position` is the 1-based character where it was found."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position})")
        self.position = position


def parse_expression(text: str) -> dict[str, Any]:
    """The condition object an expression stands for."""
    parser = _Parser(text)
    result = parser.expression()
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.describe()}")
    return result


def format_condition(condition: dict[str, Any], nested: bool = False) -> str:
    """The expression for a condition object (the inverse of parse)."""
    for op in ("any", "all"):
        if op in condition:
            children = condition[op]
            if len(children) <= 1:
                inner = format_condition(children[0]) if children else ""
                return f"{op}({inner})"
            joiner = " or " if op == "any" else " and "
            text = joiner.join(format_condition(c, nested=True) for c in children)
            return f"({text})" if nested else text
    question = f"${{{condition['question']}}}"
    if "includes" in condition:
        return f"selected({question}, {_value(condition['includes'])})"
    if "excludes" in condition:
        return f"not(selected({question}, {_value(condition['excludes'])}))"
    for symbol, op in LEAF_OPS.items():
        if op in condition:
            value = condition[op]
            if isinstance(value, list):
                return f"{question} {symbol} ({', '.join(map(_value, value))})"
            return f"{question} {symbol} {_value(value)}"
    raise ValueError(f"not a condition: {condition!r}")


def references(condition: Any) -> list[str]:
    """The question ids a condition object reads, in order."""
    if not isinstance(condition, dict):
        return []
    found = [condition["question"]] if "question" in condition else []
    for op in ("any", "all"):
        for child in condition.get(op) or []:
            found += references(child)
    return found


def _value(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if match is None:
                start = len(text) - len(text[position:].lstrip()) + 1
                raise ExpressionError(f"unexpected {text[start - 1]!r}", start)
            kind = next(
                k
                for k in ("ref", "string", "number", "word", "punct")
                if match.group(k)
            )
            start = match.start(kind) + 1
            self.tokens.append((kind, match.group(kind), start))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def describe(self) -> str:
        token = self.peek()
        return "end of expression" if token is None else repr(token[1])

    def error(self, message: str) -> ExpressionError:
        token = self.peek()
        return ExpressionError(message, token[2] if token else len(self.text) + 1)

    def word(self, *words: str) -> str | None:
        """The next token if it is one of these words (or punctuation), consumed."""
        token = self.peek()
        if token and token[0] in ("word", "punct") and token[1].lower() in words:
            self.index += 1
            return token[1].lower()
        return None

    def expect(self, word: str, what: str) -> None:
        if self.word(word) is None:
            raise self.error(f"expected {what}, found {self.describe()}")

    def expression(self) -> dict[str, Any]:
        children = [self.conjunction()]
        while self.word("or"):
            children.append(self.conjunction())
        return children[0] if len(children) == 1 else {"any": children}

    def conjunction(self) -> dict[str, Any]:
        children = [self.term()]
        while self.word("and"):
            children.append(self.term())
        return children[0] if len(children) == 1 else {"all": children}

    def term(self) -> dict[str, Any]:
        if self.word("("):
            inner = self.expression()
            self.expect(")", "')'")
            return inner
        group = self.word("any", "all")
        if group:
            self.expect("(", f"'(' after {group}")
            children = [] if self.word(")") else [self.expression()]
            if children:
                self.expect(")", "')'")
            return {group: children}
        if self.word("selected"):
            question, value = self.selected()
            return {"question": question, "includes": value}
        if self.word("not"):
            self.expect("(", "'(' after not")
            if not self.word("selected"):
                raise self.error("not(...) only holds selected(...)")
            question, value = self.selected()
            self.expect(")", "')'")
            return {"question": question, "excludes": value}
        return self.comparison()

    def selected(self) -> tuple[str, Any]:
        self.expect("(", "'(' after selected")
        question = self.reference()
        self.expect(",", "','")
        value = self.value()
        self.expect(")", "')'")
        return question, value

    def comparison(self) -> dict[str, Any]:
        question = self.reference()
        symbol = self.word("=", "!=", "in")
        if symbol is None and self.word("not"):
            self.expect("in", "'in' after not")
            symbol = "not in"
        if symbol is None:
            raise self.error(f"expected =, !=, in or not in, found {self.describe()}")
        op = LEAF_OPS[symbol]
        if op in ("in", "not_in"):
            self.expect("(", f"'(' and a list of values after {symbol}")
            values = [self.value()]
            while self.word(","):
                values.append(self.value())
            self.expect(")", "')'")
            return {"question": question, op: values}
        return {"question": question, op: self.value()}

    def reference(self) -> str:
        token = self.peek()
        if token is None or token[0] != "ref":
            raise self.error(
                f"expected a question such as ${{A1}}, found {self.describe()}"
            )
        question = token[1][2:-1].strip()
        if not _ID.match(question):
            raise self.error(f"{question!r} is not a question id")
        self.index += 1
        return question

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise self.error("expected a value, found end of expression")
        kind, text, _ = token
        if kind == "string":
            self.index += 1
            quote = text[0]
            return text[1:-1].replace(quote * 2, quote)
        if kind == "number":
            self.index += 1
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "word" and text.lower() in _WORDS:
            self.index += 1
            return _WORDS[text.lower()]
        raise self.error(f"expected a value in quotes, found {self.describe()}")
