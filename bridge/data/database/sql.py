"""The SQL Bridge generates: identifiers quoted, every value a bound parameter, for PostgreSQL and DuckDB alike.

A statement is built as a list of parts (`Sql`): text Bridge wrote, identifiers (`Ident`, quoted when
rendered), values (`Param`, always sent as bound parameters, never pasted into the text: a value typed on
the web remote reaches the database as data) and, for a connection whose operator allows it, the scene's
own query (`Trusted`).  `postgres()` renders it with psycopg's `sql.Identifier` and `%s` placeholders;
`duckdb()` with double-quoted identifiers and `?`.

`translate` turns a dataset's `where:` (the expression language's tree, bridge/data/expressions/parse.py)
into SQL for the part of the language that means the same in SQL: comparisons of a column with a value or
a parameter, `and`, `or`, `not`, a choice's "all" option.  The meaning is kept exactly: text is compared
trimmed, a missing number or ±inf fails every comparison but `!=` (as in bridge/data/expressions/evaluate.py).
Anything else raises `Untranslatable`; the reader then filters after reading.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from bridge.data.expressions import ALL, ColumnRef, Everything, Expression
from bridge.data.expressions.parse import column_references


@dataclass(frozen=True)
class Ident:
    """A quoted identifier: a column, or a table with its schema (`Ident("gis", "lsoa")` is "gis"."lsoa")."""

    names: tuple[str, ...]

    @classmethod
    def of(cls, *names: str) -> Ident:
        return cls(tuple(names))


@dataclass(frozen=True)
class Param:
    """A value sent as a bound parameter."""

    value: Any


@dataclass(frozen=True)
class Trusted:
    """SQL the operator allowed a scene to send (allow_sql: true), run as a subquery."""

    text: str


@dataclass(frozen=True)
class Finite:
    """A float column that is neither missing, ±inf nor NaN (spelt differently in each dialect)."""

    column: Ident


Part = str | Ident | Param | Trusted | Finite


class Sql:
    """A statement as parts; `+` joins two, `Sql.join` many with a separator."""

    def __init__(self, *parts: Part | Sql):
        self.parts: list[Part] = []
        for part in parts:
            self.parts.extend(part.parts if isinstance(part, Sql) else [part])

    def __add__(self, other: Part | Sql) -> Sql:
        return Sql(self, other)

    @staticmethod
    def join(separator: str, items: Iterable[Part | Sql]) -> Sql:
        out = Sql()
        for i, item in enumerate(items):
            out = out + separator + item if i else out + item
        return out

    def params(self) -> list:
        return [_plain(p.value) for p in self.parts if isinstance(p, Param)]

    def postgres(self) -> tuple[Any, list]:
        """(psycopg Composed, parameters) for cursor.execute."""
        from psycopg import sql

        out: list[sql.Composable] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(sql.SQL(part))
            elif isinstance(part, Ident):
                out.append(sql.Identifier(*part.names))
            elif isinstance(part, Param):
                out.append(sql.SQL("%s"))
            elif isinstance(part, Trusted):
                out.append(sql.SQL(part.text.replace("%", "%%")))
            else:
                out.append(sql.SQL("({} NOT IN ('Infinity', '-Infinity', 'NaN'))").format(sql.Identifier(*part.column.names)))
        return sql.Composed(out), self.params()

    def duckdb(self) -> tuple[str, list]:
        """(text with ? placeholders, parameters) for DuckDB."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Ident):
                out.append(quote(part))
            elif isinstance(part, Param):
                out.append("?")
            elif isinstance(part, Trusted):
                raise ValueError("DuckDB runs only the SQL Bridge generates")
            else:
                out.append(f"coalesce(isfinite({quote(part.column)}), false)")
        return "".join(out), self.params()


def quote(ident: Ident) -> str:
    """An identifier quoted the SQL-standard way (a double quote inside doubled)."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in ident.names)


def _plain(value: Any) -> Any:
    """NumPy scalars as the Python values drivers adapt."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Everything):
        return str(value)
    return value


class Untranslatable(Exception):
    """Part of a `where:` that SQL cannot say with the same meaning; the reader filters after reading."""


