"""The preview's worker: a spawned process that keeps the briefing warm and answers "draw step N".

VTK holds the interpreter lock while it renders, so the drawing runs in its own process (as the
show's answering worker does: bridge/show/answer.py) and the web server stays responsive.  Each
request names the step, the parameter values and whether the files changed; only the newest
request waiting is answered (a burst of saves costs one update).  An answer carries the 360° view
and the projector images as JPEGs and what the page says beside them (`describe`), or the problems
that stopped the load: the page then keeps the last good picture.
"""

from __future__ import annotations

import ctypes.util
import os
import queue
import time
import traceback
from pathlib import Path

from bridge.errors import BridgeError
from bridge.preview.describe import describe, problem_json

ROOM_IMAGE_WIDTH = 960  # each projector's image in the page's room view


def _jpeg(image, width: int) -> bytes:
    import cv2

    h, w = image.shape[:2]
    if w > width:
        image = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image[..., :3][..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data.tobytes() if ok else b""


def serve(scene_path: str, room_source: str, size: tuple[int, int], requests, results) -> None:
    """The worker process: load, then draw what is asked until told to stop."""
    from bridge.show.children import die_with_spawner

    die_with_spawner()
    if ctypes.util.find_library("EGL") or ctypes.util.find_library("OSMesa"):
        os.environ.pop("DISPLAY", None)  # offscreen: never a window on the analyst's desktop
        os.environ.pop("WAYLAND_DISPLAY", None)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        from bridge.preview.draft import Draft
        from bridge.room.compositor import Compositor
        from bridge.room.load import load_room

        room = load_room(room_source)
        draft = Draft(Path(scene_path), room, size)
        compositor = Compositor(room, *size)
    except BaseException:  # noqa: BLE001 - a bug: the page says so
        results.put({"number": 0, "crash": traceback.format_exc()})
        return
    errors: list[dict] = []
    while True:
        message = requests.get()
        reload = message[4] if message[0] == "draw" else False
        try:  # only the newest request matters; a change of files seen by any is kept
            while True:
                message = requests.get_nowait()
                reload = reload or (message[0] == "draw" and message[4])
        except queue.Empty:
            pass
        if message[0] == "stop":
            draft.close()
            return
        _, number, step, chosen, _ = message
        answer = _answer(draft, compositor, number, step, chosen, reload, errors)
        frame = answer.pop("frame", None)
        results.put(answer)
        if frame is not None:  # the projectors' images follow: the page's views need not wait for them
            results.put({"number": number, "rooms": [_jpeg(image, ROOM_IMAGE_WIDTH) for image in compositor.split(frame)]})


def _answer(draft, compositor, number: int, step: int, chosen: dict, reload: bool, errors: list[dict]) -> dict:
    """One request answered: the new pictures and state, or the problems (the last good picture stays)."""
    started = time.perf_counter()
    if reload or draft.briefing is None:
        try:
            draft.load()
            errors.clear()
        except BridgeError as exc:
            errors[:] = [problem_json(p) for p in exc.problems]
        except Exception:  # noqa: BLE001 - a bug: the page says so, the last good picture stays
            errors[:] = [{"kind": "error", "file": None, "line": None, "key": None, "panel": None,
                          "message": "internal error: " + traceback.format_exc(limit=3)[-600:], "text": "internal error"}]
    if draft.briefing is None or (reload and errors):  # nothing new to draw: the last good picture stays
        return {"number": number, "errors": list(errors), "seconds": time.perf_counter() - started}
    briefing = draft.briefing
    step = max(0, min(step, len(briefing.scene.steps) - 1))
    try:
        drawn = draft.draw(step, chosen)
    except BridgeError as exc:
        return {"number": number, "errors": list(errors) + [problem_json(p) for p in exc.problems],
                "seconds": time.perf_counter() - started}
    except Exception:  # noqa: BLE001
        return {"number": number, "crash": traceback.format_exc(), "errors": list(errors),
                "seconds": time.perf_counter() - started}
    from bridge.show.cache import view_jpeg

    view_bytes = view_jpeg(drawn.frame)
    state = describe(briefing, drawn, step, chosen, draft.room)
    state["preview"]["ms"] = round((time.perf_counter() - started) * 1000)
    watched = [str(draft.scene_path)] + [str(p) for p in briefing.scene.input_files()]
    return {"number": number, "step": step, "state": state, "view": view_bytes, "frame": drawn.frame, "errors": list(errors),
            "watched": watched, "how": drawn.how, "seconds": time.perf_counter() - started}
