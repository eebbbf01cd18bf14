"""A render node: its group's windows, drawn into the back buffer and swapped when the controller says."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from bridge.errors import BridgeError
from bridge.show.cluster.groups import Group
from bridge.show.cluster.messages import (
    BEAT_EVERY,
    CONTROLLER_LOST_AFTER,
    HELLO_WITHIN,
    LOST_AFTER,
    SPAWN_ENV,
    TO_CONTROLLER,
    TO_NODE,
    Link,
    clock,
    end_ranks,
    in_mpi,
    mpi,
)
from bridge.show.presenter import View

if TYPE_CHECKING:
    import pyvista as pv

    from bridge.room.model import Room
    from bridge.show.windows import ShowWindows


class RenderNode:
    """One render rank: its group's windows, drawn and swapped when the controller says."""

    def __init__(self, link: Link):
        self.link = link
        self.windows: ShowWindows | None = None
        self.group: Group | None = None
        self.room: Room | None = None
        self.meta = None
        self.view = View("step", 0)
        self.heard = clock()
        self.silence = HELLO_WITHIN  # until the controller first speaks (it may still be starting)
        self._beat = 0.0
        self.quit = False

    def run(self) -> bool:
        """Serve until told to quit (True) or until the controller falls silent (False)."""
        from bridge.show.live import IDLE_SLEEP  # the show's loop and VTK: imported by a node that serves

        self.link.send(("hello", socket.gethostname(), os.getpid(), {k: os.environ[k] for k in SPAWN_ENV if k in os.environ}))
        try:
            while not self.quit:
                busy = False
                for message in self.link.receive():
                    self.heard, self.silence = clock(), CONTROLLER_LOST_AFTER
                    self.handle(message)
                    busy = True
                self.beat()
                if clock() - self.heard > self.silence:
                    print(f"bridge node {os.getpid()}: the controller is silent; closing", file=sys.stderr, flush=True)
                    return False
                if self.windows is not None:
                    self.windows.pump()
                if not busy:
                    time.sleep(IDLE_SLEEP)
        finally:
            if self.windows is not None:
                self.windows.close()
            self.link.flush(0.5)
        return True

    def beat(self, force: bool = False) -> None:
        now = clock()
        if force or now - self._beat >= BEAT_EVERY:
            self._beat = now
            self.link.send(("beat",))

    def handle(self, message) -> None:
        kind = message[0]
        if kind == "assign":
            self.group, self.room = message[1], message[2]
        elif kind == "frames":
            self.load(message[1])
        elif kind == "images":
            self.load(self.meta, message[2])
        elif kind == "view":
            _, view_kind, step, fade_ms = message
            self.view = View(view_kind, step)
            if self.windows is not None:
                self.windows.show(self.view, fade_ms, clock())
        elif kind == "fade":
            if self.windows is not None and self.windows.fade is not None:
                self.windows.advance_fade(self.windows.fade[0] + message[1])
        elif kind == "replace":
            if self.windows is not None:
                self.windows.replace_step(message[1], message[2])
        elif kind == "draw":
            self.draw(message[1])
        elif kind == "swap":
            self.swap(message[1])
        elif kind == "sync":
            self.link.send(("synced", message[1], clock()))
        elif kind == "quit":
            self.quit = True

    def load(self, meta, frames=None) -> None:
        """Map this node's projectors from its cache (or take the images sent); build or swap textures."""
        from bridge.show.cache import load_cached

        self.meta = meta
        if frames is None:
            cached = load_cached(meta.key, []) if meta.folder is not None else None
            if cached is None:
                self.link.send(("need", meta.key))
                return
            assert self.group is not None  # "assign" comes first
            frames = [cached.frames[i] for i in self.group.projectors]
        self.link.send(("loading",))
        prepared = dataclasses.replace(meta, frames=list(frames))
        if self.windows is None:
            from bridge.show.windows import ShowWindows

            assert self.group is not None and self.room is not None  # "assign" comes first
            self.windows = ShowWindows(self.room, prepared, self.room.layout,
                                       title=f"Bridge node {self.group.number} — {meta.title}")
            self.windows.show(self.view)
        else:
            built: list[list[pv.Texture]] | None = None
            for item in self.windows.texture_builder(prepared):  # the last item is the textures
                built = item
                self.beat()
            self.windows.set_frames(prepared, textures=built)
            self.windows.show(self.view)
        self.windows.render()  # a new window's first frame is slow (seconds on a busy machine): pay it while loading
        self.beat(force=True)
        self.link.send(("up", meta.key))

    def draw(self, seq: int) -> None:
        """Draw into the back buffer, unseen, and tell the controller it is ready."""
        if self.windows is None:
            return
        for w in self.windows.windows:
            w.render_window.SwapBuffersOff()
            w.render_window.Render()
        for w in self.windows.windows:
            w.render_window.WaitForCompletion()
            w.render_window.SwapBuffersOn()
        self.link.send(("ready", seq))
        self._await_swap(seq)

    def _await_swap(self, seq: int) -> None:
        """Stay awake for the swap (it follows within milliseconds): a node that slept between
        polls would start its swap later than the others."""
        deadline = clock() + LOST_AFTER
        while clock() < deadline and not self.quit:
            for message in self.link.receive():
                self.heard = clock()
                self.handle(message)
                if message[0] == "swap" and message[1] >= seq:
                    return
            self.beat()
            time.sleep(0.0001)

    def swap(self, seq: int) -> None:
        if self.windows is None:
            return
        start = clock()
        for w in self.windows.windows:
            w.render_window.Frame()
        for w in self.windows.windows:
            w.render_window.WaitForCompletion()
        self.link.send(("swapped", seq, start, clock()))


ALONE = ("node: run by hand, `bridge node` would wait for a controller that never comes: it is one render node of a room "
         "on several PCs, which `bridge launch SCENE --cluster` starts under mpirun (and the controller's F5 restarts); "
         "run `bridge launch SCENE --cluster` instead")
RANK_0 = ("node: under mpirun, rank 0 is the controller, not a render node: run `bridge launch SCENE --cluster` as every "
          "rank (it prints the mpirun line), or let it run mpirun itself; `bridge node` is what the controller's F5 "
          "starts to replace a lost node")


def serve_node(env: list[str] | None = None) -> int:
    """A render node: under mpirun (a rank ≥ 1) or spawned by the controller to replace a lost one.
    Anywhere else (run by hand, or as rank 0, the controller's place) it refuses at once: it would
    wait for a controller that never speaks."""
    if not in_mpi():
        raise BridgeError(ALONE)
    for item in env or []:
        name, _, value = item.partition("=")
        if name in SPAWN_ENV:
            os.environ[name] = value
    MPI = mpi()
    parent = MPI.Comm.Get_parent()
    if parent == MPI.COMM_NULL and MPI.COMM_WORLD.Get_rank() == 0:
        end_ranks(MPI.COMM_WORLD)  # the other ranks, nodes too, would wait for this one
        raise BridgeError(RANK_0)
    if threading.current_thread() is threading.main_thread():  # mpirun passes the launcher's SIGTERM on as SIGUSR1:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # the controller ends the show, and tells the nodes
    from bridge.backend import use_onscreen

    use_onscreen()
    comm = MPI.COMM_WORLD if parent == MPI.COMM_NULL else parent
    if not RenderNode(Link(comm, 0, TO_NODE, TO_CONTROLLER)).run():
        # The controller is gone: MPI_Finalize would wait for it.  The windows are closed; leave now,
        # with a failure's code (a hand-run mpirun without --enable-recovery reports it).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    return 0
