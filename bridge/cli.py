"""The `bridge` command: validate, render, calibrate, split, launch, export, rooms, room, panels, schema.

Errors the user can fix are printed as `file:line: key: message` (or `option: message`) lines
and exit with code 2 (bad input); nothing the user wrote is touched.  Anything else is a bug:
it is said in one line, `internal error: ...`, with the traceback in a log file it names, and
exits with 1.  Nothing from a file reaches the terminal raw: control characters and escape
sequences are shown escaped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from rich.console import Console

from bridge import __version__
from bridge.errors import BridgeError, printable, shown
from bridge.limits import MAX_FRAME_WIDTH

# Never wrap: error lines stay grep- and editor-friendly.  No emoji codes: ':x:' in a title is text.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

MIN_FRAME_WIDTH = 256
DEFAULT_WIDTH = 4096  # the frame width `render` draws at by default: `validate` checks layout at its texture density


def main(argv: list[str] | None = None) -> int:
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        if getattr(args, "allow", None):
            _allow(args.allow)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args) or 0
    except BridgeError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {_escape(problem)}")
        if len(exc.problems) > 1:
            err.print(f"[red]{len(exc.problems)} problems[/]")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        return 130
    except SystemExit:
        raise
    except MemoryError:
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] out of memory (MemoryError): the input asked for more memory than this "
                  f"machine has and no limit of Bridge's caught it; the details are in {_escape(log)}")
        return 1
    except RecursionError:
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] nested too deeply to follow (RecursionError): no limit of Bridge's "
                  f"caught it; the details are in {_escape(log)}")
        return 1
    except Exception as exc:  # a bug: one line here, the traceback in the log
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] {_escape(type(exc).__name__)}: {_escape(_short(exc))}; "
                  f"the details are in {_escape(log)}")
        return 1


def _short(exc: BaseException) -> str:
    return shown(" ".join(str(exc).split()) or "(no message)", 200)


def crash_dir() -> Path:
    """Where crash logs go: Bridge's cache folder ($BRIDGE_CACHE, else ~/.cache/bridge), beside the lookup tables."""
    from bridge.room.compositor import cache_dir

    return cache_dir().parent


def _crash_log(argv: list[str] | None) -> str:
    """Write the exception being handled, with the command line, to a new log file; its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = (f"bridge {__version__} on Python {sys.version.split()[0]} ({sys.platform})\n"
              f"command: bridge {' '.join(map(str, sys.argv[1:] if argv is None else argv))}\n"
              f"time: {datetime.datetime.now().isoformat(timespec='seconds')}\n\n{traceback.format_exc()}")
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(100):
            path = folder / (f"crash-{stamp}.log" if n == 0 else f"crash-{stamp}-{n}.log")
            try:
                with open(path, "x", encoding="utf-8") as file:
                    file.write(report)
                return str(path)
            except FileExistsError:
                continue
    except OSError:
        pass
    try:
        fd, name = tempfile.mkstemp(prefix=f"bridge-crash-{stamp}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(report)
        return name
    except OSError:
        return "nowhere (no writable cache or temp folder)"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings from libraries, on one escaped line (they may quote a file's contents)."""
    err.print(f"[yellow]warning:[/] {_escape(f'{category.__name__}: {message}')}")


def _escape(text: object) -> str:
    """Text for a rich console: control characters escaped, [markup] shown as written."""
    from rich.markup import escape

    return escape(printable(text))


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as `option: message` lines (exit 2), escaped for the terminal."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        message = re.sub(r"^argument ([^:]+): ", lambda m: f"{m.group(1).split('/')[-1]}: ", message)
        err.print(f"[bold red]error:[/] {_escape(message)}")
        self.exit(2)


def _step_number(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{printable(text[:40])}' is not a step number; steps count from 1, e.g. --step 2") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"there is no step {n}; steps count from 1, e.g. --step 2")
    return n


def _allow(folders: list[Path]) -> None:
    from bridge.scene import containment

    for folder in folders:
        if not folder.is_dir():
            raise BridgeError(f"--allow: {printable(folder)} is not a folder")
    containment.allow(folders)


def _room_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--room", default=None,
                   help="room profile: a shipped name (see `bridge rooms`) or a YAML path; default: bridge")


