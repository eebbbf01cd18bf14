"""Pictures from disk for image and raster panels: read whole, or refused before decoding.

An image is a small file that can decode to gigabytes (a 'decompression bomb', or just a
9000 × 9000 photo); its size is read from the header and checked against MAX_IMAGE_PIXELS
before a pixel is decoded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import numpy as np

from bridge.errors import BridgeError
from bridge.limits import MAX_IMAGE_PIXELS

T = TypeVar("T")


@overload
def read_rgb(path: Path, with_image: None = None) -> np.ndarray: ...
@overload
def read_rgb(path: Path, with_image: Callable[[Any], T]) -> tuple[np.ndarray, T]: ...


def read_rgb(path: Path, with_image: Callable[[Any], Any] | None = None) -> np.ndarray | tuple[np.ndarray, Any]:
    """The picture at `path` as RGB uint8; `with_image(image)` may read header tags first.

    Raises BridgeError (unlocated: the caller adds the key) for a missing, unreadable or too
    large picture.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                w, h = image.size
                if w * h > MAX_IMAGE_PIXELS:
                    raise BridgeError(f"{path.name} is {w:,} × {h:,} pixels; a picture may have at most "
                                      f"{MAX_IMAGE_PIXELS:,} (e.g. 8000 × 5000): scale it down")
                extra = with_image(image) if with_image else None
                pixels = np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise BridgeError(f"image not found: {path}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BridgeError(f"{path.name} would decode to too many pixels ({exc})") from None
    except (OSError, ValueError, SyntaxError) as exc:  # PIL reports corrupt files in these
        raise BridgeError(f"cannot read {path.name} as an image: {exc}") from None
    return pixels if with_image is None else (pixels, extra)
