"""Parsing an expression: its text read by Python's parser, checked, and its column references found.

Nothing is ever passed to `eval`: the text becomes a syntax tree that `check_tree`
(bridge/data/expressions/check.py) accepts only if every node is on the whitelist.
"""

from __future__ import annotations

import ast
import fnmatch
import warnings
from dataclasses import dataclass
from typing import cast

from bridge.data.expressions.check import bracket_depth, check_tree, fold_constants, is_pattern_total, nesting_depth
from bridge.data.expressions.vocabulary import ColumnRef, ColumnsOf, ExpressionError, name_of, text_of
from bridge.errors import shown
from bridge.limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH


@dataclass(frozen=True)
class Expression:
    """A parsed expression: keep the text for messages and the tree for evaluation."""

    text: str
    tree: ast.AST

    def references(self, columns: ColumnsOf | None = None, conditions: bool = True) -> list[ColumnRef]:
        """The columns this expression uses, in order.  A pattern (total(people, "Aged *")) is one
        ColumnRef with pattern=True, or, given `columns`, the ColumnRefs of the columns it matches
        (an ExpressionError when it matches none).  With `conditions` false, columns used only
        to pick rows (an aggregate's where=) are left out."""
        refs = column_references(self.tree, conditions)
        if columns is None:
            return refs
        out: list[ColumnRef] = []
        for ref in refs:
            if ref.pattern:
                dataset = cast(str, ref.dataset)  # a pattern is always of a named dataset's columns
                out.extend(ColumnRef(dataset, name) for name in matching_columns(dataset, [ref.column], columns))
            else:
                out.append(ref)
        return out


def parse(text: str) -> Expression:
    """Parse `text`, rejecting anything outside the whitelist (or over a limit) with a readable reason."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    source = text.strip()
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression is {len(source):,} characters long; at most {MAX_EXPRESSION_CHARS:,} are allowed "
                              "(split it into derived measures under derive:)")
    brackets = bracket_depth(source)
    if brackets > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(f"'{shown(text, 60)}' nests brackets {brackets} deep; "
                              f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed")
    try:
        with warnings.catch_warnings():  # an odd escape in quoted text is not worth a warning on the terminal
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        if "nested" in str(exc.msg):
            raise ExpressionError(f"'{shown(text, 60)}' nests brackets too deeply to read; "
                                  f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed") from None
        raise ExpressionError(f"cannot parse '{shown(text)}': {shown(str(exc.msg))}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"'{shown(text, 60)}' is nested too deeply to read; "
                              f"at most {MAX_EXPRESSION_DEPTH} levels of nesting are allowed") from None
    except Exception as exc:  # noqa: BLE001 - null bytes, lone surrogates: whatever the parser refuses is not an expression
        raise ExpressionError(f"cannot parse '{shown(text)}': {shown(str(exc))}") from None
    depth = nesting_depth(tree)
    if depth > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(
            f"'{shown(text, 60)}' is nested {depth} levels deep (operators, conditions and functions inside one another; "
            f"each term of a chain such as a + b + c counts one); at most {MAX_EXPRESSION_DEPTH} are allowed: "
            "split it into derived measures under derive:")
    check_tree(tree, source)
    fold_constants(tree)
    return Expression(text, tree)


def column_references(node: ast.AST, conditions: bool = True) -> list[ColumnRef]:
    """The columns a part of the tree names, in order (with `conditions` false, not those of an aggregate's where=)."""
    if isinstance(node, ast.Name):
        return [ColumnRef(None, node.id)]
    if isinstance(node, ast.Attribute):
        return [ColumnRef(name_of(node.value), node.attr)]
    if isinstance(node, ast.Subscript):
        return [ColumnRef(name_of(node.value), text_of(node.slice))]
    if isinstance(node, ast.Call):
        if is_pattern_total(node):
            return [ColumnRef(name_of(node.args[0]), text_of(arg), pattern=True) for arg in node.args[1:]]
        parts = [*node.args, *(kw.value for kw in node.keywords if conditions)]
        return [ref for part in parts for ref in column_references(part, conditions)]
    refs: list[ColumnRef] = []
    for child in ast.iter_child_nodes(node):
        refs.extend(column_references(child, conditions))
    return refs


def _listing(names: list[str], limit: int = 40) -> str:
    shown_names = ", ".join(f"'{shown(n, 60)}'" for n in names[:limit])
    return shown_names + (f", … ({len(names) - limit:,} more)" if len(names) > limit else "")


def matching_columns(dataset: str, patterns: list[str], columns: ColumnsOf | None, written: str | None = None) -> list:
    """The columns of `dataset` whose names match any of `patterns` (fnmatch-style, case
    sensitive), in the dataset's order; each pattern must match at least one."""
    written = written or shown(f"total({dataset}, {', '.join(chr(34) + p + chr(34) for p in patterns)})", 80)
    if columns is None:
        raise ExpressionError(f"column patterns such as '{written}' are not available here; "
                              f"name the columns instead: total({dataset}[\"a\"], {dataset}[\"b\"])")
    try:
        names = list(columns(dataset))
    except KeyError:
        raise ExpressionError(f"no dataset '{shown(dataset, 60)}' in '{written}'") from None
    chosen: set = set()
    for pattern in patterns:
        matched = [name for name in names if fnmatch.fnmatchcase(str(name), pattern)]
        if not matched:
            raise ExpressionError(f"no column of '{shown(dataset, 60)}' matches \"{shown(pattern, 60)}\" in '{written}' "
                                  f"(* stands for any text, ? for one character; case matters); "
                                  f"its columns: {_listing([str(n) for n in names])}")
        chosen.update(matched)
    return [name for name in names if name in chosen]
