"""Every step of a briefing as text: what each panel shows, for people who cannot see the room.

`step_texts(briefing)` gives one JSON-able dict per step — its title, notes, the parameter
values it is shown with, and for each panel it shows (in the step's order) the panel's
content as words and tables — for the exported site (bridge/export/site.py), screen readers and
anyone reading the briefing after the meeting.

The text says what the picture says and no more:

* numbers are written as the panels write them (bridge/data/numformat.py and the panels' own
  helpers: a KPI's `number_text`, a bar chart's decimals, a map's legend labels);
* disclosure control holds: a value a panel shows as "suppressed" is "suppressed" here too,
  and a table of areas lists suppressed areas after the others, so their place in the order
  says nothing about their value;
* each step is described as it is shown, with the parameter values its `params:` sets
  (`Briefing.step_view`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import MISSING, auto_format, fixed, is_missing, shared_decimals, with_unit

MAX_ROWS = 300  # a table of areas or points longer than this lists its first rows (by value) and says so
NO_DATA = "no data"  # a map's area without a value, as its legend calls it

_EMPHASIS = re.compile(r"\*\*(.+?)\*\*")  # as bridge/panels/text.py marks emphasis in a title


def step_texts(briefing) -> list[dict]:
    """One dict per step: number, title, notes, params (name and value as the room reads it),
    highlighted panel ids, and `panels`: for each panel the step shows, in order, its id, type,
    title, `text` (paragraphs), `tables` (caption, headings, rows, note) and what its type adds."""
    return [step_text(briefing.step_view(s), s) for s in range(len(briefing.scene.steps))]


def step_text(view, s: int) -> dict:
    """Step `s` (0-based) as `view` shows it (a parameter view: the values a live answer asked for)."""
    step = view.scene.steps[s]  # its title filled with this view's {params.NAME}
    index = {p.id: i for i, p in enumerate(view.scene.panels)}
    panels = []
    for panel_id in step.show:
        entry = panel_text(view, s, index[panel_id])
        entry["highlighted"] = panel_id in step.highlighted
        panels.append(entry)
    return {"number": s + 1, "title": step.title, "notes": step.notes, "params": _params(view),
            "highlighted": step.highlighted, "panels": panels}


def _params(view) -> list[dict]:
    """Every parameter of the scene with the value this view shows, as the room reads it."""
    from bridge.scene.params import label

    return [{"name": name, "value": label(param, view.data.params.get(name))} for name, param in view.scene.params.items()]


def panel_text(view, step_index: int, panel_index: int) -> dict:
    """One panel of a step as text (see `step_texts`)."""
    panel = view.scene.panels[panel_index]
    content = view.contents[panel_index]
    entry = {"id": panel.id, "type": panel.type, "title": panel.title, "text": [], "tables": []}
    describe = _DESCRIBE.get(panel.type)
    if describe is None:  # a plug-in's panel type: nothing known about its content
        entry["text"].append(f"A {panel.type} panel; its content has no text version.")
        return entry
    describe(entry, view, step_index, panel, content)
    return entry


def _table(caption: str, headings: list[str], rows: list[list[str]], numeric: list[bool],
           row_headings: bool = True, note: str | None = None) -> dict:
    """A table as the site writes it: `row_headings` makes each row's first cell its heading."""
    return {"caption": caption, "headings": headings, "rows": rows, "numeric": numeric, "row_headings": row_headings,
            "note": note}


def _name(panel) -> str:
    return panel.title or panel.id


# --- each panel type -----------------------------------------------------------------------------

def _kpi(entry, view, s, panel, content) -> None:
    from bridge.panels.kpi import NO_DATA as KPI_NO_DATA

    missing = is_missing(content.value)
    value = SUPPRESSED if content.suppressed else KPI_NO_DATA if missing else with_unit(panel.number_text(content), panel.unit)
    comparison = None
    if (content.compare is not None and not content.suppressed and not missing and not is_missing(content.compare)
            and content.compare != 0):  # as KpiPanel.draw shows it
        change = content.value / content.compare - 1
        word = "up" if change > 0 else ("down" if change < 0 else "no change,")
        comparison = f"{word} {abs(change):.0%} {panel.compare_label or 'vs comparison'}"
    entry.update(value=value, label=panel.label, unit=panel.unit, comparison=comparison)
    sentence = value + (f" {panel.label}" if panel.label else "")
    entry["text"].append(sentence + (f" ({comparison})" if comparison else "") + ".")
    spark = content.spark
    if spark is not None and len(spark) > 1:  # its small counts already left out, as the spark line leaves them
        count = bool(panel.spark) and is_count(view.data, panel.spark, panel.data)
        first, last = auto_format(spark[0], count), auto_format(spark[-1], count)
        entry["text"].append(f"A spark line of {len(spark)} values, from {first} to {last}.")


