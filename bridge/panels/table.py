"""`type: table` — the top N rows of a table; counts of people under disclosure control."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import matplotlib
import numpy as np
import pandas as pd
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.expressions import to_float
from bridge.data.numformat import MISSING, NumberFormat, fixed, format_number, shared_decimals
from bridge.errors import BridgeError, did_you_mean
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import name, table
from bridge.panels.common.values import measures
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

YES, NO = "yes", "no"  # how true and false are written in a cell


@dataclass
class TableContent:
    headings: list[str]
    rows: list[list[str]]
    suppressed_cells: int = 0
    numeric: list[bool] = field(default_factory=list)  # per column: numbers (drawn right-aligned, never wrapped)


class TablePanel(PanelModel):
    """The top N rows of a table: `columns` maps each heading to an expression; counts of people suppressed."""

    type: Literal["table"]
    listing_order = 6
    columns: dict[str, Expr] = Field(min_length=1, description="Heading → expression")
    sort: str | None = Field(None, description="Heading to sort by (descending)")
    top: int = Field(10, ge=1, le=40)
    format: NumberFormat | None = Field(
        None, description="How the numbers that are not counts are written: one {:spec} field, e.g. '{:,.1f}' or '{:.0%}'; "
                          "by default each column has one number of decimals: none for counts and whole numbers, "
                          "else what its values' typical size needs (2 significant figures below 10, 3 above)")

    def content(self, data, here) -> TableContent:
        columns, counts = {}, {}
        for heading, text in self.columns.items():
            value = data.evaluate(text, here + ("columns", heading), self.data)
            if not isinstance(value, pd.Series):
                raise BridgeError(data.doc.problem(here + ("columns", heading), "must give a value per row"))
            value = value.reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(value) and not pd.api.types.is_bool_dtype(value):
                value = measures(data, to_float(value), here + ("columns", heading))  # inf, too large: missing, reported
            columns[heading] = value
            counts[heading] = is_count(data, text, self.data)
        frame = pd.DataFrame(columns)
        if self.sort:
            if self.sort not in frame.columns:
                raise BridgeError(data.doc.problem(
                    here + ("sort",),
                    f"no column '{self.sort}'{did_you_mean(self.sort, frame.columns)}; columns: {', '.join(frame.columns)}"))
            frame = (frame.assign(_k=to_float(frame[self.sort])).sort_values("_k", ascending=False, kind="stable")
                     .drop(columns="_k"))
        frame = frame.head(self.top)
        rows: list[list[str]] = [[] for _ in range(len(frame))]
        hidden, numeric = 0, []
        for heading in frame.columns:
            cells = [_cell(value) for value in frame[heading]]  # text (yes or no for true or false), a number, or None
            numeric.append(not any(isinstance(v, str) for v in cells))
            numbers_at = [i for i, v in enumerate(cells) if isinstance(v, float)]
            small = suppression_mask(data, [v for v in cells if isinstance(v, float)], counts[heading])  # those at numbers_at
            suppressed = {i for i, hide in zip(numbers_at, small) if hide}
            shown = [v for i, v in enumerate(cells) if isinstance(v, float) and i not in suppressed]
            write = self._writer(counts[heading], shown)
            for i, value in enumerate(cells):
                if value is None:
                    rows[i].append(MISSING)
                elif isinstance(value, str):
                    rows[i].append(value)
                elif i in suppressed:
                    rows[i].append(SUPPRESSED)
                    hidden += 1
                else:
                    rows[i].append(write(value))
        return TableContent(list(frame.columns), rows, hidden, numeric)

    def _writer(self, count: bool, values: list[float]):
        """How one column's numbers are written: `format` (counts always as integers), or one
        number of decimals for the whole column (bridge/data/numformat.py's `shared_decimals`)."""
        if self.format is not None:
            fmt = "{:,.0f}" if count else self.format
            return lambda number: format_number(fmt, number)
        decimals = shared_decimals(values, count)
        return lambda number: fixed(number, decimals)

    def describe(self, entry, view, step_index, content: TableContent) -> None:
        """The table itself, its cells written as drawn."""
        numeric = content.numeric or [False] * len(content.headings)
        note = f"{content.suppressed_cells} small count(s) of people {SUPPRESSED}" if content.suppressed_cells else None
        entry["tables"].append(table(name(self), list(content.headings), [list(r) for r in content.rows], list(numeric),
                                     row_headings=bool(numeric) and not numeric[0], note=note))

    def draw(self, c: Canvas, content: TableContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        room_w, room_h = c.width_deg - 2.4, (top - bottom) * c.height_deg
        ax = c.fig.add_axes((c.frac_w(1.2), bottom, 1 - c.frac_w(2.4), top - bottom))
        ax.set_axis_off()
        ax.set_xlim(0, room_w)
        ax.set_ylim(-room_h, 0)  # degrees down from the top of the table
        numeric = content.numeric or [all(_is_number(r[i]) or r[i] in (SUPPRESSED, MISSING) for r in content.rows)
                                      for i in range(len(content.headings))]
        plan = _plan(_Widths(c), content.headings, content.rows, numeric, room_w, room_h)
        size = plan.size
        right = np.cumsum([w + plan.gutter for w in plan.widths]) - plan.gutter  # each column's right edge, degrees
        left = right - np.array(plan.widths)
        y = 0.0
        for r, cells in enumerate([plan.headings, *plan.rows]):
            pitch = size * (_height_em(cells) + plan.gap)  # its lines and the space between rows
            if r % 2 == 1:
                ax.add_patch(matplotlib.patches.Rectangle((0, y - pitch), room_w, pitch, color=t.stripe, zorder=0))
            for i, lines in enumerate(cells):
                text = "\n".join(lines)
                style: dict[str, Any] = (dict(color=t.muted, fontweight="bold") if r == 0
                                         else dict(color=t.muted if text == SUPPRESSED else t.text))
                ax.text(right[i] if numeric[i] else left[i], y - pitch / 2, text, fontsize=c.pt(size), va="center",
                        ha="right" if numeric[i] else "left", family=t.font, **style)
            y -= pitch
        left_out = []
        if len(plan.rows) < len(content.rows):
            left_out.append(f"{'top' if self.sort else 'first'} {len(plan.rows)} of {len(content.rows)} rows shown")
        if plan.columns < len(content.headings):
            left_out.append(f"{plan.columns} of {len(content.headings)} columns shown")
        if left_out:  # on the bottom line, which the plan kept free
            note_size, note = c.fit("; ".join(left_out), size, room_deg=room_w, floor_deg=size)
            ax.text(0, -room_h, note, fontsize=c.pt(note_size), va="bottom", ha="left", color=t.muted, family=t.font)


def _cell(value) -> float | str | None:
    """A cell's value: a number (a float), text ("yes" or "no" for true or false), or None when missing."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return YES if value else NO
    if pd.isna(value):
        return None
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return float(to_float(pd.Series([value])).iloc[0])
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


# --- fitting a table to its panel -----------------------------------------------------------
#
# Sizes are in ems (multiples of the type size) until a size is chosen.  Column widths come
# from the cells' widths as drawn (each word measured once, at body size).  A table is drawn
# at the largest size, from a little over body size (a short table grows toward its box) down
# to the legible floor, at which every row fits: on one line each if it can be no smaller
# than `small_deg` (and wrapping would not let it be WRAP_FOR larger: long headings on two
# lines first); else with long texts wrapped (at most two lines); else, as a last resort,
# with a text too long even for two lines shortened with "…".  Numbers are never wrapped or
# shortened.  Where the rows leave room below them, they spread apart (at most WIDEST_GAP_EM);
# where even at the floor they do not fit, they are closer together, then fewer are shown,
# with a note saying so.

GUTTER_EM = 1.2  # between columns
ROW_GAP_EM = 0.7  # between rows (a row of one line is 1.7 ems)
TIGHT_GAP_EM = 0.35  # … closer, at the legible floor, before rows are left out
WIDEST_GAP_EM = 1.5  # … and at most this far apart where the box has room to spare
WRAP_FOR = 1.15  # texts wrap onto two lines where that lets the type be this much larger (the box is tall enough)
LINE_EM = 1.2  # each further line of a wrapped cell
MAX_LINES = 2  # a cell's text wraps onto at most this many lines; more is shortened with "…"
NARROWEST_EM = 6.0  # a text column is made no narrower than this (its longer texts wrap)
HINTING = 1.04  # widths measured at body size are widened by this at other sizes: hinted type is not quite proportional
ELLIPSIS = "…"


class _Widths:
    """Widths in ems of words as drawn, measured once each at body size."""

    def __init__(self, c: Canvas):
        self.c, self.size = c, c.theme.body_deg
        self.cache: dict[tuple[str, bool], float] = {}
        self.space = {bold: self.word("a a", bold) - self.word("aa", bold) for bold in (False, True)}

    def word(self, word: str, bold: bool) -> float:
        key = (word, bold)
        if key not in self.cache:
            self.cache[key] = self.c.measure(word, self.size, bold) / self.size if word else 0.0
        return self.cache[key]

    def line(self, words: list[str], bold: bool) -> float:
        return sum(self.word(w, bold) for w in words) + self.space[bold] * max(0, len(words) - 1)

    def lines(self, words: list[str], bold: bool, width: float, more: bool = False) -> tuple[list[str], bool]:
        """`words` broken greedily into lines at most `width` ems wide (a word wider than that is
        split); at most MAX_LINES, the last ending in "…" when text is left over (or `more`);
        and whether it was."""
        out: list[list[str]] = []
        line: list[str] = []
        for word in words:
            if not line or self.line(line + [word], bold) <= width:
                line.append(word)
                if self.word(word, bold) <= width or len(line) > 1:
                    continue
                line.pop()
            else:
                out.append(line)
            while len(word) > 1 and self.word(word, bold) > width:  # broken where it must be
                cut = self._chars(word, bold, width)
                out.append([word[:cut].rstrip()])
                word = word[cut:].lstrip() or word[cut:]
            line = [word]
            if len(out) > MAX_LINES:
                break
        out.append(line)
        if len(out) <= MAX_LINES and not more:
            return [" ".join(words) for words in out], False
        last = out[MAX_LINES - 1] if len(out) >= MAX_LINES else out[-1]
        while len(last) > 1 and self.line(last, bold) + self.word(ELLIPSIS, bold) > width:
            last = last[:-1]
        text = " ".join(last).rstrip(" ,;:")
        while len(text) > 1 and self.word(text + ELLIPSIS, bold) > width:
            text = text[:-1].rstrip(" ,;:")
        kept = [" ".join(words) for words in out[:MAX_LINES - 1]][:len(out) - 1]
        return kept + [text + ELLIPSIS], True

    def _chars(self, word: str, bold: bool, width: float) -> int:
        """How many of `word`'s first characters fit `width` (at least one)."""
        lo, hi = 1, len(word) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.word(word[:mid], bold) <= width:
                lo = mid
            else:
                hi = mid - 1
        return lo


@dataclass
class _Plan:
    size: float  # type size, degrees
    widths: list[float]  # each column's width, degrees
    gutter: float  # between columns, degrees
    gap: float  # between rows, ems
    headings: list[list[str]]  # each heading's lines
    rows: list[list[list[str]]]  # the rows shown: each cell's lines
    columns: int  # the columns shown (the first ones)


@dataclass
class _Layout:
    size: float
    widths: list[float]  # ems
    cells: list[list[list[str]]]  # the heading row, then the rows: each cell's lines
    wrapped: bool
    cut: bool

    @property
    def heights(self) -> list[float]:
        return [_height_em(row) for row in self.cells]

    def fits(self, room_h: float, gap: float, rows: int | None = None, note: bool = False) -> bool:
        """Whether the heading row and `rows` rows (all), and a line for a note, fit `room_h` degrees."""
        heights = self.heights[:None if rows is None else rows + 1] + ([1.0] if note else [])
        return self.size * (sum(heights) + gap * len(heights)) <= room_h + 1e-9


def _height_em(cells: list[list[str]]) -> float:
    """A row's height in ems: its tallest cell's lines."""
    return 1 + LINE_EM * (max(len(lines) for lines in cells) - 1)


def _column_widths(widths: _Widths, table, numeric: list[bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each column's width in ems: natural (every cell on one line), narrowest (text wrapped, numbers
    whole) and with only its heading on two lines (balanced) and every other cell on one."""
    natural = np.array([max(widths.line(words, bold) for words, bold in column) for column in zip(*table)])
    narrowest = []
    for i, column in enumerate(zip(*table)):
        if numeric[i]:
            longest_word = max((widths.word(w, True) for w in column[0][0]), default=0.0)
            narrowest.append(max([widths.line(words, False) for words, _ in column[1:]] + [min(longest_word, NARROWEST_EM)]))
        else:
            narrowest.append(min(natural[i], NARROWEST_EM))
    headed = []
    for column in zip(*table):
        words, bold = column[0]
        heading = min((max(widths.line(words[:k], bold), widths.line(words[k:], bold)) for k in range(1, len(words))),
                      default=widths.line(words, bold))
        headed.append(max([heading] + [widths.line(w, b) for w, b in column[1:]]))
    return natural, np.minimum(np.array(narrowest), natural), np.minimum(np.array(headed), natural)


def _plan(widths: _Widths, headings: list[str], rows: list[list[str]], numeric: list[bool], room_w: float,
          room_h: float) -> _Plan:
    """The size, column widths and line breaks that fit `rows` under `headings` into room_w × room_h degrees."""
    theme = widths.c.theme
    cap = int(room_w / (MIN_TEXT_DEG * 0.25))  # more characters than two lines could ever hold are not measured
    table = [[(h.split(), True) for h in headings]]
    table += [[(([cell] if numeric[i] else cell.split()), False) for i, cell in enumerate(row)] for row in rows]
    more = [[False] * len(headings) for _ in table]
    for r, row in enumerate(table):
        for i, (words, bold) in enumerate(row):
            if sum(map(len, words)) > cap:
                kept, total = [], 0
                for word in words:
                    kept.append(word[:cap - total])
                    total += len(kept[-1])
                    if total >= cap:
                        break
                row[i], more[r][i] = (kept, bold), True
    natural, narrowest, headed = _column_widths(widths, table, numeric)

    def layout(size: float, columns: int, squeeze: bool = False) -> _Layout | None:
        room = room_w / (size * HINTING) - GUTTER_EM * (columns - 1)
        nat, low = natural[:columns], np.minimum(narrowest[:columns], room if squeeze else np.inf)
        if low.sum() > room:
            return None
        if nat.sum() <= room:
            ems = nat * room / nat.sum() if nat.sum() > 0 else np.full(columns, room / columns)
        elif headed[:columns].sum() <= room:  # the headings on two lines leave every cell its one line
            two = headed[:columns]
            ems = two + (room - two.sum()) * (nat - two) / max(float((nat - two).sum()), 1e-9)
        else:
            ems = low + (room - low.sum()) * (nat - low) / (nat - low).sum()
        cells, wrapped, cut = [], False, False
        for r, row in enumerate(table):
            line = []
            for i in range(columns):
                words, bold = row[i]
                lines, shortened = widths.lines(words, bold, ems[i] + 1e-9, more[r][i])
                line.append(lines)
                wrapped |= len(lines) > 1 or shortened
                cut |= shortened
            cells.append(line)
        return _Layout(size, list(ems), cells, wrapped, cut)

    columns = len(headings)
    body, floor, comfortable = theme.body_deg, MIN_TEXT_DEG, max(MIN_TEXT_DEG, theme.small_deg)
    one_line = room_w / (HINTING * (natural.sum() + GUTTER_EM * (columns - 1))) if natural.sum() else body
    all_rows = room_h / ((len(table)) * (1 + ROW_GAP_EM))
    largest = max(body, (body + theme.title_deg) / 2)  # a short table grows toward its box, never past its title
    sizes = sorted({min(largest, max(floor, s)) for s in [largest * 0.95 ** n for n in range(45)] + [one_line, all_rows, floor]},
                   reverse=True)
    layouts = [lay for lay in (layout(s, columns) for s in sizes) if lay is not None]
    while not layouts and columns > 1:  # too many columns for the panel even at the legible floor: the first ones
        columns -= 1
        layouts = [lay for lay in [layout(floor, columns)] if lay is not None]
    if not layouts:  # one column wider than the whole panel at the floor: broken to fit
        layouts = [cast(_Layout, layout(floor, columns, squeeze=True))]  # one column squeezed to the room always fits
    note = columns < len(headings)  # a line is kept for the note saying so
    one_line = next((lay for lay in layouts
                     if not lay.wrapped and lay.size >= comfortable and lay.fits(room_h, ROW_GAP_EM, note=note)), None)
    whole = next((lay for lay in layouts
                  if not lay.cut and lay.size >= comfortable and lay.fits(room_h, ROW_GAP_EM, note=note)), None)
    # One line a cell, unless the box has the height for type a good deal larger with some cells on two lines.
    choice = whole if one_line is None or (whole is not None and whole.size >= one_line.size * WRAP_FOR) else one_line
    choice = choice or next((lay for lay in layouts if lay.fits(room_h, ROW_GAP_EM, note=note)), None)
    gap, shown = ROW_GAP_EM, len(rows)
    if choice is not None:  # room to spare: the rows spread down the box, up to a row apart
        heights = choice.heights + ([1.0] if note else [])
        gap = min(WIDEST_GAP_EM, max(ROW_GAP_EM, (room_h / choice.size - sum(heights)) / len(heights)))
    if choice is None:  # at the legible floor: rows closer together, then fewer of them, with a note
        choice = layouts[-1]
        heights = choice.heights + ([1.0] if note else [])
        gap = max(TIGHT_GAP_EM, min(ROW_GAP_EM, (room_h / choice.size - sum(heights)) / len(heights)))
        if not choice.fits(room_h, gap, note=note):
            gap = TIGHT_GAP_EM
            shown = max(r for r in range(len(rows) + 1) if r == 0 or choice.fits(room_h, gap, r, note=True))
    scale = choice.size * HINTING
    return _Plan(choice.size, [w * scale for w in choice.widths], GUTTER_EM * scale, gap, choice.cells[0],
                 choice.cells[1:shown + 1], columns)
