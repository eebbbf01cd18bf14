"""Which measures Bridge evaluates, and for the others the function or name at fault — found before evaluating.

A measure is supported when it parses, every function it calls is one Bridge evaluates, every
'Table'[Column] it names exists, and every measure it refers to is supported and does not lead
back to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bridge.data.dax.errors import DaxError
from bridge.data.dax.registry import FUNCTIONS
from bridge.data.dax.syntax import Bin, Call, Col, DaxSyntaxError, Ident, Let, Str, TableCtor, Unary, parse
from bridge.data.powerbi.model import PowerBIModel
from bridge.limits import MAX_DAX_DEPTH

# Bare words a function takes as arguments: intervals, sort orders, RANKX ties.
KEYWORDS = {"DAY", "MONTH", "QUARTER", "YEAR", "ASC", "DESC", "DENSE", "SKIP", "TRUE", "FALSE", "BOTH", "ONEWAY",
            "NONE", "INTEGER", "STRING", "DOUBLE", "BOOLEAN", "CURRENCY", "DATETIME"}


_ADDING = ("ADDCOLUMNS", "SUMMARIZE")  # functions whose "name" arguments make columns a measure can name


class Support:
    """Walks every measure once; `reason(name)` is None when Bridge evaluates it."""

    def __init__(self, model: PowerBIModel):
        self.model = model
        self.columns = {(t, c) for t, df in model.tables.items() for c in df.columns}
        self.column_names = {c for _, c in self.columns}
        self.lower = {k.lower(): k for k in model.measures}
        self.reasons: dict[str, tuple[str | None, str | None]] = {}

    def reason(self, name: str, path: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
        """(why not, culprit) for measure `name`, (None, None) when supported."""
        if name in path:
            cycle = " → ".join(f"[{m}]" for m in path[path.index(name):] + (name,))
            return f"refers to itself through {cycle}", f"[{name}]"
        if name in self.reasons:
            return self.reasons[name]
        if len(path) >= MAX_DAX_DEPTH:
            return f"refers to measures nested more than {MAX_DAX_DEPTH} deep (MAX_DAX_DEPTH)", f"[{name}]"
        try:
            tree = parse(self.model.measures[name].expression)
        except DaxSyntaxError as exc:
            result: tuple[str | None, str | None] = (f"does not parse: {exc}", "syntax")
        else:
            result = self._check(tree, name, path + (name,))
        if not path or result[0] is None or not any(w in result[0] for w in ("refers to itself", "MAX_DAX_DEPTH")):
            self.reasons[name] = result
        return result

    def _check(self, tree: object, home: str, path: tuple[str, ...]) -> tuple[str | None, str | None]:
        added = {a.value for node, _ in _walk(tree, frozenset()) if isinstance(node, Call) and node.name in _ADDING
                 for a in node.args if isinstance(a, Str)}
        for node, scope in _walk(tree, frozenset()):
            if isinstance(node, Call) and node.name not in FUNCTIONS:
                return f"uses {node.name}, which Bridge does not evaluate", node.name
            if isinstance(node, Col) and not (node.table is None and node.column in added):
                problem = self._column(node, path)
                if problem[0] is not None:
                    return problem
            if isinstance(node, Ident):
                word = node.name
                if word.upper() not in scope and word not in self.model.tables and word.upper() not in KEYWORDS:
                    return f"refers to {word}, which is neither a variable nor a table of the model", word
        return None, None

    def _column(self, node: Col, path: tuple[str, ...]) -> tuple[str | None, str | None]:
        measure = self.lower.get(node.column.lower())
        if measure is not None and (node.table is None or (node.table, node.column) not in self.columns):
            why, culprit = self.reason(measure, path)
            if why is None:
                return None, None
            if why.startswith("refers to itself"):
                return why, culprit
            return f"refers to [{measure}], which Bridge cannot evaluate: it {why}", culprit
        if node.table is not None:
            if (node.table, node.column) not in self.columns:
                return f"refers to '{node.table}'[{node.column}], which is not a column of the model", \
                    f"'{node.table}'[{node.column}]"
        elif node.column not in self.column_names:
            return f"refers to [{node.column}], which is neither a measure nor a column of the model", f"[{node.column}]"
        return None, None


def _walk(node: object, scope: frozenset[str]) -> Iterator[tuple[object, frozenset[str]]]:
    """Every node with the variable names in scope at it."""
    yield node, scope
    if isinstance(node, Let):
        for name, expr in node.bindings:
            yield from _walk(expr, scope)
            scope = scope | {name.upper()}
        yield from _walk(node.body, scope)
    elif isinstance(node, Call):
        for a in node.args:
            if a is not None:
                yield from _walk(a, scope)
    elif isinstance(node, Bin):
        yield from _walk(node.left, scope)
        yield from _walk(node.right, scope)
    elif isinstance(node, Unary):
        yield from _walk(node.operand, scope)
    elif isinstance(node, TableCtor):
        for row in node.rows:
            for x in row:
                yield from _walk(x, scope)


def measure_support(model: PowerBIModel) -> dict[str, str | None]:
    """Measure name → None if Bridge evaluates it, else the reason, naming the function or name at fault."""
    support = Support(model)
    return {name: support.reason(name)[0] for name in model.measures}


def check(model: PowerBIModel, name: str) -> None:
    """Raises `DaxError` (with the culprit) when measure `name` is not one Bridge evaluates."""
    if name not in model.measures:
        from bridge.errors import did_you_mean

        raise DaxError(f"the model has no measure [{name}]{did_you_mean(name, model.measures)}", name, f"[{name}]",
                       model.source)
    why, culprit = Support(model).reason(name)
    if why is not None:
        raise DaxError(why, name, culprit, model.source)
