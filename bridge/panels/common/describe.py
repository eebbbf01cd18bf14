"""What panel types share when they say their content in words (their `describe` hook).

The text version of a step (bridge/export/accessible.py) asks each panel to describe itself;
the helpers here build what several types add to that description — a table as the site
writes it, a ranked table of areas or points, a count of points that keeps disclosure control
— so that a panel type never imports the export layer.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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
    """Each point's name: its area's name where the dataset has one beside its key (`area_names`),
    else its key, or "point N"."""
    table_ = view.data.tables[dataset]
    if table_.key and table_.key in table_.frame.columns:
        return area_names(view, dataset, [str(k) for k in table_.frame[table_.key]])
    return [f"point {k + 1}" for k in range(len(table_.frame))]


# A column of names beside a column of codes, as the ONS and most open data write them:
# lsoa21_code / lsoa21_name, "LSOA Code" / "LSOA Name", LSOA21CD / LSOA21NM.
_CODE_SUFFIX = re.compile(r"(code|cd)$", re.IGNORECASE)
_NAME_FOR = {"code": "name", "cd": "nm"}


def name_column(frame: pd.DataFrame, key: str | None) -> str | None:
    """The column of `frame` that names the areas its `key` column codes, or None.

    Found from the key's own name (its "code"/"CD" ending turned into "name"/"NM", any case),
    else a column called "name" or "area name"/"area_name"."""
    by_lower = {str(c).lower(): str(c) for c in frame.columns}
    wanted = []
    if key:
        match = _CODE_SUFFIX.search(key)
        if match:
            wanted.append(key[: match.start()] + _NAME_FOR[match.group(1).lower()])
    wanted += ["name", "area name", "area_name"]
    for candidate in wanted:
        column = by_lower.get(candidate.lower())
        if column is not None and column != key:
            return column
    return None


def area_names(view, dataset: str, keys: list[str]) -> list[str]:
    """How the text version names each area coded in `keys`: its name where the data has one (a
    name column beside the dataset's key, or beside the key of a dataset joined to it), else its
    code; a name two areas share is followed by the code, so every row is still one area."""
    found: dict[str, str] = {}
    for table_key, frame in _frames_with_codes(view, dataset):
        column = name_column(frame, table_key)
        if column is None or table_key not in frame.columns:
            continue
        for code, area in zip(frame[table_key], frame[column]):
            if isinstance(area, str) and area.strip() and not pd.isna(code):
                found.setdefault(str(code), area.strip())
        if found:
            break
    if not found:
        return list(keys)
    named = [found.get(k, k) for k in keys]
    seen: dict[str, int] = {}
    for label in named:
        seen[label] = seen.get(label, 0) + 1
    return [f"{label} ({k})" if seen[label] > 1 and label != k else label for label, k in zip(named, keys)]


def _frames_with_codes(view, dataset: str):
    """(key column, frame) of the dataset, then, for the base dataset, of each dataset joined to it
    (one row per base row, so its key codes the same areas)."""
    data = view.data
    table_ = data.tables[dataset]
    yield table_.key, table_.frame
    if dataset != data.scene.base_name:
        return
    for joined, frame in data.aligned.items():
        other = data.tables.get(joined)
        if other is not None and other.key and other.key in frame.columns:
            yield other.key, frame
