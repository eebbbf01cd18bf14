"""`bridge pbix FILE`: what a Power BI model holds, and a measure's values as the room will show them.

Without `--measure` it lists the model's tables (rows, columns and their types), relationships,
and measures with their DAX and whether Bridge evaluates each (and why not).  With `--measure`
it prints that measure's values — `--by` breaks it down by columns, `--filter` slices it, `--as-of`
fixes TODAY() — so the analyst can check the room's number against the desk report's; `--json`
prints them as `{"measure": NAME, "rows": [{"Table[Column]": value, …, "value": number_or_null}]}`.
A file that is broken, oversized, hostile, connected live or DirectQuery is refused in one line
(exit 2), and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
from pathlib import Path
from typing import Any

from bridge.commands.terminal import escape, out
from bridge.errors import BridgeError, did_you_mean

HELP = "list a Power BI model's tables, relationships and measures, or print a measure's values"
DESCRIPTION = ("Read a Power BI Desktop file (.pbix) as Bridge does: list its tables (rows, columns, types), "
               "relationships, and measures with their DAX and whether Bridge evaluates each; or, with --measure, "
               "print that measure's values, broken down by --by columns and sliced by --filter, to check against "
               "the desk report.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="the .pbix file")
    p.add_argument("--measure", metavar="NAME", help="print this measure's values")
    p.add_argument("--by", metavar="'Table[Column]'", action="append", default=[],
                   help="break the measure down by this column (repeat for several)")
    p.add_argument("--filter", metavar="'Table[Column]=VALUE'", action="append", default=[],
                   help="keep only rows where the column has this value (repeat; the same column twice means either)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", type=_date, help="the day TODAY() and NOW() give (default: today)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD, e.g. 2024-06-30") from None


def run(args) -> int:
    from bridge.data.powerbi.reader import load_model

    path: Path = args.file
    if path.suffix.lower() != ".pbix":
        raise BridgeError(f"{path.name}: not a Power BI file (.pbix); name the report Power BI Desktop saved")
    if not path.is_file():
        raise BridgeError(f"{path}: file not found")
    if (args.by or args.filter or args.as_of) and not args.measure:
        raise BridgeError("--by, --filter and --as-of go with --measure NAME")
    model = load_model(path)
    if args.measure:
        return _measure(model, args)
    return _listing(model, args.json)


def _measure(model, args) -> int:
    from bridge.data.dax import evaluate_measures, measure_support
    from bridge.data.powerbi.query import check_column

    name = args.measure
    if name not in model.measures:
        raise BridgeError(f"{model.source} has no measure '{name}'{did_you_mean(name, model.measures)}; "
                          f"its measures: {', '.join(model.measures) or 'none'}")
    problems = [f"--by {c}: {why}" for c in args.by if (why := check_column(model, c))]
    filters: dict[str, list] = {}
    for text in args.filter:
        column, equals, value = text.partition("=")
        column = column.strip()
        why = check_column(model, column) if equals else "write 'Table[Column]=VALUE', e.g. 'Date[Year]=2024'"
        if why:
            problems.append(f"--filter {text}: {why}")
            continue
        filters.setdefault(column, []).append(_typed(model, column, value.strip()))
    if problems:
        raise BridgeError(problems)
    why_not = measure_support(model).get(name)
    if why_not:
        raise BridgeError(f"{model.source}: measure '{name}' cannot be evaluated: {why_not}")
    frame = evaluate_measures(model, [name], by=list(args.by), filters=filters, today=args.as_of)
    rows = [{**{c: _plain(row[c]) for c in args.by}, "value": _number(row[name])} for _, row in frame.iterrows()]
    if args.json:
        sys.stdout.write(json.dumps({"measure": name, "rows": rows}, ensure_ascii=False) + "\n")
        return 0
    from rich.table import Table

    table = Table(title=f"[{escape(name)}]" + (f" where {escape(', '.join(args.filter))}" if args.filter else ""))
    for column in [*args.by, "value"]:
        table.add_column(escape(column), justify="right" if column == "value" else "left")
    for row in rows:
        cells = [_cell(row[c]) for c in args.by] + [_cell(row["value"], number=True)]
        table.add_row(*map(escape, cells))
    out.print(table)
    return 0


def _cell(value: Any, number: bool = False) -> str:
    """A value for the terminal: a measure's with thousands separators and up to ten significant figures."""
    if value is None:
        return "(blank)"
    if isinstance(value, float) and value.is_integer() and not number:
        return str(int(value))
    return f"{value:,.10g}" if number and isinstance(value, (int, float)) else str(value)