def _allow_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow", action="append", default=[], type=Path, metavar="DIR",
                   help="also let the scene read files under DIR (repeatable; see README, Security and limits)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bridge",
        description="Render YAML data briefings into 360° frames and split them across a projector room.",
    )
    parser.add_argument("--version", action="version", version=f"bridge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a scene and its data", description="Check a scene file and its data: keys, values, files, columns, joins and expressions.")
    p.add_argument("scene", type=Path, help="scene YAML file")
    _room_option(p)
    _allow_option(p)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("render", help="render a scene to equirectangular and projector images",
                       description="Render every step (or one) to DIR/step-NN/equirect.png, DIR/step-NN/projector-K.png and DIR/contact-sheet.png.")
    p.add_argument("scene", type=Path, help="scene YAML file")
    _room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/<scene name>/")
    p.add_argument("--step", type=_step_number, default=None, metavar="N", help="render only step N (1-based)")
    p.add_argument("--size", default=f"{DEFAULT_WIDTH}x{DEFAULT_WIDTH // 2}", metavar="WxH",
                   help=f"equirectangular frame size, 2:1; default {DEFAULT_WIDTH}x{DEFAULT_WIDTH // 2}")
    _allow_option(p)
    p.set_defaults(run=cmd_render)

    p = sub.add_parser("calibrate", help="write the room's alignment test patterns",
                       description="Write test patterns for aligning the room: DIR/PATTERN/equirect.png and projector-K.png. "
                                   "grid: yaw/pitch lines every 10° (continuous across projectors when aligned); "
                                   "blend: flat white (overlaps must not be brighter or darker); ids: each projector's number; "
                                   "colour: colour bars and a grey ramp.")
    _room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/calibration/<room>/")
    p.add_argument("--pattern", choices=("grid", "blend", "ids", "colour", "all"), default="all")
    p.add_argument("--size", default="8192x4096", metavar="WxH", help="equirectangular size the patterns are drawn at; default 8192x4096")
    p.set_defaults(run=cmd_calibrate)

    p = sub.add_parser("split", help="split any equirectangular picture into the room's projector images",
                       description="Split a 2:1 equirectangular PNG or JPEG (a 360° photo, a drone panorama) into DIR/projector-K.png.")
    p.add_argument("image", type=Path, help="equirectangular PNG or JPEG, exactly 2:1")
    _room_option(p)
    p.add_argument("--out", type=Path, default=None, help="output folder; default: out/split/<image name>/")
    p.set_defaults(run=cmd_split)

    p = sub.add_parser("launch", help="run the live show on the room's displays",
                       description="Prepare every step (cached), open the room's outputs and step through with a keyboard or "
                                   "presentation clicker. Keys: next Right/Down/PgDn/Space/Enter/N, previous Left/Up/PgUp/"
                                   "Backspace/P, Home/End, digits+Enter jump, B or . blackout, W white-out, F freeze, V pause/play video, "
                                   "R reload, Esc or Q twice quit.")
    p.add_argument("scene", type=Path, nargs="?", help="scene YAML file (omit with --patterns)")
    p.add_argument("--patterns", action="store_true",
                   help="show the calibration patterns (grid, blend, ids, colour) as steps instead of a scene")
    _room_option(p)
    p.add_argument("--windowed", action="store_true", help="one normal window scaled to fit, for rehearsing at a desk")
    p.add_argument("--layout", choices=("span", "per-projector"), default=None,
                   help="override the room profile's display layout")
    p.add_argument("--size", default=None, metavar="WxH", help="equirectangular frame size, 2:1; default: matched to the room")
    p.add_argument("--fit", default=None, metavar="WxH", help="--windowed: largest window size; default 90%% of the screen")
    p.add_argument("--log", type=Path, default=None, help="log file; default: out/<scene name>/show.log")
    p.add_argument("--no-cache", action="store_true", help="prepare the steps again even if cached")
    p.add_argument("--remote", action="store_true",
                   help="serve the phone remote and the watch page on the local network (default: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="the web server's port (default 8765; 0 picks a free one)")
    p.add_argument("--tls-cert", type=Path, default=None, metavar="PEM",
                   help="serve the remote and watch page over https with this certificate (with --tls-key)")
    p.add_argument("--tls-key", type=Path, default=None, metavar="PEM", help="the certificate's private key (no passphrase)")
    p.add_argument("--compositor", choices=("auto", "gpu", "cpu"), default="auto",
                   help="where a video backdrop's frames are split for the projectors: gpu (one upload per window, "
                        "the shader samples it), cpu, or auto (gpu on a graphics card, cpu under software OpenGL)")
    p.add_argument("--cluster", action="store_true",
                   help="a room on several PCs: run mpirun with a controller (this show's keys, console and log) and one "
                        "render node per output group (projectors' host: in the room profile)")
    p.add_argument("--hosts", type=Path, default=None, metavar="FILE",
                   help="--cluster: Open MPI host file, one PC per line (the controller's first)")
    _allow_option(p)
    p.set_defaults(run=cmd_launch)

    p = sub.add_parser("node", help="a render node of a room on several PCs (started by mpirun or the controller)",
                       description="Show one output group of a cluster room; `bridge launch SCENE --cluster` starts these.")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help=argparse.SUPPRESS)
    p.set_defaults(run=cmd_node)

    p = sub.add_parser("export", help="write the briefing as a static web site (and a PDF handout) to send after the meeting",
                       description="Render every step and write a self-contained site (opens from disk or any web host) "
                                   "with each step's 360° view, titles, notes and every panel's content as text; --pdf "
                                   "adds a handout, one page per step.")
    p.add_argument("scene", type=Path, help="scene YAML file")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: out/<scene name>/export)")
    p.add_argument("--pdf", action="store_true", help="also write briefing.pdf: one page per step, projector images and notes")
    _room_option(p)
    p.add_argument("--size", default=f"{DEFAULT_WIDTH}x{DEFAULT_WIDTH // 2}", metavar="WxH",
                   help=f"equirectangular frame size, 2:1; default {DEFAULT_WIDTH}x{DEFAULT_WIDTH // 2}")
    _allow_option(p)
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("rooms", help="list the room profiles that ship with Bridge", description="List the shipped room profiles and what each holds.")
    p.set_defaults(run=cmd_rooms)

    p = sub.add_parser("room", help="import a calibration (MPCDI) as a room profile, or export a room as one",
                       description="Exchange calibrations with projector-alignment tools and media servers (VESA MPCDI).")
    actions = p.add_subparsers(dest="action", metavar="import|export")
    a = actions.add_parser("import", help="read an MPCDI file and write a room profile with its maps",
                           description="Read an MPCDI calibration (.mpcdi) and write a room profile; per-pixel maps go "
                                       "beside it in ROOM.maps/. Nothing is written unless the whole room loads.")
    a.add_argument("file", type=Path, metavar="FILE.mpcdi")
    a.add_argument("--out", type=Path, required=True, metavar="ROOM.yaml", help="the room profile to write")
    a.add_argument("--keep-maps", action="store_true",
                   help="write every map, even where the room Bridge stored in the file reproduces it")
    a = actions.add_parser("export", help="write a room's geometry, blend and black level as an MPCDI file",
                           description="Write a room as an MPCDI archive: per projector a warp, an alpha (blend) and, "
                                       "where a projector lifts black, a beta map, computed from Bridge's own geometry.")
    a.add_argument("room", metavar="ROOM", help="a shipped room's name (see `bridge rooms`) or a profile's path")
    a.add_argument("--out", type=Path, required=True, metavar="FILE.mpcdi")
    a.add_argument("--profile", choices=("3d", "2d", "a3"), default="3d",
                   help="3d: frustum + warp (default); 2d: warp into the 360° canvas; a3: warp as 3D points")
    p.set_defaults(run=cmd_room)

    p = sub.add_parser("panels", help="list the panel types a scene can use",
                       description="List the panel types (built in, and any registered by plug-ins) and their keys.")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (as in the README)")
    p.set_defaults(run=cmd_panels)

    p = sub.add_parser("schema", help="print the scene (or theme) format as JSON Schema",
                       description="Print the scene format, or the theme file format, as JSON Schema, for editor completion (see README).")
    p.add_argument("format", nargs="?", choices=("scene", "theme"), default="scene", help="which file format (default: scene)")
    p.set_defaults(run=cmd_schema)
    return parser


