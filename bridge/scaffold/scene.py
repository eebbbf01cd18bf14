"""The starting scene `bridge new` writes: datasets joined on their area codes, one panel per
measure, laid out round the room one step per file, with comments that say what was guessed.

The layout uses the five places the default room shows whole (ahead, and 72° and 144° either
way): a large panel (a map, a bar chart, a line chart) low in each, a KPI above it.  A step never
shows two panels in one place, so the layout pass finds nothing hidden or cut by a seam.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field

from bridge.errors import counted
from bridge.scaffold.detect import DataFile, Measure, matches

PLACES = (0, -72, 72, -144, 144)  # yaw of each projector's middle in the default room
LARGE = {"pitch": -9, "width": 56, "height": 32}
SMALL = {"pitch": 11, "width": 40, "height": 7}
_WORDS = ("true", "false", "null", "yes", "no", "on", "off")  # YAML would read these as booleans or null
_TOTAL = re.compile(r"^(total|all)\b|\btotal$", re.I)  # a count the others are parts of
_PERIOD = re.compile(r"year|period|date|month|quarter", re.I)


@dataclass
class Panel:
    id: str
    size: str  # "large" or "small"
    lines: list[str]  # type and its keys, as YAML
    comment: str
    width: int | None = None  # degrees, where not the place's own


@dataclass
class Source:
    """A file as a dataset of the scene."""

    file: DataFile
    name: str
    joined: bool = False
    note: str = ""  # why it joins, or why not
    panels: list[Panel] = field(default_factory=list)


def quoted(text: str) -> str:
    """A YAML scalar that reads back as `text`: plain where that is safe, else quoted."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 _.()/+-]*", text) and text.lower() not in _WORDS:
        return text
    if "'" not in text and not any(ord(c) < 32 for c in text):
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def column(dataset: str, name: str) -> str | None:
    """An expression naming a column (None where a name holds both kinds of quote)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not keyword.iskeyword(name):
        return f"{dataset}.{name}"
    if '"' not in name:
        return f'{dataset}["{name}"]'
    if "'" not in name:
        return f"{dataset}['{name}']"
    return None


def identifier(stem: str, taken: set[str], limit: int = 28) -> str:
    """A dataset or panel name from a file stem or column: lower case, words joined by _, unique."""
    words = re.findall(r"[a-z0-9]+", stem.lower()) or ["data"]
    name = words[0][:limit]
    for word in words[1:]:  # whole words, up to the limit
        if len(name) + 1 + len(word) > limit:
            break
        name += "_" + word
    if not name[0].isalpha():
        name = "d_" + name
    if keyword.iskeyword(name) or name in ("params", "all", "sum", "mean"):
        name += "_"
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def short(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, as words shown on a panel: its braces doubled, so a
    column named with one is not read as a {field}."""
    text = text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
    return literal(text)


def literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def plan(files: list[DataFile]) -> tuple[list[Source], Source | None]:
    """Each file as a dataset (the base first) and the base: the boundary file whose codes the
    most other files share, else the table of areas that does."""
    taken: set[str] = set()
    keyed = [f for f in files if f.key is not None and not f.repeats]
    def shared(f: DataFile) -> int:
        return sum(matches(f, g) > 0 for g in keyed if g is not f)
    bounds = [f for f in keyed if f.boundaries]
    base_file = max(bounds or keyed, key=shared, default=None)
    order = ([base_file] if base_file else []) + [f for f in files if f is not base_file]
    sources = []
    for f in order:
        name = identifier("areas" if f is base_file and f.boundaries else f.path.stem, taken)
        sources.append(Source(f, name))
    base = sources[0] if base_file else None
    for source in sources:
        _join_note(source, base)
    return sources, base


def _join_note(source: Source, base: Source | None) -> None:
    f = source.file
    what = counted(f.rows, "row") + (f" of {f.geography} codes in '{f.key}'" if f.key else ", no column of area codes found")
    if base is None or source is base:
        source.joined = source is base
        source.note = f"{what}; the base: every other dataset joins to its areas" if source.joined else what
        return
    n = matches(base.file, f)
    if f.key is None:
        source.note = f"{what}: it stands alone (join: false)"
    elif f.repeats:
        source.note = f"{what}, repeated (a row per area per period?): it stands alone; filter it (where:) or pivot it to join"
    elif n == 0:
        source.note = (f"{what}: none match the {base.file.geography} codes of {base.name}, so it stands alone "
                       "(a lookup from one kind of area to the other would join it)")
    else:
        source.joined = True
        source.note = f"{what}: joins {base.name} on matching codes ({n:,} of {len(base.file.codes):,} areas match)"


