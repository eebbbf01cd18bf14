"""A room driven by several PCs: a controller and one render node per output group, on MPI.

`bridge launch SCENE --cluster` starts `mpirun` (Open MPI, through mpi4py) with one rank
more than the room has output groups.  Rank 0 is the **controller**: the show as on one PC
(bridge/live.py's `Live`: presenter, keys, console, log, reloads, live answers, the web
remote), with a small preview window that takes the presenter's keys.  Every other rank is a
**render node** showing one output group (the projectors one PC drives, `host:` in the room
profile; without hosts, one projector per node) at native resolution, in windows laid out as
`bridge/show.py` lays out one PC's outputs.

Frames come from the prepared cache (bridge/prepare.py), which every node maps itself from
its own disk (shared storage, or the entry copied there); a node that lacks the entry (and
the test patterns, which have none) is sent its projectors' images by the controller instead.
The controller's preview shows thumbnails.  Live answers (new pictures for some
projectors of one step) are sent to the nodes that own those projectors.

A change is **frame-locked**: the controller sends the view to every node, each draws it into
its back buffer and says so; when every live node is ready, the controller releases the swap
and every node presents at once.  This barrier is point-to-point messages through the
controller, never an MPI collective: a collective waits forever for a rank that died.

**Faults.** Nodes send a heartbeat every BEAT_EVERY from their loop; one that is silent for
LOST_AFTER (dead, or hung) is reported on the controller's console and log, and left out of
later frames, so the others keep showing; a hung node that wakes is caught up.  The
controller's heartbeats come from a thread of their own, so a controller busy preparing is
not taken for dead.  `mpirun --enable-recovery` keeps the job running when a rank dies.
F5 on the controller's window restarts every lost node with `MPI_Comm_spawn` (on its host);
it rejoins at the step the room shows.  A node that stops hearing the controller for
CONTROLLER_LOST_AFTER closes its windows and exits, so a dead controller leaves no window.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import BridgeError, Problem
from bridge.live import IDLE_SLEEP, Live
from bridge.presenter import View

log = logging.getLogger("bridge.show")

TO_NODE, TO_CONTROLLER = 11, 12  # MPI tags: commands for a node, replies for the controller
BEAT_EVERY = 0.1  # seconds between a node's heartbeats (and the controller's)
LOST_BEAT_EVERY = 10  # a lost node hears every tenth heartbeat (a dead one's unsent beats pile up)
LOST_AFTER = 0.5  # a node silent this long is reported lost: dead or hung (within a second, with polling)
START_WITHIN = 120.0  # a node's first start: importing VTK and building its textures on a busy machine
CONTROLLER_LOST_AFTER = 5.0  # a node that hears nothing this long closes its windows and exits
HELLO_WITHIN = 60.0  # the controller waits this long for every rank mpirun started
RESTART_KEYS = {"F5"}  # on the controller's window: restart every lost node
PREVIEW_FIT = (640, 360)  # the controller's preview window, unless --fit says otherwise
SPAWN_ENV = ("DISPLAY", "XAUTHORITY", "BRIDGE_CACHE", "VTK_DEFAULT_OPENGL_WINDOW")
STATUS_ENV = "BRIDGE_CLUSTER_STATUS"  # a file where the controller leaves its exit code for the launcher


def report_status(code: int) -> None:
    """The controller's exit code, for `bridge launch --cluster` (mpirun --enable-recovery always exits 0)."""
    path = os.environ.get(STATUS_ENV)
    if path:
        try:
            Path(path).write_text(str(code))
        except OSError:
            pass


def clock() -> float:
    """CLOCK_MONOTONIC: one clock for every process on a machine (swap times compare across ranks)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# -- the room in groups -------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """One render node's share of the room: the projectors (0-based) one PC drives."""

    number: int  # 1-based, as the console says it
    host: str | None
    projectors: tuple[int, ...]

    def label(self) -> str:
        names = ", ".join(str(i + 1) for i in self.projectors)
        return f"node {self.number} ({'host ' + self.host + ', ' if self.host else ''}projector{'s' if len(self.projectors) > 1 else ''} {names})"