def _typed(model, column: str, text: str) -> Any:
    """A --filter value as the column holds it: a number for a numeric column, a date for a date column."""
    import pandas as pd  # here, not at the top: `bridge --help` stays quick

    from bridge.data.powerbi.query import split_column

    table, name = split_column(column) or ("", "")
    series = model.tables[table][name]
    try:
        if pd.api.types.is_bool_dtype(series):
            return text.lower() in ("true", "1", "yes")
        if pd.api.types.is_numeric_dtype(series):
            number = float(text)
            return int(number) if number.is_integer() else number
        if pd.api.types.is_datetime64_any_dtype(series):
            return pd.Timestamp(text)
    except ValueError:
        raise BridgeError(f"--filter {column}={text}: '{text}' is not a value of {column} "
                          f"(its values are {series.dtype}); e.g. {series.dropna().iloc[0] if series.notna().any() else ''}"
                          ) from None
    return text


def _plain(value: Any) -> Any:
    """A cell as JSON: numpy scalars as Python ones, dates as ISO text, missing as null."""
    import pandas as pd

    if hasattr(value, "item") and not isinstance(value, (pd.Timestamp,)):
        value = value.item()
    if isinstance(value, (pd.Timestamp, datetime.date)):
        return value.isoformat()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _number(value: Any) -> float | int | None:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _listing(model, as_json: bool) -> int:
    from bridge.data.dax import measure_support

    support = measure_support(model)
    if as_json:
        document = {
            "tables": [{"name": t, "rows": len(f), "columns": {str(c): str(f[c].dtype) for c in f.columns}}
                       for t, f in model.tables.items()],
            "relationships": [vars(r) for r in model.relationships],
            "measures": [{"name": m.name, "table": m.table, "expression": m.expression, "unsupported": support.get(m.name)}
                         for m in model.measures.values()]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        return 0
    from rich.table import Table

    tables = Table(title=f"{escape(model.source)}: tables")
    for column in ("table", "rows", "columns (type)"):
        tables.add_column(column)
    for name, frame in model.tables.items():
        tables.add_row(escape(name), f"{len(frame):,}", escape(", ".join(f"{c} ({frame[c].dtype})" for c in frame.columns)))
    out.print(tables)
    links = Table(title="relationships (filters flow from the one side to the many side)")
    for column in ("many side", "one side", "active", "direction", "cardinality"):
        links.add_column(column)
    for r in model.relationships:
        links.add_row(escape(f"{r.from_table}[{r.from_column}]"), escape(f"{r.to_table}[{r.to_column}]"),
                      "yes" if r.active else "no", "both" if r.both_directions else "single", r.cardinality)
    out.print(links)
    supported = sum(1 for m in model.measures if support.get(m) is None)
    out.print(f"[bold]measures[/]: {supported} of {len(model.measures)} evaluated by Bridge")
    for m in model.measures.values():
        why = support.get(m.name)
        out.print(f"\n[bold]{escape(m.table)}[{escape(m.name)}][/] "
                  + ("[green]evaluated[/]" if why is None else f"[yellow]not evaluated: {escape(why)}[/]"))
        for line in m.expression.splitlines():
            out.print("    " + escape(line))
    return 0
