"""What the preview page shows beside the pictures: the step, the pickers, every panel's box and
YAML lines, and the faults and warnings, each located at its file:line and at its panel.

The state is a superset of what the watch page reads (title, steps, shown_step, look, params, …:
bridge/web/static/watch.js draws the 360° view from it), so the page reuses that viewer as is; the
preview's own part is under "preview".
"""

from __future__ import annotations

import re

from bridge.errors import Problem
from bridge.preview.overlay import panel_box

MAX_PANEL_LINES = 80  # a panel's YAML shown when it is clicked; longer ones are cut


def problem_json(p: Problem, kind: str = "error", panels: list[str] | None = None) -> dict:
    """A problem for the page: file, line, key, message, and the panel it is about (if its key names one)."""
    panel = None
    m = re.match(r"panels\[(\d+)\]", p.key or "")
    if m and panels is not None and int(m.group(1)) < len(panels):
        panel = panels[int(m.group(1))]
    return {"kind": kind, "file": str(p.file) if p.file is not None else None, "line": p.line, "key": p.key,
            "message": p.message, "panel": panel, "text": str(p)}


def panel_lines(doc, index: int, text: list[str]) -> tuple[int, int] | None:
    """(first, last) 1-based lines of panel `index` in the scene file: from its own line to the line
    before whatever key follows its last one (a block of text included), blank lines trimmed."""
    own = [line for keys, line in doc.lines.items() if tuple(keys[:2]) == ("panels", index)]
    if not own:
        return None
    first, last = min(own), max(own)
    after = [line for line in doc.lines.values() if line > last]
    end = min(after) - 1 if after else len(text)
    while end > last and not text[end - 1].strip():
        end -= 1
    return first, min(end, first + MAX_PANEL_LINES - 1)


def _params(briefing, view, step: int, chosen: dict) -> list[dict]:
    """The parameters as the remote offers them (bridge/show/preparer.py `param_specs`), with the value shown."""
    from bridge.scene.params import plain
    from bridge.show.preparer import param_specs

    scene = briefing.scene
    used = set().union(*(briefing.reads(p) for p in scene.steps[step].show)) if scene.steps[step].show else set()
    found = []
    for spec in param_specs(briefing):
        now = plain(view.data.params.get(spec["name"]))
        label = next((lab for v, lab in zip(spec["values"], spec["labels"]) if v == now), str(now))
        found.append({**spec, "value": now, "label": label, "live": spec["name"] in chosen,
                      "shown_used": spec["name"] in used})
    return found


def _problems(briefing, view, drawn, step: int, room) -> list[dict]:
    """Layout faults of the panels drawn, room warnings (seams, lit band, overlaps), data warnings, hints."""
    from bridge.render.checks import lit_warnings, overlap_warnings, seam_warnings

    scene, doc = view.scene, view.data.doc
    ids = [p.id for p in scene.panels]
    shown = set(scene.steps[step].show)
    found = [problem_json(p, "fault", ids) for p in drawn.art.faults]
    found += [problem_json(p, "warning", ids) for p in drawn.unlit.values()]
    room_warnings = seam_warnings(scene, doc, room, view.theme) + lit_warnings(scene, doc, room)
    found += [problem_json(p, "warning", ids) for p in room_warnings]
    found += [problem_json(p, "warning", ids) for p in overlap_warnings(scene, doc)
              if p.key and p.key.startswith(f"steps[{step}]")]
    found += [problem_json(p, "warning", ids) for p in view.data.warnings]
    found += [problem_json(p, "hint", ids) for p in drawn.art.hints]
    seen, unique = set(), []
    for p in found:
        if p["text"] not in seen and (p["panel"] is None or p["panel"] in shown or p["kind"] == "warning"):
            seen.add(p["text"])
            unique.append(p)
    return unique


def describe(briefing, drawn, step: int, chosen: dict, room) -> dict:
    """The page's state for step `step` (0-based) as `drawn` (bridge/preview/draft.py) shows it."""
    from bridge.export.accessible import lines_of, step_text
    from bridge.show.snapshot import step_looks

    view = drawn.view
    scene = view.scene
    st = scene.steps[step]
    doc = view.data.doc
    try:
        text = doc.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        text = []
    problems = _problems(briefing, view, drawn, step, room)
    faulty = {p["panel"] for p in problems if p["kind"] == "fault" and p["panel"]}
    warned = {p["panel"] for p in problems if p["kind"] == "warning" and p["panel"]}
    panels = []
    for i, p in enumerate(scene.panels):
        lines = panel_lines(doc, i, text)
        panels.append({
            "id": p.id, "type": p.type, "shown": p.id in st.show, "hidden": p.id in drawn.hidden,
            "highlighted": p.id in (st.highlighted or ()), "fault": p.id in faulty, "warned": p.id in warned,
            "redrawn": p.id in drawn.art.drawn_now, "boxes": panel_box(p.yaw, p.pitch, p.width, p.height),
            "file": str(doc.path), "lines": list(lines) if lines else None,
            "yaml": "\n".join(text[lines[0] - 1:lines[1]]) if lines else ""})
    return {
        "title": scene.title, "steps": len(scene.steps), "titles": [s.title for s in scene.steps],
        "shown_step": step + 1, "shown_title": st.title, "shown_notes": st.notes,
        "shown_text": lines_of(step_text(view, step)), "look": step_looks(scene)[step], "view": "step",
        "params": _params(briefing, view, step, chosen),
        "preview": {"scene": str(doc.path), "panels": panels, "problems": problems, "how": drawn.how},
    }