def output_groups(room) -> list[Group]:
    """The room's render nodes: projectors grouped by `host:` (in order of first mention), or one each."""
    if not any(p.host for p in room.projectors):
        return [Group(i + 1, None, (i,)) for i in range(len(room.projectors))]
    hosts: dict[str, list[int]] = {}
    for i, p in enumerate(room.projectors):
        hosts.setdefault(p.host, []).append(i)
    return [Group(k + 1, host, tuple(members)) for k, (host, members) in enumerate(hosts.items())]


def node_room(room, group: Group, own_desktop: bool):
    """The room as one node sees it: only its projectors.  On a PC of its own (`own_desktop`) its
    outputs move so that the group's top-left is the desktop's; on one shared desktop (a rehearsal)
    they keep their places, so the nodes' windows tile as one PC's would."""
    projectors = [room.projectors[i] for i in group.projectors]
    if own_desktop:
        x0 = min(p.output[0] for p in projectors)
        y0 = min(p.output[1] for p in projectors)
        projectors = [dataclasses.replace(p, output=(p.output[0] - x0, p.output[1] - y0)) for p in projectors]
    return dataclasses.replace(room, projectors=tuple(projectors))


def node_prepared(prepared, group: Group, frames=None):
    """The prepared show holding only the group's projectors (`frames`: theirs, when sent)."""
    mine = frames if frames is not None else [prepared.frames[i] for i in group.projectors]
    return dataclasses.replace(prepared, frames=list(mine))


def same_host(a: str, b: str) -> bool:
    """Host names as mpirun and a profile may write them: case-insensitive, domain optional."""
    a, b = a.lower(), b.lower()
    return a == b or a.split(".")[0] == b.split(".")[0]


def assign(groups: list[Group], ranks: dict[int, str], room_source: str) -> tuple[dict[int, Group], bool]:
    """Which rank renders which group: {rank: group}, and whether every rank shares one machine.

    On one machine (a rehearsal) groups go to ranks in order, whatever their hosts say.
    Across machines a group goes to a rank on its host (groups without hosts in rank order).
    """
    if len(ranks) != len(groups):
        raise BridgeError(Problem(room_source, None, "projectors",
            f"the room has {len(groups)} output group(s) but mpirun started {len(ranks)} render rank(s); start "
            f"{len(groups) + 1} ranks (mpirun -np {len(groups) + 1}: the controller and one per group), or let "
            "`bridge launch --cluster` run mpirun"))
    names = {n.lower() for n in ranks.values()}
    order = sorted(ranks)
    if len(names) == 1 or all(g.host is None for g in groups):
        return {rank: g for rank, g in zip(order, groups)}, len(names) == 1
    free = list(order)
    chosen: dict[int, Group] = {}
    missing = []
    for g in groups:
        match = next((r for r in free if same_host(ranks[r], g.host)), None)
        if match is None:
            missing.append(g)
            continue
        free.remove(match)
        chosen[match] = g
    if missing:
        raise BridgeError([Problem(room_source, None, f"projectors[{g.projectors[0]}].host",
            f"'{g.host}' runs no render rank; mpirun placed them on {', '.join(sorted(set(ranks.values())))}: "
            f"list {g.host} in the host file (with a slot for it), or correct the host name") for g in missing])
    return chosen, False


# -- messages -------------------------------------------------------------------------------
class Link:
    """One peer over MPI (a rank of COMM_WORLD, or a spawned node's intercommunicator): sends
    that never block, receives that never wait."""

    def __init__(self, comm, rank: int, inbox_tag: int, outbox_tag: int):
        self.comm, self.rank, self.inbox_tag, self.outbox_tag = comm, rank, inbox_tag, outbox_tag
        self.pending: list = []  # send requests keep their buffers alive until MPI has sent them

    def send(self, message) -> None:
        self.pending.append(self.comm.isend(message, dest=self.rank, tag=self.outbox_tag))
        self.pending = [r for r in self.pending if not r.Test()]

    def receive(self) -> list:
        messages = []
        while self.comm.iprobe(source=self.rank, tag=self.inbox_tag):
            messages.append(self.comm.recv(source=self.rank, tag=self.inbox_tag))
        self.pending = [r for r in self.pending if not r.Test()]
        return messages

    def flush(self, timeout: float) -> None:
        deadline = clock() + timeout
        while self.pending and clock() < deadline:
            self.pending = [r for r in self.pending if not r.Test()]
            time.sleep(0.001)