def map_width(aspect: float | None) -> int:
    """Degrees of yaw a map of this shape needs at the large panels' height, with its legend
    (the map keeps its shape, so a wider panel would be empty at the sides)."""
    if aspect is None:
        return LARGE["width"]
    return int(min(LARGE["width"], max(40, round(LARGE["height"] * aspect + 10))))


def add_panels(sources: list[Source], base: Source | None) -> None:
    """One panel per measure: a KPI for a count, a map (with boundaries) or a bar chart for the rest;
    a line chart for a measure in a file with a row per area per period."""
    maps = base is not None and base.file.boundaries
    width = map_width(base.file.aspect) if base is not None else None
    taken: set[str] = set()
    label = _labels(sources, base)
    for source in sources:
        f = source.file
        period = next((c for c in f.columns if _PERIOD.search(c)), None)
        total = next((m.column for m in f.measures if m.kind == "count" and _TOTAL.search(m.column.replace("_", " "))), None)
        for measure in f.measures:
            expr = column(source.name, measure.column)
            if expr is None:
                continue
            pid = identifier(measure.column, taken, 36).replace("_", "-")
            if not source.joined:
                if f.repeats and period and f.key:
                    source.panels.append(_line(pid, source, measure, period))
                continue
            if measure.kind == "count" and maps and total and measure.column != total:
                source.panels.append(_share(pid, expr, measure, column(source.name, total) or ""))
                source.panels[-1].width = width
            elif measure.kind == "count":
                source.panels.append(_kpi(pid, expr, measure))
            elif maps:
                source.panels.append(_map(pid, expr, measure))
                source.panels[-1].width = width
            elif label:
                source.panels.append(_bar(pid, expr, measure, label))


def _labels(sources: list[Source], base: Source | None) -> str | None:
    """Row labels for bar charts: a joined file's column of names, else the base's codes."""
    for source in sources:
        if source.joined and source.file.name:
            return column(source.name, source.file.name)
    return column(base.name, base.file.key) if base is not None and base.file.key else None


def _unit(measure: Measure) -> str:
    return "%" if measure.kind == "percent" else short(measure.column, 40)


def _kpi(pid: str, expr: str, measure: Measure) -> Panel:
    return Panel(pid, "small", ["type: kpi", f"value: {quoted(f'sum({expr})')}", f"label: {quoted(short(measure.column, 48))}",
                                "format: '{:,.0f}'"], "a count: its total over the areas")


def _map(pid: str, expr: str, measure: Measure) -> Panel:
    palette = "YlOrRd" if measure.kind == "percent" else "viridis"
    return Panel(pid, "large", ["type: map", f"title: {quoted(short(measure.column, 60))}", f"colour: {quoted(expr)}",
                                f"legend: {quoted(_unit(measure))}", f"palette: {palette}"],
                 "a percentage: one colour per area" if measure.kind == "percent" else "a value per area")


def _share(pid: str, count: str, measure: Measure, total: str) -> Panel:
    return Panel(pid, "large", ["type: map", f"title: {quoted(short(measure.column, 48) + ', % of the total')}",
                                f"colour: {quoted(f'100 * {count} / {total}')}", "legend: '% of the total'", "palette: YlOrRd"],
                 "a count, mapped as a share of the file's total (counts of different-sized areas mislead)")


def _bar(pid: str, expr: str, measure: Measure, label: str) -> Panel:
    return Panel(pid, "large", ["type: bar", f"title: {quoted(short(measure.column, 60))}", f"value: {quoted(expr)}",
                                f"label: {quoted(label)}", "top: 15", f"unit: {quoted(_unit(measure))}"],
                 "the fifteen highest areas (give boundaries to draw a map)")


def _line(pid: str, source: Source, measure: Measure, period: str) -> Panel:
    keys = ["type: line", f"title: {quoted(short(measure.column, 60))}", f"data: {source.name}",
            f"x: {quoted(period)}", f"y: {quoted(measure.column)}",
            f"series: {quoted(source.file.name or source.file.key or '')}"]
    return Panel(pid, "large", keys, "one line per area over time")
