"""What a show holds in memory, checked before it starts.

A show runs two renders at once at its frame size: the answering worker's (kept warm for live
questions, bridge/show/answer.py) and a preparation's (at start and after every save,
bridge/show/preparer.py); each holds what `render_bytes` counts.  The answering worker also
keeps up to KEEP_FRAMES steps' frames and projector images (to paste a changed panel into, and
to show again without rendering) and, for video steps, the latest KEEP_UNDER steps' frames over
black and over white.  At 8192×4096 a frame is 100 MB, so the kept frames outweigh the renders.
"""

from __future__ import annotations

from bridge.errors import BridgeError, Problem
from bridge.limits import MAX_SHOW_BYTES
from bridge.room.model import Room, readable_bytes, render_bytes

RENDERS = 2  # the answering worker's and a preparation's, at once
KEPT_BYTES_PER_PIXEL = 3  # an RGB frame or projector image the worker keeps
KEEP_FRAMES = 12  # steps whose frame and projector images the worker keeps
KEEP_UNDER = 3  # video steps whose frames over black and white the worker keeps (bridge/show/answer.py)


def show_bytes(room: Room, width: int, height: int, steps: int, video_steps: int = 0) -> tuple[int, int, int]:
    """(total, renders, kept): about how many bytes a show of `steps` steps holds at its peak."""
    renders = RENDERS * render_bytes(room, width, height)[0]
    per_step = KEPT_BYTES_PER_PIXEL * (width * height + sum(p.width * p.height for p in room.projectors))
    under = 2 * min(video_steps, KEEP_UNDER) * KEPT_BYTES_PER_PIXEL * width * height
    kept = min(steps, KEEP_FRAMES) * per_step + under
    return renders + kept, renders, kept


def check_show_memory(room: Room, width: int, height: int, steps: int, video_steps: int = 0) -> None:
    """Refuse, before anything is rendered, a show that would hold more than MAX_SHOW_BYTES."""
    total, renders, kept = show_bytes(room, width, height, steps, video_steps)
    if total > MAX_SHOW_BYTES:
        raise BridgeError(Problem(None, None, None,
            f"--size: a show of {steps} step{'' if steps == 1 else 's'} at {width}×{height} in {room.name} would hold "
            f"about {readable_bytes(total)} (two renders at once, the answering worker's and a preparation's: "
            f"{readable_bytes(renders)}; the frames and projector images kept for live answers: "
            f"{readable_bytes(kept)}); a show may hold at most {readable_bytes(MAX_SHOW_BYTES)}: use a smaller --size"))
