"""`bridge export`: the briefing as a static web site to send after the meeting, and a PDF handout.

The site opens from disk (file://) with no server, or from any web host:

    index.html            every step's title, notes and panels' content as text (bridge/export/accessible.py),
                          the 360° view, buttons and keys to step through
    style.css, viewer.js  the page's look and its stepping
    pannellum/            the 360° viewer (pannellum 2.5.7, MIT; its LICENSE beside it)
    steps/step-NN.js      each step's 360° view: a JPEG as a data: URI (opened from disk, a browser
                          treats image files as another origin and WebGL may refuse them)
    briefing.pdf          with --pdf: the tagged (PDF/UA-1) handout: each step from a new A4
                          landscape page, its projector images (alt text), notes and text version

Everything is written inside `--out` only, each file beside its place and moved in (a reader
never sees half a file, a symbolic link planted there is replaced, not followed).  A list of
what was written, with each file's digest, is kept in `.bridge-export.json`: a later export
into the same folder replaces those files (and removes those it no longer writes) only when
they are unchanged since, and refuses, before rendering anything, to touch a file it did not write.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import os
import time
from importlib import resources
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError
from bridge.render.output import atomic_write

MANIFEST = ".bridge-export.json"
PANNELLUM = ("pannellum.js", "pannellum.css", "LICENSE")
STATIC = ("style.css", "viewer.js")
PDF_NAME = "briefing.pdf"
THUMB_WIDTH = 800  # projector images in the PDF: pixels wide (about 230 dpi at their printed size)
LONG_TABLE = 20  # a table with more rows than this is folded under a summary (open it to read)
KINDS = {"kpi": "Key figure", "bar": "Bar chart", "line": "Line chart", "table": "Table", "text": "Text",
         "image": "Picture", "map": "Map", "extruded": "3D map", "points": "Point map", "heatmap": "Heat map"}


def export_briefing(scene_path, room, out_dir=None, size: tuple[int, int] = (4096, 2048), pdf: bool = False,
                    progress_bars=None, warn=None) -> list[str]:
    """Render every step and write the site (and with `pdf`, the handout) under `out_dir`
    (default out/<scene name>/export).  `progress_bars`: a context manager giving a
    progress(what, done, total) callback; `warn(text)` hears the data's warnings and every
    layout fault, as `bridge render` prints them.  Returns lines to print: what was written."""
    from bridge.export.accessible import step_texts
    from bridge.export.handout import handout, writer
    from bridge.export.handout_html import SiteWords
    from bridge.render.briefing import load_briefing
    from bridge.render.output import default_out_dir, prepare_out_dir

    started = time.perf_counter()
    warn = warn or (lambda text: None)
    briefing = load_briefing(scene_path, room=room)
    for warning in briefing.data.warnings:
        warn(str(warning))
    texts = step_texts(briefing)  # every panel as text: any problem is found before rendering
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(briefing.name) / "export"
    count = len(texts)
    plan = ["index.html", *STATIC, *(f"pannellum/{name}" for name in PANNELLUM),
            *(_view_file(n) for n in range(1, count + 1)), *([PDF_NAME] if pdf else [])]
    out_dir = prepare_out_dir(out_dir, None)
    site = Site(out_dir)
    site.check(plan)  # refuses, before anything is rendered, to replace what it did not write
    if pdf:
        writer()  # the handout's writer loads (WeasyPrint and Pango), or a refusal before rendering
    pages: list[list[np.ndarray]] = []  # each step's projector images, for the handout
    with progress_bars if progress_bars is not None else contextlib.nullcontext(None) as progress:
        faults: list = []
        for s, frame, projectors in _render(briefing, room, size, pdf, progress, faults):
            site.write(_view_file(s + 1), _view_script(s, frame))
            if pdf:
                pages.append([_thumb(image) for image in projectors])
    for name in STATIC:
        site.write(name, (resources.files("bridge.export") / "static" / name).read_bytes())
    for name in PANNELLUM:
        vendored = resources.files("bridge") / "web" / "static" / "vendor" / "pannellum" / name
        site.write(f"pannellum/{name}", vendored.read_bytes())
    if pdf:
        site.write(PDF_NAME, handout(briefing.scene, room, texts, pages, SiteWords(_panel_html, _panel_heading)))
    site.write("index.html", page(briefing.scene.title, briefing.scene.source, texts).encode("utf-8"))
    site.remove_stale(plan)
    for fault in faults:
        warn(str(fault))
    elapsed = time.perf_counter() - started
    lines = [f"exported {count} step(s) of '{briefing.scene.title}' at {size[0]}×{size[1]} in {elapsed:.1f} s "
             f"to {out_dir}/ (open index.html in a browser; no server needed)"]
    lines += [f"  {out_dir / name}" for name in plan]
    return lines


def _view_file(n: int) -> str:
    return f"steps/step-{n:02d}.js"


def _render(briefing, room, size: tuple[int, int], split: bool, progress, faults: list):
    """Each step's (index, equirectangular frame, projector images or []) as `bridge render`
    draws them (bridge/render/pipeline.py's pieces, in memory: nothing is written but what is exported);
    the panels' layout faults are added to `faults` at the end."""
    from bridge.render.pipeline import PanelArt, Views, add_panels, make_renderer, render_step
    from bridge.room.compositor import Compositor

    width, height = size
    art = PanelArt(briefing, width)
    compositor = Compositor(room, width, height) if split else None
    steps = briefing.scene.steps
    with make_renderer(briefing, width, height) as renderer:
        add_panels(renderer, briefing, art, progress)
        views = Views(briefing, art)
        for s, step in enumerate(steps):
            view = views.place(renderer, briefing.step_view(s), step.show)
            frame = render_step(renderer, view, views.art(view), s)
            yield s, frame, (compositor.split(frame) if compositor else [])
            if progress:
                progress("rendering steps", s + 1, len(steps))
    faults += dict.fromkeys(f for a in views.arts.values() for f in a.faults)


def _view_script(index: int, frame: np.ndarray) -> bytes:
    """steps/step-NN.js: the step's 360° view as a JPEG data: URI (bridge/show/cache.py's `view_jpeg`)."""
    from bridge.show.cache import view_jpeg

    data = base64.b64encode(view_jpeg(frame)).decode("ascii")
    return (f"(window.BRIDGE_VIEWS = window.BRIDGE_VIEWS || {{}})[{index}] = "
            f"\"data:image/jpeg;base64,{data}\";\n").encode("ascii")


def _thumb(image: np.ndarray) -> np.ndarray:
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(image))
    if picture.width > THUMB_WIDTH:
        picture = picture.resize((THUMB_WIDTH, round(picture.height * THUMB_WIDTH / picture.width)), Image.Resampling.LANCZOS)
    return np.asarray(picture)


