"""A Power BI report's pages and visuals, read from the `.pbix`'s `Report/Layout` member.

The layout is JSON (UTF-16 as Power BI Desktop writes it): `sections` are pages, each with its
size and `visualContainers`; a container's `config` is itself a JSON string whose `singleVisual`
holds the visual's type, its `prototypeQuery` (the fields it selects: columns, model measures
and implicit aggregations such as Sum of a column), its `projections` (which field plays which
role: Category, Y, Series, Values, …) and its formatting (`vcObjects`: the title).  Filters sit
on the report, the page and the visual.  Only what a briefing can use is kept; the rest of each
visual is left for the importer to report as not converted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.data.powerbi.archive import open_archive, read_member, refused

# Power BI's query aggregate functions by their number in the layout (its QueryAggregateFunction):
# the DAX each is written as when a visual aggregates a column itself.
AGGREGATES = {0: "SUM", 1: "AVERAGE", 2: "COUNT", 3: "MIN", 4: "MAX", 5: "DISTINCTCOUNT", 6: "MEDIAN"}
AGGREGATE_WORDS = {"SUM": "Sum", "AVERAGE": "Average", "COUNT": "Count", "MIN": "Min", "MAX": "Max",
                   "DISTINCTCOUNT": "Count", "MEDIAN": "Median"}
MAX_VISUALS = 2_000  # visuals over all pages: more is not a report anyone presents


@dataclass(frozen=True)
class FieldRef:
    """A field a visual selects: a model column, a model measure, or a column the visual aggregates."""

    kind: str  # "column", "measure" or "aggregate"
    table: str
    name: str
    function: str | None = None  # for an aggregate: SUM, AVERAGE, COUNT, MIN, MAX, DISTINCTCOUNT, MEDIAN

    @property
    def column(self) -> str:
        """As Bridge's `by:` and `filters:` name a column: Table[Column]."""
        return f"{self.table}[{self.name}]"

    @property
    def measure_name(self) -> str:
        """The name its values go by: the measure's, or Power BI's own for an aggregate ("Sum of Sales")."""
        return f"{AGGREGATE_WORDS[self.function or 'SUM']} of {self.name}" if self.kind == "aggregate" else self.name

    @property
    def dax(self) -> str:
        """An aggregate as a DAX measure, e.g. SUM('Metrics'[Downtime])."""
        table = self.table.replace("'", "''")
        return f"{self.function}('{table}'[{self.name}])"


@dataclass(frozen=True)
class Filter:
    """A filter Bridge can carry over: a column kept to some values (Power BI's basic, categorical filter)."""

    field: FieldRef
    values: tuple


@dataclass
class Visual:
    """One visual on a page: its type and box on the page, its fields by role, title, filters and sort."""

    type: str
    x: float
    y: float
    width: float
    height: float
    z: float = 0
    roles: dict[str, list[FieldRef]] = field(default_factory=dict)
    order: list[tuple[FieldRef, bool]] = field(default_factory=list)  # (field, descending)
    title: str | None = None  # its own title, when it gives one
    title_shown: bool = True
    filters: list[Filter] = field(default_factory=list)
    skipped_filters: int = 0  # filters of kinds Bridge cannot carry over (top N, relative dates, advanced)
    text: str | None = None  # a text box's words
    text_size: float | None = None  # its first run's font size, in points
    image: str | None = None  # an image's name among the report's resources
    fields_skipped: list[str] = field(default_factory=list)  # selected fields Bridge cannot read (hierarchies)

    def fields(self, *roles: str) -> list[FieldRef]:
        return [f for role in roles for f in self.roles.get(role, [])]


@dataclass
class Page:
    name: str
    width: float
    height: float
    visuals: list[Visual]
    filters: list[Filter] = field(default_factory=list)
    skipped_filters: int = 0


@dataclass
class Report:
    pages: list[Page]
    filters: list[Filter] = field(default_factory=list)
    skipped_filters: int = 0