def _bar(entry, view, s, panel, content) -> None:
    from bridge.panels.bar import bar_decimals

    decimals = bar_decimals(content)
    rows = [[label, SUPPRESSED if hidden else fixed(value, decimals).replace("-", "\u2212")]
            for label, value, hidden in zip(content.labels, content.values, content.suppressed)]
    value_heading = panel.unit or "Value"
    order = "smallest first" if panel.order == "ascending" else "largest first"
    entry["tables"].append(_table(f"{_name(panel)}: {len(rows)} bars, {order}", ["Name", value_heading], rows, [False, True]))
    picked = [label for label in content.labels if label in view.marks.get((s, panel.id), frozenset())]
    if panel.highlight and panel.highlight not in picked and panel.highlight in content.labels:
        picked.insert(0, panel.highlight)
    if picked:
        entry["text"].append("Picked out: " + "; ".join(picked) + ".")


def _line(entry, view, s, panel, content) -> None:
    count = is_count(view.data, panel.y, panel.data)
    values = [v for series in content.series.values() for v in series]
    decimals = shared_decimals([v for v in values if not is_missing(v)] or [0], count)
    names = list(content.series)
    rows = [[period] + [fixed(content.series[name][k], decimals, missing=MISSING) for name in names]
            for k, period in enumerate(content.x)]
    note = None
    if content.suppressed:  # the line leaves a gap: the text cannot say which gap is a small count
        note = (f"{content.suppressed} small count(s) of people {SUPPRESSED}; they are written as {MISSING}, "
                "as are periods without a value")
    caption = _name(panel) + (f" ({panel.unit})" if panel.unit else "")
    entry["tables"].append(_table(caption, ["Period"] + names, rows, [False] + [True] * len(names), note=note))
    if panel.highlight and panel.highlight in content.series:
        entry["text"].append(f"Picked out: {panel.highlight}.")


def _table_panel(entry, view, s, panel, content) -> None:
    numeric = content.numeric or [False] * len(content.headings)
    note = f"{content.suppressed_cells} small count(s) of people {SUPPRESSED}" if content.suppressed_cells else None
    entry["tables"].append(_table(_name(panel), list(content.headings), [list(r) for r in content.rows], list(numeric),
                                  row_headings=bool(numeric) and not numeric[0], note=note))


def _text(entry, view, s, panel, content) -> None:
    if panel.style == "title":
        entry["text"].append(" ".join(_EMPHASIS.sub(r"\1", panel.text).split()))
        return
    for paragraph in panel.text.split("\n\n"):  # as drawn: ** toggles emphasis, words re-wrapped
        words = " ".join(paragraph.replace("**", "").split())
        if words:
            entry["text"].append(words)


def _image(entry, view, s, panel, content) -> None:
    name = Path(panel.path).name
    entry["file"] = name
    entry["alt"] = f"{panel.title} (picture: {name})" if panel.title else f"Picture: {name}"
    entry["text"].append(entry["alt"] + ".")


def _area_rows(labels: list[str], values: np.ndarray, suppressed: np.ndarray, count: bool, what: str) -> tuple[list, str | None]:
    """Rows of (area, value as written), largest first; suppressed areas after them and areas
    without a value last (so their place in the order says nothing of their value); at most
    MAX_ROWS, with a note when cut."""
    values = np.asarray(values, dtype=float)
    shown = ~suppressed & np.isfinite(values)
    decimals = shared_decimals(values[shown] if shown.any() else [0], count)
    order = [k for k in np.argsort(np.where(shown, -values, np.inf), kind="stable") if shown[k]]
    order += [k for k in range(len(labels)) if suppressed[k]]
    order += [k for k in range(len(labels)) if not suppressed[k] and not shown[k]]
    rows = [[labels[k], SUPPRESSED if suppressed[k] else fixed(values[k], decimals) if shown[k] else NO_DATA] for k in order]
    note = None
    if len(rows) > MAX_ROWS:
        note = f"the {MAX_ROWS} {what} with the largest values of {len(rows):,} are listed"
        rows = rows[:MAX_ROWS]
    return rows, note


