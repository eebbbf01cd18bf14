"""The show's link to the web (bridge/web): commands in, a snapshot of the show out, and the links.

The web server runs in its own threads while the show's loop owns all state, so the two meet
only here: a page's command waits in the inbox until the loop applies it (bridge/show/remote.py),
and the loop publishes a whole new snapshot dict for the pages to read (bridge/show/snapshot.py).
The web package imports this module, never the show's loop; the show never imports the web server.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

log = logging.getLogger("bridge.show")

INBOX_SIZE = 64  # commands from the web waiting for the loop; more are refused ("the show is busy")
WEB_COMMANDS = ("next", "previous", "go", "blackout", "set", "reset")


class WebLink:
    """What the web server needs from the show, and what it gives back: `command` (any thread),
    `state`, `version` and `view_jpeg` (any thread), `listener` (set by the server, called from
    the loop's thread after each new snapshot) and `links` (the server's, for the console)."""

    def __init__(self, view: Callable[[int | None], bytes | None]):
        self.inbox: queue.Queue = queue.Queue(INBOX_SIZE)
        self.version = 0  # changes with every new snapshot
        self.listener: Callable[[], None] | None = None
        self.links: list[str] = []  # the remote's and the watch page's addresses, once a server runs
        self._view = view
        self._state: dict = {}

    def command(self, action: str, *args) -> bool:
        """Queue a command from the web for the loop (thread-safe); False if the inbox is full.

        `action` is one of WEB_COMMANDS: next, previous, go (a 1-based step), blackout, set
        (name, value), reset (name).  The loop applies it through the keys' own entry points."""
        if action not in WEB_COMMANDS:
            raise ValueError(f"unknown command {action!r}")
        try:
            self.inbox.put_nowait((action, args))
        except queue.Full:
            return False
        return True

    def take(self) -> Iterator[tuple[str, tuple]]:
        """The commands waiting, oldest first (the loop's thread)."""
        while True:
            try:
                yield self.inbox.get_nowait()
            except queue.Empty:
                return

    def state(self) -> dict:
        """The latest snapshot of the show, JSON-able; safe to call from any thread (the loop
        replaces the whole dict, never changes one it has published)."""
        return self._state

    def publish(self, state: dict) -> None:
        """A new snapshot (the loop's thread); the server's listener is told."""
        self._state = state
        self.version += 1
        if self.listener is not None:
            try:
                self.listener()
            except Exception:  # the web must never stop the show
                log.exception("web listener failed")

    def view_jpeg(self, step: int | None = None) -> bytes | None:
        """A step's 360° view as the room shows it now (default: the current step), as a JPEG."""
        return self._view(step)


class LinkedShow(Protocol):
    """A show the web can serve (bridge/show/live.py's `Live`): it has a link, and the scene it shows
    (its path picks the web server's port when port 0 is asked for: bridge/web/server.py)."""

    web: WebLink
    scene_path: Path
