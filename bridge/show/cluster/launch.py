"""Starting a cluster: the launcher that runs mpirun, and what each rank does first."""

from __future__ import annotations

import atexit
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import BridgeError, counted
from bridge.show.cluster.groups import check_hosts, output_groups, read_hosts
from bridge.show.cluster.hub import Hub
from bridge.show.cluster.messages import SPAWN_ENV, STATUS_ENV, end_ranks, exit_code, in_mpi, mpi, report_status
from bridge.show.cluster.node import serve_node

if TYPE_CHECKING:
    from bridge.show.launch import LaunchOptions


def controller_ended(status_file: Path, code: int) -> int:
    """The launcher's exit code: the controller's, as it reported it (mpirun --enable-recovery exits
    0 whatever its ranks do); 1 when mpirun failed or the controller ended without a word (killed)."""
    try:
        text = status_file.read_text().strip()
    finally:
        status_file.unlink(missing_ok=True)
    if text.isdigit():
        return int(text)
    if code != 0:
        print(f"error: --cluster: mpirun failed (exit code {code}) before the controller ended; its message is above",
              file=sys.stderr, flush=True)
    else:
        print("error: --cluster: the controller ended before the show did (the error is above, or it was killed); "
              "the show's log has the details", file=sys.stderr, flush=True)
    return 1


def controller_code(run: Callable[[], int]) -> int:
    """Rank 0 runs the show with `run()`; its exit code (2 refused input, 1 failure, 0 the show ran
    and ended) is left for the launcher however it ends, since mpirun's own is always 0."""
    code = 1
    try:
        code = run()
        return code
    except BaseException as exc:
        code = exit_code(exc)
        raise
    finally:
        report_status(code)


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
    if not in_mpi():
        return _run_mpirun(options.hosts, load_room, list(sys.argv[1:] if argv is None else argv))
    try:
        MPI = mpi()
    except BridgeError:  # every rank fails alike: each may leave the code
        report_status(2)
        raise
    if MPI.COMM_WORLD.Get_rank() != 0:
        return serve_node()
    try:
        room = load_room()
        if options.layout:  # --layout: how each node opens its outputs
            room = dataclasses.replace(room, layout=options.layout)
        hub = Hub(room, MPI.COMM_WORLD)
        hub.handshake()
    except BaseException as exc:  # a refused room, or ranks that do not fit it: every rank ends with the controller
        end_ranks(MPI.COMM_WORLD)
        report_status(exit_code(exc))
        raise
    hub.keep_alive()
    atexit.register(hub.close)  # however the controller ends (an error while preparing too), the nodes end
    return hub


def _run_mpirun(hosts: Path | None, load_room, argv: list[str]) -> int:
    """Outside MPI: check the room and the host file, run mpirun, exit with the controller's code."""
    room = load_room()
    groups = output_groups(room)
    if hosts is not None:
        check_hosts(room, read_hosts(hosts), hosts)
    fd, status = tempfile.mkstemp(prefix="bridge-cluster-", suffix=".status")
    os.close(fd)
    env = dict(os.environ, **{STATUS_ENV: status})
    try:
        command = mpirun_command(argv, len(groups) + 1, hosts, env)
        print(f"cluster: {counted(len(groups), 'render node')} and a controller: {shlex.join(command)}", flush=True)
        code = _wait_passing_sigterm_on(subprocess.Popen(command, env=env))
    except BaseException:  # mpirun missing, Ctrl+C: no status file left behind
        Path(status).unlink(missing_ok=True)
        raise
    return controller_ended(Path(status), code)


def _wait_passing_sigterm_on(mpirun: subprocess.Popen) -> int:
    """mpirun's exit code.  A SIGTERM to the launcher meanwhile reaches every rank as SIGUSR1, which
    mpirun forwards (a SIGTERM it would turn into SIGKILL a second later): the controller ends the
    show as Esc twice does and tells the nodes to end; they ignore the signal itself."""
    def forward(signum, frame) -> None:
        mpirun.send_signal(signal.SIGUSR1)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, forward) if main else None
    try:
        return mpirun.wait()
    except BaseException:  # Ctrl+C (the ranks had it too) or a bug: mpirun goes with the launcher
        mpirun.kill()
        mpirun.wait()
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
