"""A video file read bounded: opened (allowed containers only, local files only), checked to be a
2:1 360° video no larger than MAX_IMAGE_PIXELS, and its first frame decoded.

Rendering needs a video backdrop's first frame (under the panels, so `bridge render`, the
contact sheet and a paused show agree); the show plays the rest (bridge/show/video.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, shown

# Containers a 360° video comes in.  Others are refused before their header is read: FFmpeg's
# playlist demuxers (HLS, concat and the like) would open further files or URLs a scene names.
VIDEO_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts"
FIRST_FRAME_PACKETS = 500  # packets read looking for the first frame before giving up


def not_equirectangular(name: str, w: int, h: int, kind: str) -> str:
    what = "photo is an equirectangular image" if kind == "image" else "video is equirectangular, frames"
    return f"{Path(name).name} is {w} × {h}: a 360° {what} twice as wide as tall (e.g. 4096 × 2048)"


def open_video(path: Path):
    """(container, stream) of a 360° video, checked before anything is decoded: an allowed
    container, a video stream that says its size, at most MAX_IMAGE_PIXELS, 2:1."""
    from bridge.optional import need

    av = need("av", extra="video", for_what="360° video backdrops")

    from bridge.limits import MAX_IMAGE_PIXELS

    name = Path(path).name
    if not Path(path).is_file():
        raise BridgeError(f"video not found: {path}")
    try:
        container = av.open(str(path), "r", container_options={"format_whitelist": VIDEO_FORMATS,
                                                               "protocol_whitelist": "file"})
    except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise BridgeError(unreadable(name, exc)) from None
    try:
        streams = container.streams.video
        if not streams:
            raise BridgeError(f"{name} has no video stream; give a 360° video (e.g. MP4 or WebM)")
        stream = streams[0]
        w, h = stream.codec_context.width, stream.codec_context.height
        if w <= 0 or h <= 0:
            raise BridgeError(f"{name}: its video stream does not say its size; re-encode it (e.g. as H.264 MP4)")
        if w * h > MAX_IMAGE_PIXELS:
            raise BridgeError(f"{name} is {w} × {h} ({w * h:,} pixels), more than the {MAX_IMAGE_PIXELS:,} "
                              "allowed (MAX_IMAGE_PIXELS; see docs/reference/limits.md)")
        if abs(w / h - 2) > 0.02:
            raise BridgeError(not_equirectangular(name, w, h, "video"))
        return container, stream
    except BaseException:
        container.close()
        raise


def unreadable(name: str, exc: Exception, decoding: bool = False) -> str:
    """Why FFmpeg could not open (or, `decoding`, decode) a video, in words: its exceptions
    carry error numbers ('[Errno 1094995529]', 'returned 22') that mean nothing to an analyst."""
    return f"{name} is not a video Bridge can read: {ffmpeg_reason(exc, decoding)}; give an equirectangular MP4 or WebM"


def ffmpeg_reason(exc: Exception, decoding: bool = False) -> str:
    """What went wrong, from the kind of PyAV/FFmpeg error, never its number."""
    import av.error

    if isinstance(exc, av.error.InvalidDataError):
        return ("its frames could not be decoded (the file is damaged or cut short)" if decoding
                else "the file is not a video FFmpeg can decode (not a video at all, or a copy cut short or damaged)")
    if isinstance(exc, av.error.ArgumentError) and not decoding:
        # FFmpeg refuses a format outside VIDEO_FORMATS (a picture, a playlist) as an invalid argument.
        return "its format is not one of the containers Bridge opens (MP4, MOV, Matroska, WebM, AVI or MPEG-TS)"
    if isinstance(exc, (av.error.EOFError, EOFError)):
        return "the file ends too soon (it is cut short)"
    if isinstance(exc, (av.error.DecoderNotFoundError, av.error.PatchWelcomeError)):
        return "its video codec is not one this FFmpeg can decode (re-encode it as H.264)"
    if isinstance(exc, PermissionError):
        return "permission to read it was refused"
    words = getattr(exc, "strerror", None) if isinstance(exc, (av.FFmpegError, OSError)) else None
    return "FFmpeg says: " + shown(_without_numbers(str(words or exc)), 120)


def _without_numbers(text: str) -> str:
    """FFmpeg's text less its error codes ('[Errno N] ', ' returned N')."""
    import re

    text = re.sub(r"\[Errno -?\d+\]\s*", "", text)
    return re.sub(r"\s*returned -?\d+", "", text).strip() or "an error without a description"


def read_first_frame(path: Path) -> np.ndarray:
    """A video's first frame as RGB pixels; only that frame is decoded."""
    name = Path(path).name
    container, stream = open_video(path)  # imports av, or says which extra brings it
    import av
    try:
        w, h = stream.codec_context.width, stream.codec_context.height
        stream.thread_type = "SLICE"  # frame threading would decode frames ahead of the first
        for n, packet in enumerate(container.demux(stream)):
            if n >= FIRST_FRAME_PACKETS:
                break
            for frame in packet.decode():
                if (frame.width, frame.height) != (w, h):
                    raise BridgeError(f"{name}: its first frame is {frame.width} × {frame.height}, "
                                      f"not the {w} × {h} its stream says")
                return frame.to_ndarray(format="rgb24")
        raise BridgeError(f"{name}: no frame could be decoded from its video stream")
    except BridgeError:
        raise
    except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise BridgeError(unreadable(name, exc, decoding=True)) from None
    finally:
        container.close()


def video_size(path: Path) -> tuple[int, int]:
    """(width, height) of a video, from its header."""
    container, stream = open_video(path)
    with container:
        return stream.codec_context.width, stream.codec_context.height
