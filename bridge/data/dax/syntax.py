"""DAX text → tokens → a small syntax tree, with the position of any mistake.

Parsed by recursive descent with a bound on nesting (`MAX_DAX_DEPTH`), so a hostile measure ends
in a clear error rather than Python's recursion limit.  The tree is plain frozen dataclasses; a
bracketed name `[X]` stays a `Name` until the evaluator knows whether it is a measure or a column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bridge.errors import BridgeError
from bridge.limits import MAX_DAX_CHARS, MAX_DAX_DEPTH


class DaxSyntaxError(BridgeError):
    """Malformed DAX: the message names the line and column."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Col:
    """`'Table'[Column]`, or `[Column]` when `table` is None (resolved by the evaluator)."""

    table: str | None
    column: str


@dataclass(frozen=True)
class Ident:
    """A bare word: a table, a variable, TRUE/FALSE or a keyword argument such as YEAR or DESC."""

    name: str


@dataclass(frozen=True)
class Call:
    name: str  # upper case
    args: tuple[object, ...]


@dataclass(frozen=True)
class Bin:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+", "NOT"
    operand: object


@dataclass(frozen=True)
class TableCtor:
    """`{1, 2, 3}` or `{(1, "a"), (2, "b")}`: rows of expressions."""

    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class Let:
    """VAR name = expr … RETURN body."""

    bindings: tuple[tuple[str, object], ...]
    body: object


_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>//[^\n]*|--[^\n]*|/\*.*?\*/)
    |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<str>"(?:[^"]|"")*")
    |(?P<qtable>'(?:[^']|'')*')
    |(?P<bracket>\[(?:[^\]]|\]\])*\])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<op>&&|\|\||==|<=|>=|<>|[-+*/^&=<>(),{}])""",
    re.VERBOSE | re.DOTALL,
)


def tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for each token; comments and spaces dropped."""
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise DaxSyntaxError(f"{_where(text, pos)}: unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


_PRECEDENCE = [("||",), ("&&",), ("IN",), ("=", "==", "<>", "<", ">", "<=", ">="), ("&",), ("+", "-"), ("*", "/"), ("^",)]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> tuple[str, str, int]:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def fail(self, what: str) -> DaxSyntaxError:
        kind, text, pos = self.peek()
        found = "the end of the formula" if kind == "end" else repr(text)
        return DaxSyntaxError(f"{_where(self.text, pos)}: {what}, found {found}")

    def take(self, text: str) -> None:
        if self.peek()[1].upper() != text:
            raise self.fail(f"expected {text!r}")
        self.i += 1

    def at_word(self, word: str) -> bool:
        kind, text, _ = self.peek()
        return kind == "word" and text.upper() == word

    def expr(self, level: int = 0) -> object:
        if level == len(_PRECEDENCE):
            return self.unary()
        left = self.expr(level + 1)
        while True:
            kind, text, _ = self.peek()
            op = text.upper() if kind in ("op", "word") else None
            if op not in _PRECEDENCE[level]:
                return left
            self.i += 1
            right = self.expr(level + 1)
            left = Bin(op, left, right)

    def nested(self, parse: Callable[[], object]) -> object:
        """One level deeper (a call, parentheses, a sign, VAR): bounded by MAX_DAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DAX_DEPTH:
            raise self.fail(f"formula nested more than {MAX_DAX_DEPTH} deep (MAX_DAX_DEPTH)")
        try:
            return parse()
        finally:
            self.depth -= 1

    def unary(self) -> object:
        kind, text, _ = self.peek()
        if kind == "op" and text in "-+":
            self.i += 1
            return Unary(text, self.nested(self.unary))
        if self.at_word("NOT") and self.peek(1)[1] != "(":
            self.i += 1
            return Unary("NOT", self.nested(lambda: self.expr(3)))
        return self.nested(self.primary)

    def primary(self) -> object:
        kind, text, _ = self.peek()
        if kind == "num":
            self.i += 1
            return Num(float(text))
        if kind == "str":
            self.i += 1
            return Str(text[1:-1].replace('""', '"'))
        if kind == "bracket":
            self.i += 1
            return Col(None, text[1:-1].replace("]]", "]"))
        if kind == "qtable":
            self.i += 1
            return self.table_ref(text[1:-1].replace("''", "'"))
        if text == "(":
            self.i += 1
            items = [self.expr()]
            while self.peek()[1] == ",":
                self.i += 1
                items.append(self.expr())
            self.take(")")
            return items[0] if len(items) == 1 else _Tuple(tuple(items))
        if text == "{":
            return self.table_ctor()
        if kind == "word":
            if text.upper() == "VAR":
                return self.let()
            self.i += 1
            if self.peek()[1] == "(":
                return self.call(text.upper())
            return self.table_ref(text)
        raise self.fail("expected a value, a column, a measure or a function")

    def table_ref(self, name: str) -> object:
        if self.peek()[0] == "bracket":
            col = self.peek()[1][1:-1].replace("]]", "]")
            self.i += 1
            return Col(name, col)
        return Ident(name)

    def call(self, name: str) -> Call:
        self.take("(")
        args: list[object] = []
        while self.peek()[1] != ")":
            if self.peek()[1] == ",":
                args.append(None)  # an omitted argument, as in RANKX(t, e, , DESC)
            else:
                args.append(self.expr())
            if self.peek()[1] == ",":
                self.i += 1
                if self.peek()[1] == ")":
                    args.append(None)
            elif self.peek()[1] != ")":
                raise self.fail(f"expected ',' or ')' in {name}(…)")
        self.take(")")
        return Call(name, tuple(args))

    def table_ctor(self) -> TableCtor:
        self.take("{")
        rows: list[tuple[object, ...]] = []
        while self.peek()[1] != "}":
            item = self.expr()
            rows.append(item.items if isinstance(item, _Tuple) else (item,))
            if self.peek()[1] == ",":
                self.i += 1
            elif self.peek()[1] != "}":
                raise self.fail("expected ',' or '}' in a table constructor")
        self.take("}")
        return TableCtor(tuple(rows))

    def let(self) -> Let:
        bindings: list[tuple[str, object]] = []
        while self.at_word("VAR"):
            self.i += 1
            kind, name, _ = self.peek()
            if kind != "word":
                raise self.fail("expected a variable name after VAR")
            self.i += 1
            self.take("=")
            bindings.append((name, self.expr()))
        if not self.at_word("RETURN"):
            raise self.fail("expected VAR or RETURN")
        self.i += 1
        return Let(tuple(bindings), self.expr())


@dataclass(frozen=True)
class _Tuple:
    items: tuple[object, ...]


@lru_cache(maxsize=4096)
def parse(text: str) -> object:
    """The syntax tree of one DAX expression, or a `DaxSyntaxError` naming line and column (trees are immutable:
    a measure used by many is parsed once)."""
    if len(text) > MAX_DAX_CHARS:
        raise DaxSyntaxError(f"formula longer than {MAX_DAX_CHARS} characters (MAX_DAX_CHARS)")
    parser = _Parser(text)
    if parser.peek()[0] == "end":
        raise parser.fail("expected a formula")
    tree = parser.expr()
    if parser.peek()[0] != "end":
        raise parser.fail("expected the end of the formula")
    return tree
