"""Panels drawn side by side on the machine's spare cores, pixel for pixel as one process draws them.

Matplotlib's pyplot state and its font and text caches are not safe to share between threads, and
Agg holds Python's lock while it rasterises, so threads would gain little and risk much.  Forked
processes are safe instead: each starts as an exact copy of this one (its loaded briefing, fonts
and caches; nothing is pickled on the way in) and draws its panels into its own Figures, so the
pictures are the very bytes one process would draw.  The pictures come back through the pool's
pipe from our own children.  Where fork is missing (not Linux or macOS) or there is one core
to use, the caller draws in order itself.
"""

from __future__ import annotations

import multiprocessing
import os

_JOBS: list = []  # what the forked workers draw: set just before the pool forks, inherited, never pickled


def usable_cores() -> int:
    """Cores this process may run on (its affinity, where the system says), at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def draw_side_by_side(jobs: list[tuple], workers: int) -> list:
    """Each job `(panel, content, size, ppd, source, theme, marked)` drawn (a `Drawn`), by up to
    `workers` forked processes; None for any a worker could not draw (the caller draws those
    itself, so their errors are raised as they would be in order).  All None when it is not
    worth a pool or none may start: under two jobs or two workers, no fork, or a daemon process."""
    global _JOBS

    workers = min(workers, len(jobs))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return [None] * len(jobs)  # a daemon process (the show's preparer) may not start a pool
    order = sorted(range(len(jobs)), key=lambda k: -jobs[k][2][0] * jobs[k][2][1])  # biggest first: even finish
    _JOBS = jobs
    results: list = [None] * len(jobs)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for k, drawn in pool.imap_unordered(_draw, order, chunksize=1):
                results[k] = drawn
    except (OSError, RuntimeError):
        pass  # no pool (a process limit, say): the caller draws what is missing
    finally:
        _JOBS = []
    return results


def _draw(k: int) -> tuple[int, object]:
    """In a worker: draw job `k`; None if it fails or warns (drawn again, and reported, by the caller)."""
    import warnings

    from bridge.panels.common.canvas import draw_panel

    panel, content, size, ppd, source, theme, marked = _JOBS[k]
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            drawn = draw_panel(panel, content, size, ppd, source, theme, marked)
    except Exception:  # noqa: BLE001 - the caller draws it again and raises it located
        return k, None
    # A warning is the caller's to show (a worker must not write to the terminal another thread of the
    # parent may have held when it forked): the caller draws that panel again itself.
    return k, None if said else drawn
