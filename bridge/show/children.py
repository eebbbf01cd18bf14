"""Helper processes end with the process that started them, even when it is killed.

The show starts a render child per preparation, a warm answering worker and, for tests and
benchmarks, a private X server.  Were the show killed (SIGKILL, a crash, a cluster node's
controller ending it), they would live on holding gigabytes of frames; Linux's
PR_SET_PDEATHSIG has the kernel signal them when their parent goes.
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, parent: int | None = None) -> None:
    """Ask the kernel for `sig` when the parent process ends (a no-op where prctl is missing).
    With `parent` (its pid): if it has already gone, end now."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig))
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before prctl took effect: nobody is left to serve


def die_with_spawner() -> None:
    """For a multiprocessing child: end with the process that spawned it."""
    import multiprocessing

    spawner = multiprocessing.parent_process()
    die_with_parent(signal.SIGKILL, spawner.pid if spawner is not None else None)
