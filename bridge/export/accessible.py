"""Every step of a briefing as text: what each panel shows, for people who cannot see the room.

`step_texts(briefing)` gives one JSON-able dict per step — its title, notes, the parameter
values it is shown with, and for each panel it shows (in the step's order) the panel's
content as words and tables — for the exported site (bridge/export/site.py), screen readers and
anyone reading the briefing after the meeting.

The text says what the picture says and no more:

* each panel type says its own content (its `describe` hook, bridge/panels/common/base.py),
  writing numbers as the panel writes them (bridge/data/numformat.py and the panels' own
  helpers: a KPI's `number_text`, a bar chart's decimals, a map's legend labels);
* disclosure control holds: a value a panel shows as "suppressed" is "suppressed" here too,
  and a table of areas lists suppressed areas after the others, so their place in the order
  says nothing about their value;
* each step is described as it is shown, with the parameter values its `params:` sets
  (`Briefing.step_view`).
"""

from __future__ import annotations

from bridge import panels
from bridge.panels.common.base import PanelModel
from bridge.panels.common.describe import cut_ranked

MAX_ROWS = 300  # a table of areas or points longer than this lists its first rows (by value) and says so


def step_texts(briefing) -> list[dict]:
    """One dict per step: number, title, notes, params (name and value as the room reads it),
    highlighted panel ids, and `panels`: for each panel the step shows, in order, its id, type,
    title, `text` (paragraphs), `tables` (caption, headings, rows, note) and what its type adds."""
    return [step_text(briefing.step_view(s), s) for s in range(len(briefing.scene.steps))]


def step_text(view, s: int) -> dict:
    """Step `s` (0-based) as `view` shows it (a parameter view: the values a live answer asked for)."""
    step = view.scene.steps[s]  # its title filled with this view's {params.NAME}
    index = {p.id: i for i, p in enumerate(view.scene.panels)}
    panels_shown = []
    for panel_id in step.show:
        entry = panel_text(view, s, index[panel_id])
        entry["highlighted"] = panel_id in step.highlighted
        panels_shown.append(entry)
    return {"number": s + 1, "title": step.title, "notes": step.notes, "params": _params(view),
            "highlighted": step.highlighted, "panels": panels_shown}


def _params(view) -> list[dict]:
    """Every parameter of the scene with the value this view shows, as the room reads it."""
    from bridge.scene.params import label

    return [{"name": name, "value": label(param, view.data.params.get(name))} for name, param in view.scene.params.items()]


def panel_text(view, step_index: int, panel_index: int) -> dict:
    """One panel of a step as text (see `step_texts`): as its type describes it (`PanelModel.describe`)."""
    panel = view.scene.panels[panel_index]
    content = view.contents[panel_index]
    entry = {"id": panel.id, "type": panel.type, "title": panel.title, "text": [], "tables": []}
    # The type registered under the panel's `type:`; one no longer registered (a plug-in unloaded) is only named.
    model = panels.panel_types().get(panel.type, PanelModel)
    model.describe(panel, entry, view, step_index, content)
    for table in entry["tables"]:
        cut_ranked(table, MAX_ROWS)  # a long table of areas or points: its first rows, and a note saying so
    return entry


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