def in_mpi() -> bool:
    """Started by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE; PMIx-based launchers PMIX_RANK)."""
    return "OMPI_COMM_WORLD_SIZE" in os.environ or "PMIX_RANK" in os.environ


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise BridgeError(f"--cluster: mpi4py cannot load ({exc}); run scripts/setup.sh (Open MPI from Debian: "
                          "apt-get install openmpi-bin libopenmpi-dev, then pip install mpi4py)") from None
    return MPI


# -- the controller (rank 0) ------------------------------------------------------------
@dataclass
class Node:
    """The controller's view of one render node."""

    group: Group
    link: Link
    host: str = "?"
    pid: int = 0
    env: dict = dataclasses.field(default_factory=dict)
    state: str = "starting"  # starting | loading | up | lost
    heard: float = 0.0  # when its last message came
    ready: int = -1  # the last frame drawn and waiting for the swap
    swapped: tuple | None = None  # (seq, start, end) of the last swap
    loads: int = 0  # frames loaded so far (each "up")
    key: str | None = None  # the prepared frames it holds
    synced: tuple | None = None  # (seq, time) of the last bare release (Hub.release_skew)


class Hub:
    """The controller's side of the cluster: the nodes, their heartbeats, the locked swap."""

    def __init__(self, room, comm, say=None):
        self.room, self.comm = room, comm
        self.groups = output_groups(room)
        self.say = say or (lambda text: None)
        self.nodes: list[Node] = []
        self.own_desktops = True
        self.prepared = None
        self.view: View | None = None
        self.seq = 0
        self.skews: list[float] = []  # seconds between the first and last swap of each locked frame
        self.swap_spans: list[float] = []  # the same, measured at the ends of the swaps
        self._waiting = None
        self.closed = False

    # -- start ----------------------------------------------------------------------
    def handshake(self, timeout: float = HELLO_WITHIN) -> None:
        """Hear from every rank mpirun started, and give each its group (BridgeError if they do not fit)."""
        size = self.comm.Get_size()
        links = {r: Link(self.comm, r, TO_CONTROLLER, TO_NODE) for r in range(1, size)}
        hellos: dict[int, tuple] = {}
        deadline = clock() + timeout
        while len(hellos) < len(links) and clock() < deadline:
            for r, link in links.items():
                for message in link.receive():
                    if message[0] == "hello":
                        hellos[r] = message
            time.sleep(0.002)
        if len(hellos) < len(links):
            silent = sorted(set(links) - set(hellos))
            raise BridgeError(f"--cluster: rank(s) {', '.join(map(str, silent))} did not start within {timeout:g} s")
        chosen, one_machine = assign(self.groups, {r: h[1] for r, h in hellos.items()}, self.room.source)
        self.own_desktops = not one_machine
        now = clock()
        for r, group in sorted(chosen.items(), key=lambda item: item[1].number):
            _, host, pid, env = hellos[r]
            self.nodes.append(Node(group, links[r], host, pid, env, "starting", now))

    def keep_alive(self) -> None:
        """The controller's heartbeats, from a thread of their own (MPI_THREAD_MULTIPLE): the nodes
        must not take a controller busy preparing steps or drawing its first frame for a dead one.
        A node's beats, by contrast, come from its loop: a hung node must fall silent."""
        stop = threading.Event()

        def beat():
            pending, turns = [], 0
            while not stop.wait(BEAT_EVERY):
                turns += 1
                for node in list(self.nodes):  # a lost node now and then: a hung one that wakes must hear us
                    if node.state != "lost" or turns % LOST_BEAT_EVERY == 0:
                        pending.append(node.link.comm.isend(("beat",), dest=node.link.rank, tag=TO_NODE))
                pending = [r for r in pending if not r.Test()]
        thread = threading.Thread(target=beat, name="cluster heartbeat", daemon=True)
        thread.start()
        self._waiting = (stop, thread)

    def start(self, prepared, view: View) -> None:
        """Every node gets its room and frames."""
        self.prepared, self.view = prepared, view
        for node in self.nodes:
            self._assign(node)

    def _assign(self, node: Node) -> None:
        node.link.send(("assign", node.group, node_room(self.room, node.group, self.own_desktops)))
        self._send_frames(node)
        node.link.send(("view", self.view.kind, self.view.step, 0))

    def _send_frames(self, node: Node) -> None:
        prepared = self.prepared
        meta = dataclasses.replace(prepared, frames=[], watched=[])
        node.link.send(("frames", meta))

    # -- each turn --------------------------------------------------------------------
    def poll(self) -> list[Node]:
        """Read every node's messages and find the lost; the nodes that came up now."""
        now = clock()
        came_up = []
        for node in self.nodes:
            for message in node.link.receive():
                node.heard = clock()
                kind = message[0]
                if kind == "ready":
                    node.ready = message[1]
                elif kind == "swapped":
                    node.swapped = message[1:]
                elif kind == "synced":
                    node.synced = message[1:]
                elif kind == "need":  # it has no copy of the cache entry: send its projectors' images
                    log.info("%s has no copy of the prepared frames: sending them", node.group.label())
                    import numpy as np

                    node.link.send(("images", message[1], [np.asarray(self.prepared.frames[i]) for i in node.group.projectors]))
                elif kind == "hello":  # a restarted node
                    node.host, node.pid = message[1], message[2]
                    log.info("%s: rank on %s, pid %d", node.group.label(), node.host, node.pid)
                elif kind == "loading":
                    self._set_state(node, "loading")
                elif kind == "up":
                    node.loads, node.key = node.loads + 1, message[1]
                    if node.state == "lost":
                        self.say(f"{node.group.label()} on {node.host} answers again")
                    self._set_state(node, "up")
                    came_up.append(node)
                elif kind == "beat" and node.state == "lost":  # it hung, and woke
                    self.say(f"{node.group.label()} on {node.host} answers again; rejoining")
                    if node.key == self.prepared.key:
                        self._set_state(node, "up")
                        came_up.append(node)
                    else:  # the show reloaded meanwhile
                        self._set_state(node, "starting")
                        self._send_frames(node)
            limit = LOST_AFTER if node.state == "up" else START_WITHIN
            if node.state != "lost" and now - node.heard > limit:
                self._set_state(node, "lost")
                self.say(f"{node.group.label()} on {node.host} (pid {node.pid}) lost: nothing heard for "
                         f"{now - node.heard:.1f} s; the other nodes carry on; press F5 on the controller's window "
                         "to restart it")
        return came_up

    def _set_state(self, node: Node, state: str) -> None:
        node.state = state
        log.info("%s: %s", node.group.label(), state)

    def live(self, states=("up",)) -> list[Node]:
        return [n for n in self.nodes if n.state in states]

    # -- the locked frame -----------------------------------------------------------
    def show(self, view: View, fade_ms: int = 0) -> None:
        self.view = view
        for node in self.live(("starting", "loading", "up")):
            node.link.send(("view", view.kind, view.step, fade_ms))

    def fade_to(self, elapsed: float) -> None:
        for node in self.live(("starting", "loading", "up")):
            node.link.send(("fade", elapsed))

    def replace(self, step: int, images: dict) -> None:
        for node in self.live(("starting", "loading", "up")):
            mine = {k: images[i] for k, i in enumerate(node.group.projectors) if i in images}
            if mine:
                node.link.send(("replace", step, mine))

    def frame(self, wait: float = 2.0) -> None:
        """Draw on every live node, wait until each is ready (or lost), then swap them together."""
        self.seq += 1
        seq = self.seq
        nodes = self.live()
        for node in nodes:
            node.link.send(("draw", seq))
        deadline = clock() + wait
        while clock() < deadline:
            self.poll()
            if all(n.ready >= seq or n.state != "up" for n in nodes):
                break
            time.sleep(0.0005)
        ready = [n for n in nodes if n.state == "up" and n.ready >= seq]
        for node in ready:
            node.link.send(("swap", seq))
        self._collect_swaps(ready, seq, deadline)

    def _collect_swaps(self, nodes: list[Node], seq: int, deadline: float) -> None:
        """Wait for every swapped node's report: how far apart the swaps began and ended."""
        while clock() < deadline + 1.0 and not all(n.swapped and n.swapped[0] >= seq or n.state != "up" for n in nodes):
            self.poll()
            time.sleep(0.002)  # the swaps' times come from the nodes: no need to spin for them here
        times = [n.swapped for n in nodes if n.swapped and n.swapped[0] == seq]
        if len(times) > 1:
            self.skews.append(max(t[1] for t in times) - min(t[1] for t in times))
            self.swap_spans.append(max(t[2] for t in times) - min(t[2] for t in times))

    def release_skew(self) -> float | None:
        """The lock's release alone, no drawing: how far apart the live nodes hear it (seconds)."""
        self.seq += 1
        nodes = self.live()
        for node in nodes:
            node.link.send(("sync", self.seq))
        deadline = clock() + 1.0
        while clock() < deadline and not all(n.synced and n.synced[0] == self.seq for n in nodes):
            self.poll()
            time.sleep(0.001)
        times = [n.synced[1] for n in nodes if n.synced and n.synced[0] == self.seq]
        return max(times) - min(times) if len(times) == len(nodes) > 1 else None

    def catch_up(self, node: Node) -> None:
        """A node that (re)joined shows the room's view now, on its own (the others already do)."""
        self.seq += 1
        node.link.send(("view", self.view.kind, self.view.step, 0))
        node.link.send(("draw", self.seq))
        node.link.send(("swap", self.seq))

    def set_frames(self, prepared) -> None:
        self.prepared = prepared
        for node in self.live(("starting", "loading", "up")):
            self._send_frames(node)

    # -- restarts and the end -----------------------------------------------------------
    def restart_lost(self) -> int:
        """Start a new node for every lost group (MPI_Comm_spawn, on its host); how many."""
        MPI = _mpi()
        started = 0
        for k, node in enumerate(self.nodes):
            if node.state != "lost":
                continue
            info = MPI.Info.Create()
            if self.own_desktops:
                info.Set("host", node.host)
            env = [f"--env={name}={value}" for name, value in sorted(node.env.items())]
            try:
                inter = MPI.COMM_SELF.Spawn(sys.executable, args=["-m", "bridge", "node", *env], maxprocs=1, info=info)
            except MPI.Exception as exc:
                self.say(f"{node.group.label()}: could not restart it on {node.host}: {exc}")
                continue
            finally:
                info.Free()
            link = Link(inter, 0, TO_CONTROLLER, TO_NODE)
            replacement = Node(node.group, link, node.host, 0, node.env, "starting", clock())
            self.nodes[k] = replacement
            log.info("%s: restarted on %s", node.group.label(), node.host)
            self._assign(replacement)
            started += 1
            self.say(f"{node.group.label()}: restarted on {node.host}; it rejoins at the room's step")
        return started

    def close(self) -> None:
        """Tell every node to close its windows and exit (once)."""
        if self.closed:
            return
        self.closed = True
        if self._waiting is not None:
            self._waiting[0].set()
            self._waiting[1].join()
            self._waiting = None
        for node in self.nodes:
            if node.state != "lost":
                node.link.send(("quit",))
        for node in self.nodes:
            if node.state != "lost":
                node.link.flush(1.0)


