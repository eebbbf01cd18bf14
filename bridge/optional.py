"""Optional parts of Bridge: a library an extra brings, imported where it is needed.

An analyst's install is `pip install bridge-room` (validate, render, preview, export); the room's
PC, the cluster, the PDF handout and the rarer data sources are extras (pyproject.toml).  `need`
imports one of their libraries and, when it is missing or cannot load, stops with a message that
says what it is for and which extra brings it, rather than a traceback about a module.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from bridge.errors import BridgeError

# extra -> what the room's PC or the machine also needs that pip cannot bring (said in the message).
SYSTEM_NEEDS = {
    "cluster": "Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)",
    "pdf": "Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)",
}


def install_line(extra: str) -> str:
    """The pip command that brings an extra."""
    return f'pip install "bridge-room[{extra}]"'


def need(module: str, *, extra: str, for_what: str) -> ModuleType:
    """`module` imported, or a BridgeError naming the extra that brings it.

    ImportError is a missing package; OSError and RuntimeError are a package whose system library
    (Open MPI, Pango) is missing: both are said in words, with the command that fixes them."""
    package = module.split(".")[0]
    system = f"; it also needs {SYSTEM_NEEDS[extra]}" if extra in SYSTEM_NEEDS else ""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if (exc.name or "").split(".")[0] == package:  # the package itself is not there (not a library it loads)
            raise BridgeError(f"{for_what} need the Python package '{package}', which is not installed: "
                              f"install the '{extra}' extra with {install_line(extra)}{system}") from None
        problem: BaseException = exc
    except (OSError, RuntimeError) as exc:  # installed, but a library it loads is missing
        problem = exc
    fix = f"install {SYSTEM_NEEDS[extra]}" if extra in SYSTEM_NEEDS else f"reinstall it with {install_line(extra)}"
    raise BridgeError(f"{for_what}: '{package}' is installed but cannot load ({_short(problem)}); {fix}")


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__
