"""What panel types share when they say their content in words (their `describe` hook).

The text version of a step (bridge/export/accessible.py) asks each panel to describe itself;
the helpers here build what several types add to that description — a table as the site
writes it, a ranked table of areas or points, a count of points that keeps disclosure control
— so that a panel type never imports the export layer.
"""

from __future__ import annotations

import numpy as np

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import fixed, shared_decimals

NO_DATA = "no data"  # a map's area without a value, as its legend calls it


def table(caption: str, headings: list[str], rows: list[list[str]], numeric: list[bool],
          row_headings: bool = True, note: str | None = None) -> dict:
    """A table as the site writes it: `row_headings` makes each row's first cell its heading."""
    return {"caption": caption, "headings": headings, "rows": rows, "numeric": numeric, "row_headings": row_headings,
            "note": note}


def ranked_table(panel_name: str, what: str, headings: list[str], rows: list[list[str]], counts_listed: bool = False) -> dict:
    """A table of `what` (areas, points) from `area_rows`, largest first, captioned with their
    number: the text version may list only its first rows and say so (`cut_ranked`).
    `counts_listed`: the caption counts the rows listed, not all of them (as an extruded
    panel's always has)."""
    ranked = {"name": panel_name, "what": what, "counts_listed": counts_listed}
    return {**table(ranked_caption(panel_name, len(rows), what), headings, rows, [False, True]), "ranked": ranked}


def ranked_caption(panel_name: str, count: int, what: str) -> str:
    return f"{panel_name}: {count:,} {what}, largest first"


def cut_ranked(table_: dict, max_rows: int) -> None:
    """Take off a table's `ranked` mark (`ranked_table`); a ranked table longer than `max_rows`
    lists its first `max_rows` rows, with a note saying so."""
    ranked = table_.pop("ranked", None)
    if ranked is None or len(table_["rows"]) <= max_rows:
        return
    table_["note"] = f"the {max_rows} {ranked['what']} with the largest values of {len(table_['rows']):,} are listed"
    table_["rows"] = table_["rows"][:max_rows]
    if ranked["counts_listed"]:
        table_["caption"] = ranked_caption(ranked["name"], max_rows, ranked["what"])


def name(panel) -> str:
    """How the text version names a panel: its title, or else its id."""
    return panel.title or panel.id


def area_rows(labels: list[str], values: np.ndarray, suppressed: np.ndarray, count: bool) -> list[list[str]]:
    """Rows of (area, value as written), largest first; suppressed areas after them and areas
    without a value last (so their place in the order says nothing of their value)."""
    values = np.asarray(values, dtype=float)
    shown = ~suppressed & np.isfinite(values)
    decimals = shared_decimals(values[shown] if shown.any() else [0], count)
    order = [k for k in np.argsort(np.where(shown, -values, np.inf), kind="stable") if shown[k]]
    order += [k for k in range(len(labels)) if suppressed[k]]
    order += [k for k in range(len(labels)) if not suppressed[k] and not shown[k]]
    return [[labels[k], SUPPRESSED if suppressed[k] else fixed(values[k], decimals) if shown[k] else NO_DATA] for k in order]


def point_total(view, panel, content) -> str:
    """How many of a points or heatmap panel's points have a place, or "suppressed" where the
    dataset is personal and the count is small."""
    located = np.isfinite(content.xy).all(axis=1)
    personal = view.scene.datasets[panel.data].personal
    n = int(located.sum())
    return SUPPRESSED if personal and suppression_mask(view.data, [n], True)[0] else f"{n:,}"


def point_table(entry: dict, view, panel, content, values, expression: str | None, heading: str) -> None:
    """A points or heatmap panel's legend, and its table of points by `values` (the value of
    `expression` per point), largest first, with small counts suppressed as drawn."""
    if panel.legend:
        entry["legend"] = panel.legend
    if values is None or expression is None:
        return
    located = np.isfinite(content.xy).all(axis=1)
    count = is_count(view.data, expression, panel.data)
    values = np.asarray(values, dtype=float)[located]
    hidden = suppression_mask(view.data, values, count)
    keys = [k for k, ok in zip(_point_keys(view, panel.data), located) if ok]
    rows = area_rows(keys, values, hidden, count)
    entry["tables"].append(ranked_table(name(panel), "points", ["Point", heading], rows))


def _point_keys(view, dataset: str) -> list[str]:
    """Each point's name: its dataset's key, or "point N"."""
    table_ = view.data.tables[dataset]
    if table_.key and table_.key in table_.frame.columns:
        return [str(k) for k in table_.frame[table_.key]]
    return [f"point {k + 1}" for k in range(len(table_.frame))]