def thumbnail(image, scale: float):
    """A projector image at the preview's scale (the preview shows the whole room in a small window)."""
    import cv2

    h, w = image.shape[:2]
    return cv2.resize(image, (max(16, round(w * scale)), max(16, round(h * scale))), interpolation=cv2.INTER_AREA)


def thumbnails(prepared, scale: float):
    """The prepared show at the preview's scale: the controller never uploads full-size frames
    (priming 35 of them held the interpreter, and the heartbeats, for seconds)."""
    import numpy as np

    frames = [np.stack([thumbnail(np.asarray(image), scale) for image in steps]) for steps in prepared.frames]
    return dataclasses.replace(prepared, frames=frames)


class ClusterWindows:
    """The controller's windows (a preview taking the presenter's keys) with every node in step:
    what `Live` does to its windows, done to the preview and sent to the nodes."""

    def __init__(self, preview, hub: Hub, scale: float, swapped=None):
        self.preview, self.hub, self.scale, self.swapped = preview, hub, scale, swapped

    def __getattr__(self, name):  # windows, view, fade, pump, on_key, grab, …: the preview's
        return getattr(self.preview, name)

    def show(self, view: View, fade_ms: int = 0, now: float | None = None) -> bool:
        changed = self.preview.show(view, fade_ms, now)
        if changed:
            self.hub.show(self.preview.view, fade_ms if self.preview.fade is not None else 0)
        return changed

    def advance_fade(self, now: float) -> bool:
        fade = self.preview.fade
        going = self.preview.advance_fade(now)
        if going and fade is not None:
            self.hub.fade_to(now - fade[0])
        return going

    def render(self) -> None:
        self.hub.frame()
        if self.swapped:
            self.swapped()
        self.preview.render()

    def replace_step(self, step: int, images: dict) -> bool:
        self.hub.replace(step, images)
        return self.preview.replace_step(step, {i: thumbnail(image, self.scale) for i, image in images.items()})

    def texture_builder(self, prepared):
        return self.preview.texture_builder(thumbnails(prepared, self.scale))

    def set_frames(self, prepared, prime: bool = False, textures=None) -> None:
        self.preview.set_frames(thumbnails(prepared, self.scale) if textures is None else prepared, prime, textures)
        self.hub.set_frames(prepared)

    def close(self) -> None:
        self.hub.close()
        self.preview.close()


