"""A private virtual X server (Xvfb) for the window tests and the show benchmark.

Both open real windows and send them keys with xdotool; they need an X server of their own,
sized for the screen they test, that nothing else draws on and that goes away with them.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bridge.show.children import die_with_parent


@contextmanager
def virtual_display(width: int, height: int, depth: int = 24, *, timeout: float = 30.0) -> Iterator[str]:
    """Run `Xvfb :N -screen 0 WxHxD -nolisten tcp` on a free display; yield its DISPLAY, ":N".

    Xvfb picks the free display number itself (`-displayfd`) and writes it only once it
    accepts connections, so the display is ready when this yields.  On exit the server is
    terminated and waited for.
    """
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is not installed: bash scripts/setup.sh installs it (Debian/Ubuntu package xvfb)")
    read, write = os.pipe()
    log = tempfile.TemporaryFile()  # Xvfb's complaints, for the error if it fails to start
    try:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x{depth}", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=log, preexec_fn=die_with_parent)
    except BaseException:
        os.close(read)
        log.close()
        raise
    finally:
        os.close(write)
    try:
        with os.fdopen(read) as f:
            ready, _, _ = select.select([f], [], [], timeout)
            number = f.readline().strip() if ready else ""
        if not number.isdigit():
            try:
                server.wait(timeout=5 if ready else 0)  # it closed the pipe: it is on its way out
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"Xvfb did not report a display number within {timeout:g} s") from None
            log.seek(0)
            lines = [line.removeprefix("(EE)").strip() for line in log.read().decode(errors="replace").splitlines()]
            detail = [line for line in lines if line]  # its last words: "Server is already active …" and the like
            raise RuntimeError(f"Xvfb ({width}x{height}x{depth}) exited with code {server.returncode} before it was ready"
                               + (f": {detail[-1]}" if detail else ""))
        yield f":{number}"
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