def cmd_validate(args) -> int:
    from bridge.render.pipeline import load_briefing

    room = load_room_option(args.room)
    briefing = load_briefing(args.scene)
    scene = briefing.scene
    out.print(f"[green]ok[/] {_escape(args.scene)}: '{_escape(scene.title)}' — {len(scene.datasets)} datasets "
              f"({_escape(briefing.data.summary())}), {len(scene.panels)} panels, {len(scene.steps)} steps")
    from bridge.render.checks import lit_warnings, overlap_warnings, seam_warnings

    for warning in (seam_warnings(scene, briefing.data.doc, room, briefing.theme) + lit_warnings(scene, briefing.data.doc, room)
                    + overlap_warnings(scene, briefing.data.doc)):
        err.print(f"[yellow]warning:[/] {_escape(warning)}")
    for join in briefing.data.joins:
        if join.unmatched_keys:
            sample = ", ".join(join.unmatched_keys[:5])
            err.print(f"[yellow]warning:[/] {_escape(join.dataset)}: {len(join.unmatched_keys)} of {join.base_rows} areas have no row "
                      f"(e.g. {_escape(sample)}); they are drawn as 'no data'")
    _print_warnings(briefing)
    from bridge.render.pipeline import layout_faults

    for fault in layout_faults(briefing, DEFAULT_WIDTH):
        err.print(f"[yellow]warning:[/] {_escape(fault)}")
    return 0