def controller_ended(status_file: Path, code: int) -> int:
    """The launcher's exit code: mpirun's if it failed, else what the controller reported."""
    try:
        text = status_file.read_text().strip()
    finally:
        status_file.unlink(missing_ok=True)
    if code != 0:
        return code
    if text.isdigit():
        return int(text)
    print("error: --cluster: the controller ended before the show did (the error is above, or it was killed); "
          "the show's log has the details", file=sys.stderr, flush=True)
    return 1


class ClusterShow(Live):
    """The controller: `Live` (presenter, console, log, reloads, answers, web) with its windows
    replaced by a preview plus the room's render nodes."""

    def __init__(self, hub: Hub, scene_path: Path, room, prepared, size, fit=None, **options):
        fit = fit or PREVIEW_FIT
        _, _, width, height = room.desktop()
        scale = min(1.0, fit[0] / width, fit[1] / height)  # the preview's thumbnails
        super().__init__(scene_path, room, thumbnails(prepared, scale), size, "windowed", fit=fit, **options)
        self.prepared = prepared
        self.hub = hub
        hub.say = self._say
        if not hub.own_desktops:  # a rehearsal on one desktop: the preview goes below the room's windows
            for w in self.windows.windows:
                w.render_window.SetPosition(0, height)
        log.info("controller: pid %d on %s", os.getpid(), socket.gethostname())
        for node in hub.nodes:
            log.info("%s: rank on %s, pid %d", node.group.label(), node.host, node.pid)
        hub.start(prepared, self.presenter.view)
        self.windows = ClusterWindows(self.windows, hub, scale, self._swapped)
        self.rank_latencies: list[float] = []  # seconds from a key to its frame swapped on every node
        self._pressed: float | None = None

    def _say(self, text: str) -> None:
        log.warning("%s", text)
        if self.console:
            self.console.message(text)
        else:
            print(text, flush=True)

    def key(self, keysym: str) -> None:
        if keysym in RESTART_KEYS:
            log.info("key %s: restart lost nodes", keysym)
            if not self.hub.restart_lost():
                self._say("F5: every node is running; nothing to restart")
            return
        self._pressed = clock()
        super().key(keysym)

    def _swapped(self) -> None:
        if self._pressed is not None:
            self.rank_latencies.append(clock() - self._pressed)
            self._pressed = None

    def tick(self, now: float | None = None) -> bool:
        for node in self.hub.poll():
            self.hub.catch_up(node)
        return super().tick(now)

    def close(self) -> None:
        super().close()
        report_status(0)  # the show ran and ended: the launcher exits 0


