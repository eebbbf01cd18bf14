"""The controller's side of the cluster: the nodes, their heartbeats, the frame-locked swap, restarts."""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
from dataclasses import dataclass

from bridge.errors import BridgeError
from bridge.show.cluster.groups import Group, assign, node_room, output_groups
from bridge.show.cluster.messages import (
    BEAT_EVERY,
    HELLO_WITHIN,
    LOST_AFTER,
    LOST_BEAT_EVERY,
    START_WITHIN,
    TO_CONTROLLER,
    TO_NODE,
    Link,
    clock,
    mpi,
)
from bridge.show.presenter import View

log = logging.getLogger("bridge.show")


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
        assert self.view is not None  # set by start()
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
        assert self.view is not None  # set by start(): a node catches up only after it
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
        MPI = mpi()
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
