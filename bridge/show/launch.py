"""The whole live show, assembled: the log, the prepared steps, the room's windows (or a cluster's
controller), the web server and the presenter console, opened in that order and closed in reverse.

No command-line parsing here: `bridge.commands.launch` turns the options into a `LaunchOptions`.
A problem the user can fix is a `BridgeError`; what the show does is written to its log.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bridge.errors import BridgeError, printable


@dataclass(frozen=True)
class LaunchOptions:
    """How to run the show.  `scene` None shows the calibration patterns; `size` None matches the room.
    `layout` and `hosts` are read by `bridge.show.cluster.launch.enter` too."""

    scene: Path | None
    windowed: bool = False
    layout: str | None = None  # "span" or "per-projector": overrides the room profile's
    fit: tuple[int, int] | None = None  # windowed: the largest window size
    size: tuple[int, int] | None = None
    log: Path | None = None  # default: out/<scene name>/show.log
    use_cache: bool = True
    remote: bool = False  # serve the remote and watch page on the local network
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None
    compositor: str = "auto"  # "auto", "gpu" or "cpu"
    cluster: bool = False
    hosts: Path | None = None  # cluster: Open MPI host file


def _escape(text: object) -> str:
    return escape(printable(text))


def launch(options: LaunchOptions, load_room: Callable, out: Console,
           progress_bars: Callable[[], AbstractContextManager]) -> int:
    """Run the show until the presenter quits; the exit code.  `load_room()` gives the room profile,
    `out` is the terminal and `progress_bars()` a context manager giving a `progress(what, done, total)`."""
    from bridge.room.model import check_render_memory

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        raise BridgeError("launch: no display (DISPLAY is not set); run it on the room's desktop, or under a virtual "
                          "X server for a test: Xvfb :99 & DISPLAY=:99 bridge launch … --windowed")
    from bridge.backend import use_onscreen

    use_onscreen()  # drop an offscreen choice inherited from a headless parent
    hub = None
    if options.cluster:
        from bridge.show.cluster.launch import enter

        hub = enter(options, load_room)  # outside mpirun: runs it; rank ≥ 1: a node; 0: the controller
        if isinstance(hub, int):
            return hub
    from bridge.web.server import check_port, check_tls

    check_port(options.remote, options.port)  # a taken port is refused now, not after preparing every step
    tls = check_tls(options.tls_cert, options.tls_key)  # and a certificate that does not load
    room = hub.room if hub is not None else load_room()
    from bridge.show.preparer import default_size

    size = options.size or default_size(room)
    check_render_memory(room, *size, "--size")
    log_path = options.log or default_log_path(options.scene)
    handler, logger = _open_log(log_path)
    logger.info("launch %s in %s (%s) at %dx%d", options.scene or "test patterns", room.name, room.source, *size)
    prepared = _prepare(options, room, size, logger, log_path, out, progress_bars)
    _show(options, hub, room, prepared, size, tls, out, handler)
    return 0


def default_log_path(scene: Path | None) -> Path:
    """out/<scene name>/show.log (out/patterns/ with no scene): beside the scene's renders, in the
    one folder `default_out_dir` makes of the name, so a scene called `...yaml` logs inside out/."""
    from bridge.render.output import default_out_dir

    return default_out_dir(scene.stem if scene is not None else "patterns") / "show.log"


def _open_log(log_path: Path) -> tuple[logging.Handler, logging.Logger]:
    """The show's log file, attached to the `bridge` logger at INFO."""
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, encoding="utf-8")
    except OSError as exc:
        raise BridgeError(f"--log: cannot write {log_path}: {exc.strerror or exc}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("bridge")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler, logger


def _prepare(options: LaunchOptions, room, size: tuple[int, int], logger: logging.Logger, log_path: Path, out: Console,
             progress_bars: Callable[[], AbstractContextManager]):
    """Every step prepared (or loaded from the cache); a problem is logged as well as raised."""
    from bridge.show.preparer import prepare, prepare_patterns

    started = time.perf_counter()
    try:
        with progress_bars() as progress:
            if options.scene is None:
                prepared = prepare_patterns(room, size, progress)
            else:
                prepared = prepare(options.scene, room, size, progress, use_cache=options.use_cache)
    except BridgeError as exc:
        for problem in exc.problems:
            logger.error("%s", problem)
        raise
    how = "loaded from cache" if prepared.from_cache else "prepared"
    steps = f"{prepared.step_count} step{'' if prepared.step_count == 1 else 's'}"
    out.print(f"{steps} {how} in {time.perf_counter() - started:.1f} s; log: {_escape(log_path)}")
    logger.info("%d steps %s in %.1f s", prepared.step_count, how, time.perf_counter() - started)
    return prepared


def _show(options: LaunchOptions, hub, room, prepared, size: tuple[int, int], tls, out: Console,
          handler: logging.Handler) -> None:
    """Open the windows (or the cluster's), the web server and the console; run until the presenter quits.
    Once the windows are open, the log `handler` is closed with them, however the show ends."""
    logger = logging.getLogger("bridge")
    from bridge.show.console import PresenterConsole
    from bridge.show.live import Live

    scene = options.scene or Path("patterns")
    if hub is not None:
        from bridge.show.cluster.controller import ClusterShow

        live: Live = ClusterShow(hub, scene, room, prepared, size, fit=options.fit, compositor=options.compositor)
    else:
        mode = "windowed" if options.windowed else (options.layout or room.layout)
        live = Live(scene, room, prepared, size, mode, fit=options.fit, compositor=options.compositor)
    out.print(f"compositor: {live.compositor} (OpenGL: {_escape(live.gl_renderer)})")
    from bridge.web.server import start_web

    web = None
    try:
        web = start_web(live, remote=options.remote, port=options.port, tls=tls)
        for line in web.links():
            out.print(line)
            logger.info("%s", line)
        live.web.links = web.links()  # the presenter console shows them too (bridge/show/web_link.py)
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