def read_report(path: Path) -> Report:
    """The report in a `.pbix`: its pages in order, each with its visuals (groups' members as visuals of their own)."""
    open_archive(path, model=False)
    raw = read_member(path, "Report/Layout")
    if raw is None:
        raise refused(path, "holds no report pages Bridge can read (no Report/Layout, or one over the size limit); "
                            "save it again from Power BI Desktop")
    try:
        layout = json.loads(_text(raw))
    except (ValueError, RecursionError):
        raise refused(path, "has a damaged report layout (Report/Layout is not JSON); "
                            "save it again from Power BI Desktop") from None
    if not isinstance(layout, dict):
        raise refused(path, "has a report layout Bridge does not recognise; save it again from Power BI Desktop")
    sections = [s for s in layout.get("sections") or [] if isinstance(s, dict)]
    sections.sort(key=lambda s: s.get("ordinal", 0) if isinstance(s.get("ordinal"), (int, float)) else 0)
    pages: list[Page] = []
    count = 0
    for section in sections:
        visuals = [v for c in section.get("visualContainers") or [] if isinstance(c, dict) and (v := _visual(c)) is not None]
        count += len(visuals)
        if count > MAX_VISUALS:
            raise refused(path, f"has more than {MAX_VISUALS:,} visuals; Bridge imports reports people present")
        filters, skipped = _filters(section.get("filters"))
        pages.append(Page(str(section.get("displayName") or section.get("name") or f"Page {len(pages) + 1}"),
                          _number(section.get("width"), 1280), _number(section.get("height"), 720), visuals, filters, skipped))
    filters, skipped = _filters(layout.get("filters"))
    return Report(pages, filters, skipped)


def _text(raw: bytes) -> str:
    """Power BI writes the layout as UTF-16 (little-endian, mostly without a byte-order mark)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    if len(raw) > 1 and raw[1:2] == b"\x00":
        return raw.decode("utf-16-le", errors="replace")
    return raw.decode("utf-8-sig", errors="replace")


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _json(value: Any) -> Any:
    """A member that is itself JSON written as a string (a container's config, its filters)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value


def _visual(container: dict) -> Visual | None:
    config = _json(container.get("config"))
    if not isinstance(config, dict) or "singleVisualGroup" in config:
        return None  # a group's box: its members are containers of their own
    single = config.get("singleVisual")
    if not isinstance(single, dict):
        return None
    layouts = config.get("layouts")
    first = layouts[0] if isinstance(layouts, list) and layouts and isinstance(layouts[0], dict) else {}
    box: Any = first.get("position") if isinstance(first.get("position"), dict) else container
    visual = Visual(str(single.get("visualType") or "unknown"), _number(box.get("x"), 0), _number(box.get("y"), 0),
                    _number(box.get("width"), 0), _number(box.get("height"), 0), _number(box.get("z"), 0))
    query: Any = single.get("prototypeQuery") if isinstance(single.get("prototypeQuery"), dict) else {}
    sources = {f.get("Name"): f.get("Entity") for f in query.get("From") or [] if isinstance(f, dict)}
    selected: dict[str, FieldRef] = {}
    for item in query.get("Select") or []:
        ref = _field(item, sources) if isinstance(item, dict) else None
        if ref is None:
            visual.fields_skipped.append(str(item.get("Name", "?")) if isinstance(item, dict) else "?")
        elif isinstance(item.get("Name"), str):
            selected[item["Name"]] = ref
    for role, items in (single.get("projections") or {}).items():
        refs = [selected[i["queryRef"]] for i in items if isinstance(i, dict) and i.get("queryRef") in selected]
        if refs:
            visual.roles[str(role)] = list(dict.fromkeys(refs))
    for order in query.get("OrderBy") or []:
        ref = _field(order.get("Expression") or {}, sources) if isinstance(order, dict) else None
        if ref is not None:
            visual.order.append((ref, order.get("Direction") == 2))
    _title(visual, single.get("vcObjects"))
    _words(visual, single.get("objects"))
    visual.filters, visual.skipped_filters = _filters(container.get("filters"))
    return visual


def _field(item: dict, sources: dict) -> FieldRef | None:
    """A selected field as Bridge names it; None for one it cannot read (a hierarchy level, an expression)."""
    for kind in ("Column", "Measure"):
        node = item.get(kind)
        if isinstance(node, dict):
            table = _entity(node.get("Expression"), sources)
            if table and isinstance(node.get("Property"), str):
                return FieldRef(kind.lower(), table, node["Property"])
    node = item.get("Aggregation")
    if isinstance(node, dict) and node.get("Function") in AGGREGATES:
        inner = _field(node.get("Expression") or {}, sources)
        if inner is not None and inner.kind == "column":
            return FieldRef("aggregate", inner.table, inner.name, AGGREGATES[node["Function"]])
    return None


def _entity(expression: Any, sources: dict) -> str | None:
    ref = expression.get("SourceRef") if isinstance(expression, dict) else None
    if not isinstance(ref, dict):
        return None
    name = ref.get("Entity") or sources.get(ref.get("Source"))
    return str(name) if name else None


def _literal(node: Any) -> Any:
    """A literal as the layout writes it: 'text', 12L, 1.5D, true/false, null."""
    value = node.get("Literal", {}).get("Value") if isinstance(node, dict) else None
    if not isinstance(value, str):
        return None
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value[:-1]) if value.endswith("L") else float(value[:-1]) if value.endswith(("D", "M")) else float(value)
    except ValueError:
        return None