# -- a render node ------------------------------------------------------------------------
class RenderNode:
    """One render rank: its group's windows, drawn and swapped when the controller says."""

    def __init__(self, link: Link):
        self.link = link
        self.windows = None
        self.group: Group | None = None
        self.room = None
        self.meta = None
        self.view = View("step", 0)
        self.heard = clock()
        self.silence = HELLO_WITHIN  # until the controller first speaks (it may still be starting)
        self._beat = 0.0
        self.quit = False

    def run(self) -> bool:
        """Serve until told to quit (True) or until the controller falls silent (False)."""
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
        from bridge.prepare import load_cached

        self.meta = meta
        if frames is None:
            cached = load_cached(meta.key, []) if meta.folder is not None else None
            if cached is None:
                self.link.send(("need", meta.key))
                return
            frames = [cached.frames[i] for i in self.group.projectors]
        self.link.send(("loading",))
        prepared = dataclasses.replace(meta, frames=list(frames))
        if self.windows is None:
            from bridge.show import ShowWindows

            self.windows = ShowWindows(self.room, prepared, self.room.layout, title=f"Bridge node {self.group.number} — {meta.title}")
            self.windows.show(self.view)
        else:
            built = None
            for built in self.windows.texture_builder(prepared):
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


def serve_node(env: list[str] | None = None) -> int:
    """A render node: under mpirun (a rank ≥ 1) or spawned by the controller to replace a lost one."""
    for item in env or []:
        name, _, value = item.partition("=")
        if name in SPAWN_ENV:
            os.environ[name] = value
    from bridge.backend import use_onscreen

    use_onscreen()
    MPI = _mpi()
    parent = MPI.Comm.Get_parent()
    comm = MPI.COMM_WORLD if parent == MPI.COMM_NULL else parent
    if not RenderNode(Link(comm, 0, TO_NODE, TO_CONTROLLER)).run():
        # The controller is gone: MPI_Finalize would wait for it.  The windows are closed; leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