# What a column holds, as far as the translation needs to know.
TEXT, INTEGER, FLOAT = "text", "integer", "float"
_OPS = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


def conjuncts(expr: Expression) -> list[ast.expr]:
    """The parts of a `where:` joined by a top-level `and` (each can be pushed down on its own)."""
    tree = expr.tree
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And):
        return list(tree.values)
    return [cast(ast.expr, tree)]  # parse() keeps the expression's body


def translate(node: ast.AST, dataset: str, kinds: dict[str, str], params: Callable[[str], Any] | None,
              alias: str | None = None) -> Sql:
    """SQL for one part of a `where:` over columns of `kinds` (name → TEXT/INTEGER/FLOAT), or Untranslatable."""
    return _Translation(dataset, kinds, params, alias).node(node, negated=False)


@dataclass
class _Translation:
    dataset: str
    kinds: dict[str, str]
    params: Callable[[str], Any] | None
    alias: str | None

    def node(self, node: ast.AST, negated: bool) -> Sql:
        if isinstance(node, ast.BoolOp):
            word = " AND " if isinstance(node.op, ast.And) else " OR "
            return Sql("(", Sql.join(word, [self.node(v, negated) for v in node.values]), ")")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Sql("(NOT coalesce(", self.node(node.operand, True), ", false))")
        if isinstance(node, ast.Compare):
            return Sql("(", Sql.join(" AND ", [self.compare(left, op, right) for left, op, right in
                                               zip([node.left, *node.comparators], node.ops, node.comparators)]), ")")
        value = self.operand(node)
        if isinstance(value, (bool, np.bool_)):
            return Sql(Param(bool(value)))
        raise Untranslatable(f"'{ast.unparse(node)}' is not a comparison SQL can make")

    def operand(self, node: ast.AST) -> Any:
        """A column (as ('column', name)) or a value: a constant or a parameter's value."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            ref: ColumnRef = column_references(node)[0]
            if ref.dataset == "params":
                if self.params is None:
                    raise Untranslatable("parameters are not known here")
                return self.params(ref.column)
            if ref.dataset in (None, self.dataset) and ref.column in self.kinds:
                return ("column", ref.column)
        raise Untranslatable(f"'{ast.unparse(node)}' is not a column or a value")

    def column(self, name: str) -> Ident:
        return Ident.of(self.alias, name) if self.alias else Ident.of(name)

    def compare(self, left_node: ast.AST, op: ast.cmpop, right_node: ast.AST) -> Sql:
        left, right = self.operand(left_node), self.operand(right_node)
        if isinstance(left, tuple) and isinstance(right, tuple):
            raise Untranslatable("a comparison of two columns")
        if not isinstance(left, tuple) and not isinstance(right, tuple):
            raise Untranslatable("a comparison of two values")
        if isinstance(left, tuple):
            (_, name), value, kind = left, right, type(op)
        else:
            (_, name), value, kind = right, left, _FLIP[type(op)]
        if isinstance(value, Everything) or value is ALL:
            if kind not in (ast.Eq, ast.NotEq):
                raise Untranslatable("an ordering of the 'all' option")
            return Sql("TRUE" if kind is ast.Eq else "FALSE")
        column, sign, what = self.column(name), _OPS[kind], self.kinds[name]
        if isinstance(value, str) and what == TEXT:
            if kind is ast.Eq:
                return Sql("trim(", column, ") = ", Param(value))
            if kind is ast.NotEq:
                return Sql("(", column, " IS NULL OR trim(", column, ") <> ", Param(value), ")")
            raise Untranslatable("an ordering of text")
        if isinstance(value, (int, float, np.floating)) and not isinstance(value, (bool, np.bool_)) \
                and what in (INTEGER, FLOAT) and math.isfinite(float(value)):
            number = Param(float(value))
            if kind is ast.NotEq:
                finite: Sql = Sql(" OR NOT ", Finite(column)) if what == FLOAT else Sql()
                return Sql("(", column, " IS NULL", finite, " OR ", column, " <> ", number, ")")
            guard = Sql(" AND ", Finite(column)) if what == FLOAT else Sql()
            return Sql("(", column, f" {sign} ", number, guard, ")")
        raise Untranslatable(f"a comparison of a {what} column with {type(value).__name__}")