def _title(visual: Visual, objects: Any) -> None:
    title = (objects or {}).get("title") if isinstance(objects, dict) else None
    props = title[0].get("properties", {}) if isinstance(title, list) and title and isinstance(title[0], dict) else {}
    if isinstance(props, dict):
        shown = _literal((props.get("show") or {}).get("expr"))
        visual.title_shown = shown is not False
        text = _literal((props.get("text") or {}).get("expr"))
        if isinstance(text, str) and text.strip():
            visual.title = text.strip()


def _words(visual: Visual, objects: Any) -> None:
    """A text box's paragraphs as plain lines, and an image's resource name."""
    general = (objects or {}).get("general") if isinstance(objects, dict) else None
    props = general[0].get("properties", {}) if isinstance(general, list) and general and isinstance(general[0], dict) else {}
    if not isinstance(props, dict):
        return
    lines = []
    for paragraph in props.get("paragraphs") or []:
        runs = paragraph.get("textRuns") if isinstance(paragraph, dict) else None
        lines.append("".join(str(r.get("value", "")) for r in runs or [] if isinstance(r, dict)))
        if visual.text_size is None and runs and isinstance(runs[0], dict):
            size = str((runs[0].get("textStyle") or {}).get("fontSize", ""))
            number = size.removesuffix("pt").removesuffix("px")
            if number.replace(".", "", 1).isdigit():
                visual.text_size = float(number) * (0.75 if size.endswith("px") else 1.0)
    if lines:
        visual.text = "\n".join(line.rstrip() for line in lines).strip()
    url: Any = props.get("imageUrl") if isinstance(props.get("imageUrl"), dict) else {}
    image = (url.get("expr") or {}).get("ResourcePackageItem") if isinstance(url.get("expr"), dict) else None
    if isinstance(image, dict) and isinstance(image.get("ItemName"), str):
        visual.image = image["ItemName"]


def _filters(raw: Any) -> tuple[list[Filter], int]:
    """Basic filters (a column in a list of values) Bridge carries over, and how many others it cannot."""
    found, skipped = [], 0
    for item in _json(raw) or []:
        condition = _in_condition(item)
        if condition is None:
            skipped += bool(isinstance(item, dict) and item.get("filter"))  # an unset filter card filters nothing
        else:
            found.append(condition)
    return found, skipped


def _in_condition(item: Any) -> Filter | None:
    query = item.get("filter") if isinstance(item, dict) else None
    if not isinstance(query, dict):
        return None
    sources = {f.get("Name"): f.get("Entity") for f in query.get("From") or [] if isinstance(f, dict)}
    where = query.get("Where") or []
    if len(where) != 1 or not isinstance(where[0], dict):
        return None
    condition = (where[0].get("Condition") or {}).get("In")
    if not isinstance(condition, dict) or len(condition.get("Expressions") or []) != 1:
        return None
    ref = _field(condition["Expressions"][0], sources)
    values = tuple(_literal(row[0]) for row in condition.get("Values") or [] if isinstance(row, list) and row)
    if ref is None or ref.kind != "column" or not values or any(v is None for v in values):
        return None
    return Filter(ref, values)