def _print_warnings(briefing) -> None:
    """Located warnings the data and panels recorded while the briefing was loaded."""
    for warning in briefing.data.warnings:
        err.print(f"[yellow]warning:[/] {_escape(warning)}")


@contextlib.contextmanager
def progress_bars(console: Console):
    """A `progress(what, done, total)` callback drawing one rich bar per kind of work."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done)

        yield progress


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,9})\s*[x×X]\s*(\d{1,9})\s*", text)
    if not m:
        raise BridgeError(f"--size: '{printable(text[:40])}' is not WIDTHxHEIGHT, e.g. 4096x2048")
    w, h = int(m.group(1)), int(m.group(2))
    if not MIN_FRAME_WIDTH <= w <= MAX_FRAME_WIDTH:
        raise BridgeError(f"--size: width {w} is outside {MIN_FRAME_WIDTH}..{MAX_FRAME_WIDTH}, e.g. 4096x2048")
    if w != 2 * h:
        raise BridgeError(f"--size: {w}x{h} is not 2:1; an equirectangular frame is twice as wide as tall, e.g. {w}x{w // 2}")
    return w, h


def load_room_option(value: str | None):
    """The --room profile; a problem that names no file is the option's."""
    from bridge.errors import Problem
    from bridge.room.profile import load_room

    try:
        return load_room(value)
    except BridgeError as exc:
        raise BridgeError([p if p.file is not None else Problem(None, None, None, f"--room: {p.message}")
                           for p in exc.problems]) from None


def cmd_render(args) -> int:
    from bridge.render.output import prepare_out_dir
    from bridge.render.pipeline import load_briefing, render_briefing
    from bridge.room.profile import check_render_memory

    size = parse_size(args.size)
    room = load_room_option(args.room)
    check_render_memory(room, *size, "--size")
    started = time.perf_counter()
    briefing = load_briefing(args.scene)
    out_dir = args.out or Path("out") / briefing.name
    count = len(briefing.scene.steps)
    if args.step is not None and args.step > count:
        raise BridgeError(f"--step: there is no step {args.step}; the scene has steps 1..{count}")
    steps = [args.step] if args.step is not None else None
    prepare_out_dir(out_dir, None)  # an --out that cannot be used is refused before the progress bars start
    _print_warnings(briefing)
    with progress_bars(err) as progress:
        result = render_briefing(briefing, room, out_dir, size, steps, progress)
    elapsed = time.perf_counter() - started
    out.print(f"rendered {len(result.steps)} step(s) of '{_escape(briefing.scene.title)}' for {_escape(room.name)} "
              f"at {size[0]}×{size[1]} in {elapsed:.1f} s")
    for n in result.steps:
        out.print(f"  {_escape(result.out_dir / f'step-{n:02d}')}/  equirect.png, projector-1..{len(room.projectors)}.png")
    out.print(f"  {_escape(result.contact_sheet)}")
    smallest, panel_id = result.smallest_text
    if smallest < float("inf"):
        from bridge.theme import MIN_TEXT_DEG

        verdict = "legible" if smallest >= MIN_TEXT_DEG else f"[yellow]under the {MIN_TEXT_DEG}° legible across a room: enlarge it[/]"
        out.print(f"smallest text: {smallest:.2f}° of visual angle (panel '{_escape(panel_id)}'), {verdict}")
    for fault in result.layout_faults:
        err.print(f"[yellow]warning:[/] {_escape(fault)}")
    layout = (f"[yellow]{len(result.layout_faults)} layout problem(s), listed above[/]" if result.layout_faults
              else "no text cut by a panel's edge, overlapping or covering a chart")
    out.print(f"layout: {layout}")
    return 0


