"""A save that changed one panel's YAML, taken in without loading the whole briefing again.

Most saves while writing change one panel: its title, its colour scale, its `where:`.  Loading the
briefing again costs a few tenths of a second on a quiet machine (every panel's layout measured,
every expression evaluated, every content computed); here the scene file is read and validated
as a whole (`load_scene`: its keys, values and cross-references), and if nothing but one panel
differs — the same datasets, measures, parameters, steps and theme, every other key on the same
line, and no file it reads changed — only that panel's texts are filled, its layout and
expressions checked and its content computed, on the data already loaded.  Anything else, or any
problem at all, is left to the full load (`None`), which says everything that is wrong at once.
"""

from __future__ import annotations

import copy
from pathlib import Path


def _same_lines_elsewhere(old_doc, new_doc, index: int) -> bool:
    """Every key outside panel `index` on the same line in both files (so located messages stay true)."""
    def outside(doc) -> dict:
        return {keys: line for keys, line in doc.lines.items() if tuple(keys[:2]) != ("panels", index)}

    return outside(old_doc) == outside(new_doc)


def one_panel_reload(old, path: Path):
    """`old` (a Briefing, or one of its parameter views) with the one panel whose YAML changed rebuilt,
    or None (load it all)."""
    from bridge.errors import BridgeError
    from bridge.limits import MAX_TEXT_FIELDS
    from bridge.render.briefing import Briefing, _expression_problems, _filled
    from bridge.scene.model import load_scene

    try:
        scene, doc = load_scene(path)
    except BridgeError:
        return None
    old_raw, new_raw = old.data.doc.data, doc.data
    if not isinstance(new_raw, dict) or set(old_raw) != set(new_raw) or any(
            old_raw[k] != new_raw[k] for k in old_raw if k != "panels"):
        return None
    before, after = old_raw.get("panels") or [], new_raw.get("panels") or []
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    if len(before) != len(after) or len(changed) != 1:
        return None
    i = changed[0]
    if not _same_lines_elsewhere(old.data.doc, doc, i) or scene.panels[i].id != old.scene.panels[i].id:
        return None
    data = copy.copy(old.data)
    data.doc, data.scene = doc, scene
    here = ("panels", i)
    data.warnings = [w for w in old.data.warnings if not (w.key or "").startswith(f"panels[{i}]")]
    found: list = []
    budget, dataset = [MAX_TEXT_FIELDS], scene.panels[i].data
    panel = scene.panels[i].with_texts(lambda text, keys: _filled(scene, data, text, (*here, *keys), dataset, found, budget))
    scene.panels = [panel if k == i else p for k, p in enumerate(old.scene.panels)]
    scene.steps, scene.title, scene.source = old.scene.steps, old.scene.title, old.scene.source
    found += [doc.problem((*here, *keys), message)
              for keys, message in panel.layout_problems(old.theme, panel.source or scene.source)]
    found += _expression_problems(data, panel, here)
    if found:
        return None
    try:
        content = panel.content(data, here)
        marks = dict(old.marks)
        for s, step in enumerate(scene.steps):
            if panel.id in step.mark:
                marks[(s, panel.id)] = panel.marked_rows(data, content, step.mark[panel.id], here,
                                                         ("steps", s, "mark", panel.id))
    except BridgeError:
        return None
    contents = list(old.contents)
    contents[i] = content
    briefing = Briefing(scene, data, contents, marks, old.theme, dict(old.overrides))
    briefing.backdrops = old.backdrops
    for key, view in old.views.items():  # the parameter views asked for so far, the same way (else loaded when asked)
        rebuilt = one_panel_reload(view, path)
        if rebuilt is not None:
            briefing.views[key] = rebuilt
    return briefing
