"""Where Bridge keeps what it can make again (lookup tables, drawn panels, prepared shows, crash logs).

$BRIDGE_CACHE, else $XDG_CACHE_HOME/bridge, else ~/.cache/bridge.  A module of its own so that
finding the folder imports nothing heavy (the compositor, which uses it too, loads OpenCV).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path:
    root = os.environ.get("BRIDGE_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "bridge")
    return Path(root)