def cmd_calibrate(args) -> int:
    from bridge.room.patterns import PATTERNS, pattern_frame
    from bridge.room.compositor import Compositor
    from bridge.render.output import ImageWriter, prepare_out_dir, save_frames
    from bridge.room.profile import check_render_memory

    width, height = parse_size(args.size)
    room = load_room_option(args.room)
    check_render_memory(room, width, height, "--size")
    out_dir = prepare_out_dir(args.out or Path("out") / "calibration" / Path(room.source).stem, None)
    patterns = PATTERNS if args.pattern == "all" else (args.pattern,)
    compositor = Compositor(room, width, height)
    with progress_bars(err) as progress, ImageWriter() as writer:
        for k, name in enumerate(patterns):
            frame = pattern_frame(name, room, width, height)
            save_frames(out_dir / name, frame, compositor.split(frame), room, writer)
            progress("drawing patterns", k + 1, len(patterns))
    for name in patterns:
        out.print(f"  {_escape(out_dir / name)}/  equirect.png, projector-1..{len(room.projectors)}.png")
    out.print(f"wrote {len(patterns)} pattern(s) for {_escape(room.name)}")
    return 0


def cmd_split(args) -> int:
    from bridge.room.compositor import Compositor
    from bridge.render.output import prepare_out_dir, read_equirect, save_frames
    from bridge.room.profile import check_render_memory

    room = load_room_option(args.room)
    frame = read_equirect(args.image, check=lambda w, h: check_render_memory(room, w, h, str(args.image)))
    out_dir = prepare_out_dir(args.out or Path("out") / "split" / args.image.stem, None)
    started = time.perf_counter()
    images = Compositor(room, frame.shape[1], frame.shape[0]).split(frame)
    files = save_frames(out_dir, None, images, room)
    out.print(f"split {_escape(args.image)} ({frame.shape[1]}×{frame.shape[0]}) for {_escape(room.name)} in "
              f"{time.perf_counter() - started:.1f} s:")
    for f in files:
        out.print(f"  {_escape(f)}")
    return 0