# --- files: written only inside --out, never over what export did not write ------------------------

class Site:
    """The export folder and the manifest of what Bridge wrote there (path → sha256)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.manifest_path = folder / MANIFEST
        self.written: dict[str, str] = {}
        self.earlier: dict[str, str] = {}
        if os.path.lexists(self.manifest_path):
            if self.manifest_path.is_symlink() or not self.manifest_path.is_file():
                raise BridgeError(f"--out: {self.manifest_path} is not a file Bridge wrote; give another --out folder")
            try:
                files = json.loads(self.manifest_path.read_text(encoding="utf-8")).get("files", {})
                self.earlier = {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
            except (OSError, ValueError, AttributeError):
                raise BridgeError(f"--out: {self.manifest_path} cannot be read as bridge export's list of files; "
                                  "give another --out folder, or remove it and the files it listed") from None

    def check(self, plan: list[str]) -> None:
        """Every planned file may be written: a folder on its way is a real folder, and a file
        already there was written by an earlier export and is unchanged since.  All refusals at once."""
        problems, seen = [], set()
        for name in plan:
            for folder in list(reversed(Path(name).parents))[1:]:
                path = self.folder / folder
                if path in seen:
                    continue
                seen.add(path)
                if os.path.lexists(path) and (path.is_symlink() or not path.is_dir()):
                    problems.append(f"--out: {path} is in the way (a file or symbolic link where bridge export writes "
                                    "a folder); move it, or give another --out folder")
            problems += self._refusal(name)
        if problems:
            raise BridgeError(problems)

    def _refusal(self, name: str) -> list[str]:
        path = self.folder / name
        if not os.path.lexists(path):
            return []
        if path.is_symlink() or not path.is_file():
            return [f"--out: {path} is in the way (not a file bridge export wrote); move it, or give another --out folder"]
        if name not in self.earlier:
            return [f"--out: {path} exists and was not written by bridge export; move it, or give another --out folder"]
        if _digest(path.read_bytes()) != self.earlier[name]:
            return [f"--out: {path} was changed since bridge export wrote it; move it (or delete it), or give another "
                    "--out folder"]
        return []

    def write(self, name: str, data: bytes) -> Path:
        """Write `data` to the folder's `name`: beside it first, then moved into place."""
        path = self.folder / name
        if self._refusal(name) and name not in self.written:  # appeared since the check
            raise BridgeError(self._refusal(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda file: file.write(data))
        self.written[name] = _digest(data)
        self._save_manifest()
        return path

    def remove_stale(self, plan: list[str]) -> None:
        """Files an earlier export wrote that this one does not (a longer briefing's steps, a PDF
        not asked for again), removed if unchanged; then their folders, if left empty."""
        for name, digest in self.earlier.items():
            if name in plan or name in self.written:
                continue
            path = self.folder / name
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink() and _digest(path.read_bytes()) == digest:
                    path.unlink()
                    with contextlib.suppress(OSError):
                        if path.parent != self.folder:
                            path.parent.rmdir()  # only if empty
        self.earlier = {}
        self._save_manifest()

    def _save_manifest(self) -> None:
        files = {**{k: v for k, v in self.earlier.items() if (self.folder / k).exists()}, **self.written}
        text = json.dumps({"written_by": "bridge export", "files": files}, indent=1, sort_keys=True)
        atomic_write(self.manifest_path, lambda file: file.write(text.encode("utf-8")))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()




# --- the page -------------------------------------------------------------------------------------

def _e(text) -> str:
    """Text from the scene (untrusted) as HTML: every <, >, &, " and ' escaped."""
    return html.escape(str(text), quote=True)


def page(title: str, source: str | None, steps: list[dict]) -> str:
    """index.html: every step's text (all shown without JavaScript), the viewer and the stepper."""
    from bridge import __version__

    count = len(steps)
    contents = "\n".join(f'      <li><a href="#step-{st["number"]}" data-step="{st["number"]}">{_e(st["title"])}</a></li>'
                         for st in steps)
    sections = "\n".join(_step_html(st, count) for st in steps)
    first = steps[0]
    source_line = f'\n    <p class="source">Source: {_e(source)}</p>' if source else ""
    return f"""<!DOCTYPE html>
<html lang="en" class="no-js" data-briefing="{_e(title)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="generator" content="Bridge {_e(__version__)}">
  <title>{_e(title)}</title>
  <link rel="stylesheet" href="pannellum/pannellum.css">
  <link rel="stylesheet" href="style.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to the briefing</a>
  <header class="site">
    <h1>{_e(title)}</h1>{source_line}
  </header>
  <main id="main" tabindex="-1">
    <div class="viewer-wrap">
      <div id="viewer" role="application" aria-roledescription="360° view"
           aria-label="360° view of step 1: {_e(first["title"])}" aria-describedby="viewer-help"></div>
      <p id="viewer-help" class="help">Drag the view, or give it focus and use the arrow keys, to look
        around the room; + and − zoom. Page Up and Page Down (or ← and → outside the view), Home and End,
        or the buttons below change step. Everything the view shows is written out below it.</p>
      <p id="viewer-error" class="viewer-error" role="alert" hidden></p>
    </div>
    <nav class="stepper" aria-label="Step through the briefing">
      <button type="button" id="prev" aria-disabled="true">← Previous step</button>
      <p id="status" role="status" aria-live="polite" aria-atomic="true">Step 1 of {count}: {_e(first["title"])}</p>
      <button type="button" id="next" aria-disabled="{'true' if count == 1 else 'false'}">Next step →</button>
    </nav>
{sections}
  </main>
  <nav class="contents" aria-labelledby="contents-heading">
    <h2 id="contents-heading">All steps</h2>
    <ol>
{contents}
    </ol>
  </nav>
  <footer class="site">
    <p>Exported by Bridge {_e(__version__)} from the briefing's scene. The 360° views are shown with
      <a href="pannellum/LICENSE">Pannellum 2.5.7</a> (MIT licence).</p>
  </footer>
  <script src="pannellum/pannellum.js"></script>
  <script src="viewer.js"></script>
</body>
</html>
"""


def _step_html(step: dict, count: int) -> str:
    n = step["number"]
    parts = [f'    <section class="step" id="step-{n}" aria-labelledby="step-{n}-title" '
             f'data-title="{_e(step["title"])}" data-view="{_view_file(n)}">',
             f'      <h2 id="step-{n}-title"><span class="step-number">Step {n} of {count}:</span> {_e(step["title"])}</h2>']
    if step["params"]:
        values = "; ".join(f"{_e(p['name'])}: {_e(p['value'])}" for p in step["params"])
        parts.append(f'      <p class="shown-with">Shown with {values}.</p>')
    if step["notes"].strip():
        paragraphs = "".join(f"<p>{_e(' '.join(p.split()))}</p>" for p in step["notes"].split("\n\n") if p.strip())
        parts.append(f'      <div class="notes"><h3>Presenter\'s notes</h3>{paragraphs}</div>')
    for k, panel in enumerate(step["panels"]):
        parts.append(_panel_html(panel, f"s{n}-p{k + 1}"))
    parts.append("    </section>")
    return "\n".join(parts)


def _panel_heading(panel: dict) -> tuple[str, bool]:
    """The panel's heading, and whether it is its only text (a title-style text panel)."""
    if panel["title"]:
        return panel["title"], False
    if panel["type"] == "kpi" and panel.get("label"):
        return panel["label"], False
    if panel["type"] == "text" and len(panel["text"]) == 1 and len(panel["text"][0]) <= 120:
        return panel["text"][0], True
    return f"{KINDS.get(panel['type'], panel['type'])} ({panel['id']})", False


def _panel_html(panel: dict, anchor: str) -> str:
    heading, said = _panel_heading(panel)
    kind = KINDS.get(panel["type"], panel["type"])
    if panel.get("highlighted"):
        kind += ", picked out in this step"
    out = [f'      <div class="panel" id="{anchor}">',
           f'        <h3>{_e(heading)}</h3>',
           f'        <p class="kind">{_e(kind)}</p>']
    if panel["type"] == "kpi":
        label = f" {_e(panel['label'])}" if panel.get("label") else ""
        comparison = f" ({_e(panel['comparison'])})" if panel.get("comparison") else ""
        out.append(f'        <p><span class="kpi-value">{_e(panel["value"])}</span>{label}{comparison}</p>')
        out += [f"        <p>{_e(text)}</p>" for text in panel["text"][1:]]
    elif not said:
        out += [f"        <p>{_e(text)}</p>" for text in panel["text"]]
    for table in panel["tables"]:
        out.append(_table_html(table))
    out.append("      </div>")
    return "\n".join(out)


def _table_html(table: dict) -> str:
    numeric = table["numeric"]
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if numeric[i] else ""}>{_e(h)}</th>' for i, h in enumerate(table["headings"]))
    rows = []
    for row in table["rows"]:
        cells = []
        for i, cell in enumerate(row):
            cls = num if numeric[i] else ""
            if i == 0 and table["row_headings"]:
                cells.append(f'<th scope="row"{cls}>{_e(cell)}</th>')
            else:
                cells.append(f"<td{cls}>{_e(cell)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "\n          ".join(rows)
    markup = (f"        <table>\n          <caption>{_e(table['caption'])}</caption>\n"
              f"          <thead><tr>{head}</tr></thead>\n"
              f"          <tbody>\n          {body}\n          </tbody>\n        </table>")
    if table.get("note"):
        markup += f'\n        <p class="table-note">Note: {_e(table["note"])}.</p>'
    if len(table["rows"]) > LONG_TABLE:
        markup = (f"        <details>\n"
                  f"        <summary>{_e(table['caption'])}: the table of {len(table['rows']):,} rows</summary>\n"
                  f"{markup}\n        </details>")
    return markup
