"""An MPCDI archive's map files: the geometry warp (PFM) and the blend maps (PNG), read and written.

Both are read as the VESA reference library (mpcdiPfmIO.cpp) and Unreal nDisplay read them:
a PFM stores its rows bottom to top (the Portable FloatMap format), so the array returned here
holds the picture's top row first, like every other image; a blend map of another size than its
region is resampled to it (VESA MPCDI v2.0 §3.7: "either file can be different in image size"),
bilinear with pixel centres at (i + 0.5)/n, as a graphics card samples a texture.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from bridge.errors import BridgeError
from bridge.limits import MAX_IMAGE_PIXELS, MAX_PROJECTOR_SIDE

if TYPE_CHECKING:
    from bridge.room.mpcdi.calibration import Region
    from bridge.room.mpcdi.files import _Where


_PFM_HEADER = re.compile(rb"\A(P[Ff])\s+(\d{1,9})\s+(\d{1,9})\s+([-+0-9.eE]{1,32})\s")


def pfm_header(data: bytes, where: _Where, element: str | None = None) -> tuple[int, int, int, int, str]:
    """(width, height, channels, data offset, byte order) of a PFM, checked against its length."""
    m = _PFM_HEADER.match(data[:256])
    if not m:
        raise where.error("is not a PFM file (it does not start 'PF width height scale')", None, element)
    channels = 3 if m.group(1) == b"PF" else 1
    width, height = int(m.group(2)), int(m.group(3))
    try:
        scale = float(m.group(4))
    except ValueError:
        scale = float("nan")
    if not math.isfinite(scale) or scale == 0:
        raise where.error(f"has scale {m.group(4).decode('ascii', 'replace')}; a PFM's scale is a non-zero number "
                          f"(negative: little-endian)", None, element)
    if not (1 <= width <= MAX_PROJECTOR_SIDE and 1 <= height <= MAX_PROJECTOR_SIDE):
        raise where.error(f"is {width}×{height}; a warp grid may be at most {MAX_PROJECTOR_SIDE} a side "
                          f"(MAX_PROJECTOR_SIDE)", None, element)
    offset = m.end()
    expected = width * height * channels * 4
    if len(data) - offset != expected:
        raise where.error(f"holds {len(data) - offset:,} bytes of values; a {width}×{height} PFM of {channels} "
                          f"channel{'s' if channels > 1 else ''} holds {expected:,}", None, element)
    return width, height, channels, offset, "<" if scale < 0 else ">"


def read_pfm(data: bytes, where: _Where, element: str | None = None) -> np.ndarray:
    """(height, width, channels) float32, the top row first (a PFM stores the bottom row first)."""
    width, height, channels, offset, order = pfm_header(data, where, element)
    values = np.frombuffer(data, dtype=f"{order}f4", count=width * height * channels, offset=offset)
    return values.reshape(height, width, channels)[::-1].astype(np.float32)


def write_pfm(values: np.ndarray) -> bytes:
    """A colour PFM (little-endian) of (height, width, 3) values, the top row first."""
    height, width, _ = values.shape
    header = f"PF\n{width} {height}\n-1.0\n".encode("ascii")
    return header + np.ascontiguousarray(values[::-1], dtype="<f4").tobytes()


def read_png(data: bytes, where: _Where, region: Region, what: str, element: str | None = None) -> np.ndarray:
    """A blend or black-level map as 0..1 at the region's resolution (one value a pixel): float64 when
    the map has the region's size, else resampled (float32)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise where.error(f"is a {image.format} image; an MPCDI {what} map is a PNG", None, element)
            mw, mh = image.size
            if max(mw, mh) > MAX_PROJECTOR_SIDE or mw * mh > MAX_IMAGE_PIXELS:
                raise where.error(f"is {mw}×{mh}; a {what} map may be at most {MAX_PROJECTOR_SIDE} a side "
                                  f"(MAX_PROJECTOR_SIDE) and {MAX_IMAGE_PIXELS:,} pixels (MAX_IMAGE_PIXELS)", None, element)
            if image.mode not in ("L", "I;16", "I;16B", "I;16L", "I", "RGB", "RGBA", "LA"):
                raise where.error(f"is a {image.mode} image; a {what} map is a grey (or RGB) PNG of 8 or 16 bits",
                                  None, element)
            mode = image.mode
            image.load()
            values = np.asarray(image)
    except BridgeError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise where.error(f"cannot be read as a PNG ({' '.join(str(exc).split())[:120]})", None, element) from None
    if values.ndim == 3:
        colour = values[..., :3].astype(np.int32) if values.shape[2] >= 3 else values[..., :1].astype(np.int32)
        if np.abs(colour - colour[..., :1]).max(initial=0) > 1:
            raise where.error(f"differs between red, green and blue; Bridge applies one {what} value to all three, so "
                              f"a colour-dependent map cannot be imported", None, element)
        values = colour[..., 0]
    full = 255.0 if mode in ("L", "RGB", "RGBA", "LA") else 65535.0
    if values.max(initial=0) > full:
        raise where.error(f"holds values beyond 16 bits; a {what} map is a PNG of 8 or 16 bits", None, element)
    if (mw, mh) == (region.width, region.height):
        return values.astype(np.float64) / full
    return resample(values.astype(np.float32) / np.float32(full), region.width, region.height)


def resample(values: np.ndarray, width: int, height: int) -> np.ndarray:
    """A map spread (or shrunk) to width × height, bilinear, pixel centres at (i + 0.5)/n, edges held."""
    import cv2

    return cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR)


def write_png16(values: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.clip(np.rint(values * 65535), 0, 65535).astype(np.uint16)).save(out, format="PNG")
    return out.getvalue()
