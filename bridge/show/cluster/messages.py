"""What the controller and the nodes say to each other over MPI, and when: tags, timings, `Link`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bridge.errors import BridgeError

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


def exit_code(exc: BaseException) -> int:
    """The code the command exits with after `exc`, as bridge/cli.py gives it: 2 (or the error's own)
    for a refused input, 130 for Ctrl+C, 1 for anything else (a failure)."""
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 1
    return 130 if isinstance(exc, KeyboardInterrupt) else 1


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


def end_ranks(comm) -> None:
    """Tell every other rank of `comm` to end, from rank 0 before (or without) a `Hub`: a render
    node waits for its controller, and would otherwise wait CONTROLLER_LOST_AFTER or longer."""
    links = [Link(comm, r, TO_CONTROLLER, TO_NODE) for r in range(1, comm.Get_size())]
    for link in links:
        link.send(("quit",))
    for link in links:
        link.flush(1.0)


def clock() -> float:
    """CLOCK_MONOTONIC: one clock for every process on a machine (swap times compare across ranks)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def in_mpi() -> bool:
    """Started by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE; PMIx-based launchers PMIX_RANK)."""
    return "OMPI_COMM_WORLD_SIZE" in os.environ or "PMIX_RANK" in os.environ


def mpi():
    from bridge.optional import need

    need("mpi4py", extra="cluster", for_what="--cluster rooms")  # not installed: which extra brings it
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise BridgeError(f"--cluster: mpi4py cannot load ({exc}); run scripts/setup.sh (Open MPI from Debian: "
                          "apt-get install openmpi-bin libopenmpi-dev, then pip install mpi4py)") from None
    return MPI
