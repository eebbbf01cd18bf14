"""Power BI visuals as Bridge panels: one function per kind of visual, each giving the panel(s)
it becomes (without a place: bridge/scaffold/page_layout.py gives that) or the reason it cannot.

A visual's fields become a measure query on the report's model (`{model: report, measures: …,
by: …, filters: …}`), so the room's numbers are the model's, evaluated in the visual's filter
context; a column it aggregates itself (Sum of Sales) becomes a measure of the scene's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.data.powerbi.report import FieldRef, Visual

if TYPE_CHECKING:
    from bridge.scaffold.from_report import Builder

BARS = {"clusteredBarChart": ("horizontal", "clustered"), "barChart": ("horizontal", "stacked"),
        "hundredPercentStackedBarChart": ("horizontal", "percent"), "clusteredColumnChart": ("vertical", "clustered"),
        "columnChart": ("vertical", "stacked"), "hundredPercentStackedColumnChart": ("vertical", "percent")}
AREAS = {"areaChart": "overlapping", "stackedAreaChart": "stacked", "hundredPercentStackedAreaChart": "percent"}
COMBOS = {"lineClusteredColumnComboChart": "clustered", "lineStackedColumnComboChart": "stacked"}
MAPS = ("map", "filledMap", "shapeMap", "azureMap", "esriVisual")
CONTROLS = ("shape", "basicShape", "actionButton", "pageNavigator", "bookmarkNavigator", "button")
REASONS = {
    "textSlicer": "a search box: the room asks its questions with the presenter's keys and remote (parameters)",
    "qnaVisual": "Q&A needs Power BI's language service",
    "decompositionTreeVisual": "a decomposition tree is explored by clicking, which a room does not do",
    "keyDriversVisual": "key influencers needs Power BI's machine-learning service",
    "aiNarratives": "smart narratives are written by Power BI's service",
}


class Skip(Exception):
    """A visual (or a field of one) Bridge does not convert, with the reason the run lists."""


@dataclass
class Made:
    """The panels a visual becomes, each with the panel kind that sizes it."""

    panels: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # parts left out, e.g. a second value


def convert(visual: Visual, b: Builder) -> Made:
    """The panels for one visual, or Skip with the reason."""
    kind = visual.type
    if kind in MAPS:
        raise Skip("Power BI's maps place names with an online service; Bridge draws maps from boundary files: "
                   "add the areas' GeoJSON to the scene and a map panel")
    if kind in CONTROLS:
        raise Skip("a button or shape: the room is driven by the presenter's keys, clicker and remote")
    if kind in REASONS:
        raise Skip(REASONS[kind])
    handler = HANDLERS.get(kind)
    if handler is None:
        raise Skip(f"Bridge has no panel for Power BI's '{kind}'" + (" (a custom visual: Bridge runs no code from a report)"
                                                                      if len(kind) > 30 or kind.endswith("Visual") else ""))
    return handler(visual, b)


def _title(visual: Visual, values: list[FieldRef], by: list[FieldRef]) -> str | None:
    """The visual's own title, else Power BI's default ("Sales by Region"); none when the visual hides it."""
    if not visual.title_shown:
        return None
    if visual.title:
        return visual.title
    names = " and ".join(v.measure_name for v in values[:2])
    return f"{names} by {' and '.join(c.name for c in by[:2])}" if by and names else names or None


def _one(fields: list[FieldRef], what: str) -> FieldRef:
    if not fields:
        raise Skip(f"it has no {what}")
    return fields[0]


def _split(fields: list[FieldRef]) -> tuple[list[FieldRef], list[FieldRef]]:
    return [f for f in fields if f.kind == "column"], [f for f in fields if f.kind != "column"]


def cards(visual: Visual, b: Builder) -> Made:
    columns, fields = _split(visual.fields("Values", "Data", "Fields"))
    values, notes = b.numeric(fields)
    words = [f for f in fields if b.is_text(f)]
    if not values and words and not columns:  # a label measure ("▲ 4% on last year"): its words as text
        ds = b.dataset(visual, words, [])
        lines = "\n".join(f"{{{b.ref(ds, f.measure_name)}}}" for f in words[:4])
        return Made([{"type": "text", "text": lines, "style": "paragraph"}])
    if not values:
        raise Skip("it shows no number Bridge can draw" + (f" ({'; '.join(notes)})" if notes else ""))
    if columns:
        ds = b.dataset(visual, values, columns[:1])
        panel = {"type": "cards", "title": _title(visual, values, columns[:1]), "label": b.ref(ds, columns[0].column),
                 "values": {v.measure_name: b.ref(ds, v.measure_name) for v in values[:6]}}
        return Made([panel], notes)
    ds = b.dataset(visual, values, [])
    panels = [{"type": "kpi", "title": visual.title if visual.title and len(values) == 1 else None,
               "value": f"sum({b.ref(ds, v.measure_name)})", "label": v.measure_name} for v in values[:4]]
    return Made(panels, notes + ([f"{len(values) - 4} more values"] if len(values) > 4 else []))


def bars(visual: Visual, b: Builder) -> Made:
    orientation, stack = BARS[visual.type]
    label = _one([f for f in visual.fields("Category") if f.kind == "column"], "category (axis) field")
    series = [f for f in visual.fields("Series") if f.kind == "column"][:1]
    values, notes = b.numeric(visual.fields("Y"))
    value = _one(values, "value field Bridge can evaluate")
    notes += [f"only its first value, {value.measure_name}, is drawn"] if len(values) > 1 else []
    ds = b.dataset(visual, [value], [label, *series])
    panel = {"type": "column", "title": _title(visual, [value], [label]), "label": b.ref(ds, label.column),
             "value": b.ref(ds, value.measure_name), "orientation": orientation, "stack": stack,
             "order": _order(visual, label), "top": 15}
    if series:
        panel["series"] = b.ref(ds, series[0].column)
    return Made([panel], notes)


def _order(visual: Visual, label: FieldRef) -> str:
    """Power BI's sort as a chart's order: by its category (periods, names) or by value."""
    for ref, descending in visual.order[:1]:
        if ref == label:
            return "period"
        return "descending" if descending else "ascending"
    return "descending"


def lines(visual: Visual, b: Builder) -> Made:
    x = _one([f for f in visual.fields("Category") if f.kind == "column"], "axis field")
    series = [f for f in visual.fields("Series") if f.kind == "column"][:1]
    values, notes = b.numeric(visual.fields("Y"))
    y = _one(values, "value field Bridge can evaluate")
    ds = b.dataset(visual, [y], [x, *series])
    kind = {"type": "area", "stack": AREAS[visual.type]} if visual.type in AREAS else {"type": "line"}
    panel = {**kind, "title": _title(visual, [y], [x]), "x": b.ref(ds, x.column), "y": b.ref(ds, y.measure_name)}
    if series:
        panel["series"] = b.ref(ds, series[0].column)
    return Made([panel], notes + ([f"only {y.measure_name} is drawn"] if len(values) > 1 else []))


def combo(visual: Visual, b: Builder) -> Made:
    label = _one([f for f in visual.fields("Category") if f.kind == "column"], "axis field")
    columns, notes = b.numeric(visual.fields("Y"))
    line_values, line_notes = b.numeric(visual.fields("Y2"))
    value, line = _one(columns, "column values"), _one(line_values, "line values")
    series = [f for f in visual.fields("Series") if f.kind == "column"][:1]
    ds = b.dataset(visual, [value, line], [label, *series])
    panel = {"type": "combo", "title": _title(visual, [value, line], [label]), "label": b.ref(ds, label.column),
             "value": b.ref(ds, value.measure_name), "line": b.ref(ds, line.measure_name), "line_label": line.measure_name,
             "stack": COMBOS[visual.type], "order": _order(visual, label)}
    if series:
        panel["series"] = b.ref(ds, series[0].column)
    return Made([panel], notes + line_notes)


def scatter(visual: Visual, b: Builder) -> Made:
    x_values, notes = b.numeric(visual.fields("X"))
    y_values, more = b.numeric(visual.fields("Y"))
    sizes, _ = b.numeric(visual.fields("Size"))
    x, y = _one(x_values, "X value"), _one(y_values, "Y value")
    details = [f for f in visual.fields("Category", "Details", "Series") if f.kind == "column"]
    details = list(dict.fromkeys(details))[:2]
    if not details:
        raise Skip("it has no details field: one dot per what?")
    ds = b.dataset(visual, [x, y, *sizes[:1]], details)
    panel = {"type": "scatter", "title": _title(visual, [y, x], details[:1]), "x": b.ref(ds, x.measure_name),
             "y": b.ref(ds, y.measure_name), "label": b.ref(ds, details[-1].column)}
    if sizes:
        panel["size"] = b.ref(ds, sizes[0].measure_name)
    series = [f for f in visual.fields("Series") if f.kind == "column"]
    if series or len(details) > 1:
        panel["category"] = b.ref(ds, (series or details)[0].column)
    return Made([panel], notes + more)


def parts(visual: Visual, b: Builder) -> Made:
    label = _one([f for f in visual.fields("Category", "Group") if f.kind == "column"], "category (legend) field")
    values, notes = b.numeric(visual.fields("Y", "Values"))
    value = _one(values, "value field Bridge can evaluate")
    ds = b.dataset(visual, [value], [label])
    panel: dict[str, Any] = {"type": "treemap" if visual.type == "treemap" else "donut",
                             "title": _title(visual, [value], [label]), "label": b.ref(ds, label.column),
                             "value": b.ref(ds, value.measure_name)}
    if visual.type == "pieChart":
        panel["hole"] = 0
    return Made([panel], notes)


def gauge(visual: Visual, b: Builder) -> Made:
    values, notes = b.numeric(visual.fields("Y"))
    value = _one(values, "value field Bridge can evaluate")
    extras = {role: b.numeric(visual.fields(role))[0][:1] for role in ("MinValue", "MaxValue", "TargetValue")}
    ds = b.dataset(visual, [value, *[f for fs in extras.values() for f in fs]], [])
    total = lambda f: f"sum({b.ref(ds, f.measure_name)})"  # noqa: E731
    panel = {"type": "gauge", "title": _title(visual, [value], []), "value": total(value), "label": value.measure_name,
             "min": total(extras["MinValue"][0]) if extras["MinValue"] else 0,
             "max": total(extras["MaxValue"][0]) if extras["MaxValue"] else f"2 * {total(value)}"}
    if extras["TargetValue"]:
        panel["target"] = total(extras["TargetValue"][0])
    return Made([panel], notes)


def table(visual: Visual, b: Builder) -> Made:
    fields = visual.fields("Values", "Rows", "Columns")
    columns, values = _split(list(dict.fromkeys(fields)))
    values, notes = b.numeric(values)
    if not values:
        tables = {c.table for c in columns}
        if len(tables) != 1:
            raise Skip("a table of columns from several tables with no value to relate them")
        ds = b.table_dataset(columns[0].table)
        return Made([{"type": "table", "title": _title(visual, [], []), "top": 20,
                      "columns": {c.name: b.ref(ds, c.name) for c in columns[:8]}}], notes)
    ds = b.dataset(visual, values, columns[:4])
    heads = {c.name: b.ref(ds, c.column) for c in columns[:4]} | {v.measure_name: b.ref(ds, v.measure_name) for v in values[:6]}
    sort = next((ref.measure_name for ref, _ in visual.order if ref in values), values[0].measure_name)
    return Made([{"type": "table", "title": _title(visual, values, columns[:1]), "columns": heads, "sort": sort, "top": 20}],
                notes)


def matrix(visual: Visual, b: Builder) -> Made:
    rows = [f for f in visual.fields("Rows") if f.kind == "column"]
    values, notes = b.numeric(visual.fields("Values"))
    if len(rows) < 2 or not values:
        return table(visual, b)
    ds = b.dataset(visual, values, rows[:2])
    notes += ["its column groups are left out"] if visual.fields("Columns") else []
    return Made([{"type": "matrix", "title": _title(visual, values, rows[:1]), "group": b.ref(ds, rows[0].column),
                  "label": b.ref(ds, rows[1].column), "group_heading": rows[0].name, "label_heading": rows[1].name,
                  "values": {v.measure_name: b.ref(ds, v.measure_name) for v in values[:8]}}], notes)


def text(visual: Visual, b: Builder) -> Made:
    words = (visual.text or "").strip()
    if not words:
        raise Skip("an empty text box")
    title = (visual.text_size or 0) >= 18 or ("\n" not in words and len(words) <= 60 and visual.height <= 80)
    return Made([{"type": "text", "text": words[:2000], "style": "title" if title else "paragraph"}])


def image(visual: Visual, b: Builder) -> Made:
    if not visual.image:
        raise Skip("an image from the web (Bridge reads only files inside the briefing)")
    path = b.image(visual.image)
    return Made([{"type": "image", "path": path}])


def slicer(visual: Visual, b: Builder) -> Made:
    column = _one([f for f in visual.fields("Values") if f.kind == "column"], "field")
    b.slicer(column)
    return Made()


HANDLERS: dict[str, Callable[[Visual, Builder], Made]] = {
    "card": cards, "cardVisual": cards, "multiRowCard": cards,
    **{kind: bars for kind in BARS}, "lineChart": lines, **{kind: lines for kind in AREAS},
    **{kind: combo for kind in COMBOS}, "scatterChart": scatter, "treemap": parts, "donutChart": parts, "pieChart": parts,
    "gauge": gauge, "tableEx": table, "table": table, "pivotTable": matrix, "textbox": text, "image": image,
    "slicer": slicer, "advancedSlicerVisual": slicer,
}
