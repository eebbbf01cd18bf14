"""The whole live show, assembled: the log, the prepared steps, the room's windows (or a cluster's
controller), the web server and the presenter console, opened in that order and closed in reverse.

No command-line parsing here: `bridge.commands.launch` turns the options into a `LaunchOptions`.
A problem the user can fix is a `BridgeError`; what the show does is written to its log.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from bridge.errors import BridgeError, counted, printable

if TYPE_CHECKING:
    from bridge.show.live import Live


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
    """Run the show until the presenter quits (or SIGTERM comes); the exit code.  `load_room()` gives
    the room profile, `out` is the terminal and `progress_bars()` a context manager giving a
    `progress(what, done, total)`."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        raise BridgeError("launch: no display (DISPLAY is not set); run it on the room's desktop, or under a virtual "
                          "X server for a test: Xvfb :99 & DISPLAY=:99 bridge launch … --windowed")
    from bridge.backend import use_onscreen

    use_onscreen()  # drop an offscreen choice inherited from a headless parent
    with stopping_on_sigterm(options.cluster) as stop:
        try:
            if not options.cluster:
                return _run(options, None, load_room, stop, out, progress_bars)
            from bridge.show.cluster.launch import controller_code, enter

            hub = enter(options, load_room)  # outside mpirun: runs it; rank ≥ 1: a node; 0: the controller
            if isinstance(hub, int):
                return hub
            return controller_code(lambda: _run(options, hub, load_room, stop, out, progress_bars))
        except Terminated:
            logging.getLogger("bridge").info("SIGTERM before the show started: stopped")
            out.print("stopped by SIGTERM before the show started")
            return Terminated.exit_code


def _run(options: LaunchOptions, hub, load_room: Callable, stop: StopOnSigterm, out: Console,
         progress_bars: Callable[[], AbstractContextManager]) -> int:
    """Everything after the display and the cluster's start: checks, log, preparing, the show; 0."""
    from bridge.room.model import check_render_memory
    from bridge.web.server import check_port, check_tls

    check_port(options.remote, options.port)  # a taken port is refused now, not after preparing every step
    tls = check_tls(options.tls_cert, options.tls_key)  # and a certificate that does not load
    room = hub.room if hub is not None else load_room()
    from bridge.show.preparer import default_size

    size = options.size or default_size(room)
    check_render_memory(room, *size, "--size")
    if options.scene is not None:
        _check_show_memory(options.scene, room, size)
    log_path = options.log or default_log_path(options.scene)
    handler, logger = _open_log(log_path)
    logger.info("launch %s in %s (%s) at %dx%d", options.scene or "test patterns", room.name, room.source, *size)
    prepared = _prepare(options, room, size, logger, log_path, out, progress_bars)
    _show(options, hub, room, prepared, size, tls, out, handler, stop)
    return 0


class Terminated(Exception):
    """SIGTERM came before the show was on screen: preparing stops as Ctrl+C stops it."""

    exit_code = 128 + signal.SIGTERM  # the shell's code for a process ended by SIGTERM: 143


class StopOnSigterm:
    """The SIGTERM handler: once the show runs, it ends the show as Esc twice does (the loop ends,
    "show ended" is logged, the workers and windows close, exit code 0), so a service manager's
    stop leaves no worker or semaphore behind.  While the steps are prepared it raises `Terminated`;
    while the windows and workers open (`opening()`) it waits for them, to close them cleanly."""

    def __init__(self) -> None:
        self.live: Live | None = None
        self.waiting = False  # opening: a SIGTERM now is kept for `attach`
        self.asked: int | None = None  # the signal kept

    def __call__(self, signum: int, frame) -> None:
        if self.live is not None:
            self._quit(self.live, signum)
        elif self.waiting:
            self.asked = signum
        else:
            raise Terminated()

    def opening(self) -> None:
        self.waiting = True

    def attach(self, live: Live) -> None:
        """The show is open: from now on SIGTERM quits it (at once, if one came while it opened)."""
        self.live = live
        if self.asked is not None:
            self._quit(live, self.asked)

    @staticmethod
    def _quit(live: Live, signum: int) -> None:
        why = "SIGTERM" if signum == signal.SIGTERM else "SIGTERM to the cluster's launcher (SIGUSR1 from mpirun)"
        logging.getLogger("bridge.show").info("%s: quitting, as Esc twice does", why)
        live.presenter.quit = True


@contextmanager
def stopping_on_sigterm(cluster: bool = False) -> Iterator[StopOnSigterm]:
    """SIGTERM handled by a `StopOnSigterm` for the length of the block (the main thread only: a
    handler can be set nowhere else), the previous handler back after it.  A cluster's rank takes
    SIGUSR1 the same way: the launcher's SIGTERM, passed on by mpirun (bridge/show/cluster/launch.py)."""
    from bridge.show.cluster.messages import in_mpi

    stop = StopOnSigterm()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    signals = [signal.SIGTERM] + ([signal.SIGUSR1] if cluster and in_mpi() else [])
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


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


def _check_show_memory(scene_path: Path, room, size: tuple[int, int]) -> None:
    """Refuse a show whose renders and kept frames would not fit (bridge/show/memory.py), before
    anything is rendered: its steps and video steps are read from the scene alone."""
    from bridge.scene.model import load_scene
    from bridge.show.memory import check_show_memory

    try:
        scene, _ = load_scene(scene_path)
    except BridgeError:
        return  # a scene that does not load is refused by the preparation, which logs it
    videos = sum(1 for s in range(len(scene.steps)) if scene.step_video(s))
    check_show_memory(room, *size, len(scene.steps), videos)


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
    steps = counted(prepared.step_count, "step")
    seconds = time.perf_counter() - started
    out.print(f"{steps} {how} in {seconds:.1f} s; log: {_escape(log_path)}")
    logger.info("%s %s in %.1f s", steps, how, seconds)
    return prepared


def _show(options: LaunchOptions, hub, room, prepared, size: tuple[int, int], tls, out: Console,
          handler: logging.Handler, stop: StopOnSigterm) -> None:
    """Open the windows (or the cluster's), the web server and the console; run until the presenter quits.
    Once the windows are open, the log `handler` is closed with them, however the show ends."""
    logger = logging.getLogger("bridge")
    from bridge.show.console import PresenterConsole
    from bridge.show.live import Live

    scene = options.scene or Path("patterns")
    stop.opening()  # a SIGTERM while the windows and workers open waits for them, then closes them
    if hub is not None:
        from bridge.show.cluster.controller import ClusterShow

        live: Live = ClusterShow(hub, scene, room, prepared, size, fit=options.fit, compositor=options.compositor)
    else:
        mode = "windowed" if options.windowed else (options.layout or room.layout)
        live = Live(scene, room, prepared, size, mode, fit=options.fit, compositor=options.compositor)
    stop.attach(live)
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