# -- starting: the launcher, the ranks --------------------------------------------------------
def mpirun_command(argv: list[str], ranks: int, hosts: Path | None) -> list[str]:
    """The mpirun line that runs this same `bridge launch … --cluster` as `ranks` ranks."""
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise BridgeError("--cluster: mpirun is not installed; install Open MPI (Debian: apt-get install openmpi-bin "
                          "libopenmpi-dev, which scripts/setup.sh does), or run the show on one PC without --cluster")
    command = [mpirun]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += ["--enable-recovery",  # a rank that dies does not end the others
                "--oversubscribe", "--mca", "mpi_yield_when_idle", "1",  # a controller beside a node on one PC
                "-np", str(ranks)]
    if hosts is not None:
        command += ["--hostfile", str(hosts)]
    for name in SPAWN_ENV + (STATUS_ENV,):
        if name in os.environ:
            command += ["-x", name]
    return command + [sys.executable, "-m", "bridge", *argv]


def read_hosts(path: Path) -> list[str]:
    """The host names of an Open MPI host file (`name [slots=N]` per line, # comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BridgeError(f"--hosts: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    names = [line.split("#")[0].split()[0] for line in text.splitlines() if line.split("#")[0].strip()]
    if not names:
        raise BridgeError(f"--hosts: {path} names no host; write one line per PC, e.g. 'controller-pc slots=2'")
    return names


def check_hosts(room, hosts: list[str], hosts_path: Path) -> None:
    """Every host the room names must be in the host file."""
    problems = []
    for g in output_groups(room):
        if g.host is not None and not any(same_host(g.host, h) for h in hosts):
            problems.append(Problem(room.source, None, f"projectors[{g.projectors[0]}].host",
                f"'{g.host}' is not in the host file {hosts_path} (it lists {', '.join(hosts)}); add a line "
                f"'{g.host} slots=1' or correct the host name"))
    if problems:
        raise BridgeError(problems)


def enter(args, load_room, argv: list[str] | None = None):
    """`bridge launch --cluster`, by role: outside MPI run mpirun (its exit code); a render rank
    serves its node (0 when it ends); rank 0 returns the `Hub` the controller runs the show with."""
    hosts = getattr(args, "hosts", None)
    if not in_mpi():
        room = load_room()
        groups = output_groups(room)
        if hosts is not None:
            check_hosts(room, read_hosts(hosts), hosts)
        fd, status = tempfile.mkstemp(prefix="bridge-cluster-", suffix=".status")
        os.close(fd)
        os.environ[STATUS_ENV] = status
        command = mpirun_command(list(sys.argv[1:] if argv is None else argv), len(groups) + 1, hosts)
        print(f"cluster: {len(groups)} render node(s) and a controller: {shlex.join(command)}", flush=True)
        return controller_ended(Path(status), subprocess.call(command))
    MPI = _mpi()
    if MPI.COMM_WORLD.Get_rank() != 0:
        return serve_node()
    room = load_room()
    if getattr(args, "layout", None):  # --layout: how each node opens its outputs
        room = dataclasses.replace(room, layout=args.layout)
    hub = Hub(room, MPI.COMM_WORLD)
    try:
        hub.handshake()
    except BridgeError:
        hub.nodes = [Node(Group(0, None, ()), Link(MPI.COMM_WORLD, r, TO_CONTROLLER, TO_NODE), state="starting")
                     for r in range(1, MPI.COMM_WORLD.Get_size())]
        hub.close()  # every rank ends with the controller
        report_status(2)
        raise
    hub.keep_alive()
    atexit.register(hub.close)  # however the controller ends (an error while preparing too), the nodes end
    return hub