def cmd_launch(args) -> int:
    import logging

    from bridge.room.profile import check_render_memory

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        raise BridgeError("launch: no display (DISPLAY is not set); run it on the room's desktop, or under a virtual "
                          "X server for a test: Xvfb :99 & DISPLAY=:99 bridge launch … --windowed")
    from bridge.render.backend import use_onscreen

    use_onscreen()  # drop an offscreen choice inherited from a headless parent
    if (args.scene is None) == (not args.patterns):
        raise BridgeError("launch: give a scene file, or --patterns to show the test patterns (not both)")
    hub = None
    if args.cluster:
        from bridge.show.cluster import enter

        hub = enter(args, lambda: load_room_option(args.room))  # outside mpirun: runs it; rank ≥ 1: a node; 0: the controller
        if isinstance(hub, int):
            return hub
    from bridge.web import check_port, check_tls

    check_port(args.remote, args.port)  # a taken port is refused now, not after preparing every step
    tls = check_tls(args.tls_cert, args.tls_key)  # and a certificate that does not load
    room = hub.room if hub is not None else load_room_option(args.room)
    fit = None
    if args.fit:
        m = re.fullmatch(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*", args.fit)
        if not m or int(m.group(1)) < 16 or int(m.group(2)) < 16:
            raise BridgeError(f"--fit: '{printable(args.fit[:40])}' is not WIDTHxHEIGHT of at least 16x16, e.g. 1280x720")
        fit = (int(m.group(1)), int(m.group(2)))
    from bridge.show.prepare import default_size, prepare, prepare_patterns

    size = parse_size(args.size) if args.size else default_size(room)
    check_render_memory(room, *size, "--size")
    name = args.scene.stem if args.scene else "patterns"
    log_path = args.log or Path("out") / name / "show.log"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, encoding="utf-8")
    except OSError as exc:
        raise BridgeError(f"--log: cannot write {log_path}: {exc.strerror or exc}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("bridge")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.info("launch %s in %s (%s) at %dx%d", args.scene or "test patterns", room.name, room.source, *size)
    started = time.perf_counter()
    try:
        with progress_bars(out) as progress:
            if args.patterns:
                prepared = prepare_patterns(room, size, progress)
            else:
                prepared = prepare(args.scene, room, size, progress, use_cache=not args.no_cache)
    except BridgeError as exc:
        for problem in exc.problems:
            logger.error("%s", problem)
        raise
    how = "loaded from cache" if prepared.from_cache else "prepared"
    out.print(f"{prepared.step_count} steps {how} in {time.perf_counter() - started:.1f} s; log: {_escape(log_path)}")
    logger.info("%d steps %s in %.1f s", prepared.step_count, how, time.perf_counter() - started)

    from bridge.show.console import PresenterConsole
    from bridge.show.live import Live

    mode = "windowed" if args.windowed else (args.layout or room.layout)
    if hub is not None:
        from bridge.show.cluster import ClusterShow

        live = ClusterShow(hub, args.scene or Path("patterns"), room, prepared, size, fit=fit, compositor=args.compositor)
    else:
        live = Live(args.scene or Path("patterns"), room, prepared, size, mode, fit=fit, compositor=args.compositor)
    out.print(f"compositor: {live.compositor} (OpenGL: {_escape(live.gl_renderer)})")
    from bridge.web import start_web

    web = None
    try:
        web = start_web(live, remote=args.remote, port=args.port, tls=tls)
        for line in web.links():
            out.print(line)
            logger.info("%s", line)
        live.web_links = web.links()  # the presenter console shows them too
        with PresenterConsole() as console:
            live.console = console
            console.update(live)
            live.run()
    except KeyboardInterrupt:
        logger.info("interrupted from the terminal")
    finally:
        if web is not None:
            web.close()
        live.close()
        logger.removeHandler(handler)
        handler.close()
    return 0


def cmd_node(args) -> int:
    from bridge.show.cluster import serve_node

    return serve_node(args.env)


def cmd_export(args) -> int:
    from bridge.export.site import export_briefing
    from bridge.room.profile import check_render_memory

    size = parse_size(args.size)
    room = load_room_option(args.room)
    check_render_memory(room, *size, "--size")
    written = export_briefing(args.scene, room, args.out, size, pdf=args.pdf, progress_bars=progress_bars(err),
                              warn=lambda text: err.print(f"[yellow]warning:[/] {_escape(text)}"))
    for line in written:
        out.print(_escape(line))
    return 0


def cmd_room(args) -> int:
    from bridge.room.mpcdi import cmd_room as run

    return run(args)


def cmd_rooms(args) -> int:
    from rich.table import Table

    from bridge.room.profile import DEFAULT_ROOM, load_room, shipped_rooms

    table = Table(title="Room profiles shipped with Bridge (use --room NAME, or a path to your own YAML)")
    for col in ("name", "room", "holds"):
        table.add_column(col)
    for name in sorted(shipped_rooms()):
        room = load_room(name)
        label = f"{name} (default)" if name == DEFAULT_ROOM else name
        table.add_row(label, room.name, room.summary())
    out.print(table)
    return 0


def cmd_panels(args) -> int:
    from rich.table import Table

    from bridge import panels

    if args.markdown:
        sys.stdout.write(panels.markdown_table())
        return 0
    table = Table(title="Panel types (type: NAME in a scene's panels:)")
    for col in ("type", "shows", "its own keys (? optional)"):
        table.add_column(col)
    for name, doc, keys in panels.describe():
        table.add_row(name, doc, ", ".join(keys))
    out.print(table)
    return 0


def cmd_schema(args) -> int:
    if args.format == "theme":
        from bridge.theme import json_schema
    else:
        from bridge.scene.model import json_schema
    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0
