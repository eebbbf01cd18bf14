"""Starting a cluster: the launcher that runs mpirun, and what each rank does first."""

from __future__ import annotations

import atexit
import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import BridgeError
from bridge.show.cluster.groups import Group, check_hosts, output_groups, read_hosts
from bridge.show.cluster.hub import Hub, Node
from bridge.show.cluster.messages import SPAWN_ENV, STATUS_ENV, TO_CONTROLLER, TO_NODE, Link, in_mpi, mpi, report_status
from bridge.show.cluster.node import serve_node

if TYPE_CHECKING:
    from bridge.show.launch import LaunchOptions


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


def mpirun_command(argv: list[str], ranks: int, hosts: Path | None, env=None) -> list[str]:
    """The mpirun line that runs this same `bridge launch … --cluster` as `ranks` ranks (`env`:
    the environment mpirun will have, default this process's)."""
    env = os.environ if env is None else env
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
        if name in env:
            command += ["-x", name]
    return command + [sys.executable, "-m", "bridge", *argv]


def enter(options: LaunchOptions, load_room, argv: list[str] | None = None):
    """`bridge launch --cluster`, by role: outside MPI run mpirun (its exit code); a render rank
    serves its node (0 when it ends); rank 0 returns the `Hub` the controller runs the show with."""
    hosts = options.hosts
    if not in_mpi():
        room = load_room()
        groups = output_groups(room)
        if hosts is not None:
            check_hosts(room, read_hosts(hosts), hosts)
        fd, status = tempfile.mkstemp(prefix="bridge-cluster-", suffix=".status")
        os.close(fd)
        env = dict(os.environ, **{STATUS_ENV: status})
        try:
            command = mpirun_command(list(sys.argv[1:] if argv is None else argv), len(groups) + 1, hosts, env)
            print(f"cluster: {len(groups)} render node(s) and a controller: {shlex.join(command)}", flush=True)
            code = subprocess.call(command, env=env)
        except BaseException:  # mpirun missing, Ctrl+C: no status file left behind
            Path(status).unlink(missing_ok=True)
            raise
        return controller_ended(Path(status), code)
    MPI = mpi()
    if MPI.COMM_WORLD.Get_rank() != 0:
        return serve_node()
    room = load_room()
    if options.layout:  # --layout: how each node opens its outputs
        room = dataclasses.replace(room, layout=options.layout)
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