def _map(entry, view, s, panel, content) -> None:
    from bridge.panels.map import classify, legend_labels

    if panel.legend:
        entry["legend"] = panel.legend
    if content.values is None:
        entry["text"].append(f"A map of {len(content.keys):,} areas, drawn as outlines.")
        return
    count = bool(getattr(content, "count", False))
    picked = np.ones(len(content.keys), bool) if content.focus is None else np.asarray(content.focus, bool)
    labels = [str(label) for label in content.labels]
    keep = np.flatnonzero(picked)
    rows, note = _area_rows([labels[k] for k in keep], content.values[keep], content.suppressed[keep], count, "areas")
    entry["tables"].append(_table(f"{_name(panel)}: {len(keep):,} areas, largest first", ["Area", panel.legend or "Value"],
                                  rows, [False, True], note=note))
    shown = np.where(content.suppressed, np.nan, content.values)
    classes = []
    if np.isfinite(shown).any():
        classes = legend_labels(classify(shown, panel.classes), count)[::-1]  # as the legend lists them, highest first
    if content.suppressed.any():
        classes.append(SUPPRESSED)
    if np.isnan(content.values[~content.suppressed]).any():
        classes.append(NO_DATA)
    entry["classes"] = classes
    entry["text"].append(f"Legend{': ' + panel.legend if panel.legend else ''} — " + "; ".join(classes) + ".")
    if content.focus is not None:
        entry["text"].append(f"Zoomed to {len(keep):,} of {len(content.keys):,} areas; the rest are dimmed.")
    marked = view.marks.get((s, panel.id), frozenset())
    if marked:
        names = [labels[k] for k in range(len(labels)) if content.keys[k] in marked]
        entry["text"].append("Outlined in this step: " + "; ".join(names) + ".")


def _extruded(entry, view, s, panel, content) -> None:
    from bridge.panels.common.canvas import fmt_number

    count = is_count(view.data, panel.colour, panel.data or view.data.scene.base_name)
    rows, note = _area_rows([str(label) for label in content.labels], content.values, content.suppressed, count, "areas")
    entry["tables"].append(_table(f"{_name(panel)}: {len(rows):,} areas, largest first", ["Area", panel.legend or "Value"],
                                  rows, [False, True], note=note))
    shown = np.where(content.suppressed, np.nan, content.values)
    finite = shown[np.isfinite(shown)]
    key = f"from {fmt_number(float(finite.min()))} to {fmt_number(float(finite.max()))}" if len(finite) else ""
    entry["legend"] = panel.legend
    entry["text"].append(f"Prisms on a table: taller and brighter is higher{' (' + panel.legend + ')' if panel.legend else ''}"
                         f"{', ' + key if key else ''}.")


def _point_keys(view, dataset: str) -> list[str]:
    table = view.data.tables[dataset]
    if table.key and table.key in table.frame.columns:
        return [str(k) for k in table.frame[table.key]]
    return [f"point {k + 1}" for k in range(len(table.frame))]


def _points(entry, view, s, panel, content) -> None:
    xy = content.xy
    located = np.isfinite(xy).all(axis=1)
    personal = view.scene.datasets[panel.data].personal
    n = int(located.sum())
    total = SUPPRESSED if personal and suppression_mask(view.data, [n], True)[0] else f"{n:,}"
    weights = getattr(content, "weights", None)
    if panel.type == "heatmap":
        entry["text"].append(f"The density of {total} points, smoothed over {panel.radius_km:g} km"
                             + (", weighted" if weights is not None else "") + ".")
        values, expression, heading = weights, panel.weight, "Weight"
    else:
        entry["text"].append(f"{total} points.")
        values, expression, heading = content.values, panel.colour, panel.legend or "Value"
    if panel.legend:
        entry["legend"] = panel.legend
    if values is None or expression is None:
        return
    count = is_count(view.data, expression, panel.data)
    values = np.asarray(values, dtype=float)[located]
    hidden = suppression_mask(view.data, values, count)
    keys = [k for k, ok in zip(_point_keys(view, panel.data), located) if ok]
    rows, note = _area_rows(keys, values, hidden, count, "points")
    entry["tables"].append(_table(f"{_name(panel)}: {len(keys):,} points, largest first", ["Point", heading], rows,
                                  [False, True], note=note))


_DESCRIBE = {
    "kpi": _kpi,
    "bar": _bar,
    "line": _line,
    "table": _table_panel,
    "text": _text,
    "image": _image,
    "map": _map,
    "extruded": _extruded,
    "points": _points,
    "heatmap": _points,
}


TEXT_ROWS = 40  # rows of a panel's data table the watch page lists (the export has them all)


def step_lines(briefing) -> list[list[str]]:
    """Each step's content as lines of text for the watch page's screen-reader view
    (bridge/export/accessible.py's step_texts, with disclosure control kept): panel titles, what
    each says, and its data tables row by row (the first TEXT_ROWS)."""
    return [lines_of(step) for step in step_texts(briefing)]


def lines_of(step: dict) -> list[str]:
    """One step's text (`step_text`) as the watch page's lines."""
    lines = []
    for panel in step["panels"]:
        if panel.get("title"):
            lines.append(panel["title"])
        lines += [str(line) for line in panel.get("text", [])]
        for table in panel.get("tables", []):
            lines.append(table.get("caption", ""))
            for row in table.get("rows", [])[:TEXT_ROWS]:
                lines.append(", ".join(f"{h}: {v}" for h, v in zip(table.get("headings", []), row)))
            if len(table.get("rows", [])) > TEXT_ROWS:
                lines.append(f"… {len(table['rows']) - TEXT_ROWS} more rows (the exported briefing lists them all)")
    return [line for line in lines if line]
