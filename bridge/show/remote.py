"""A remote's commands applied in the show's loop, through the keys' own entry points.

Commands from the web (bridge/show/web_link.py) wait in the inbox until the loop's turn; here
each becomes what a key would do (next, previous and blackout are keys), or the remote's own
way in to the same state: a jump to a step, a parameter set to a value or back to its default.
A parameter set on a step that does not use it says so, and where it does apply.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from bridge.show.snapshot import steps_using

if TYPE_CHECKING:
    from bridge.show.live import Live

log = logging.getLogger("bridge.show")

KEYS = {"next": "Right", "previous": "Left", "blackout": "b"}  # commands that are a key


class Remote:
    """Applies remote commands to `show`; each returns whether the room needs drawing again."""

    def __init__(self, show: Live):
        self.show = show

    def apply(self, action: str, args: tuple) -> bool:
        """One command from the inbox; a malformed one is logged, never stops the show."""
        log.info("remote: %s%s", action, "".join(f" {a}" for a in args))
        presenter = self.show.presenter
        if presenter.digits:  # a command from the remote cancels a half-typed jump
            presenter.digits = ""
        try:
            if action in KEYS:
                self.show.key(KEYS[action])
            elif action == "go":
                return self.go_step(int(args[0]) - 1)
            elif action == "set":
                self.set_param(*args)
            elif action == "reset":
                return self.reset_param(args[0])
        except Exception:  # a malformed command must never stop the show
            log.exception("remote: %s failed", action)
        return False

    def go_step(self, index: int) -> bool:
        """Jump to a step (0-based) as a typed number and Enter do: the picture comes back too."""
        show = self.show
        show.key_time = time.perf_counter()
        before = show.presenter.step
        what = show.presenter.jump(index + 1)
        log.info("go to step %d: %s", index + 1, what)
        show.moved(before)
        show.update_console(what)
        return True

    def set_param(self, name: str, value) -> None:
        """Set a parameter from outside the keys: the same path as the keys take."""
        show = self.show
        chosen = dict(show.presenter.chosen)
        what = show.presenter.set_param(name, value) + unused_note(show.prepared, name, show.presenter.step)
        log.info("set parameter %s: %s", name, what)
        if show.presenter.chosen != chosen:
            show.answers.ask(what)
        show.update_console(what)

    def reset_param(self, name: str) -> bool:
        """A parameter back to the step's (or the default) value: what X does to the picked one."""
        show = self.show
        chosen = dict(show.presenter.chosen)
        what = show.presenter.reset_param(name) if name in show.presenter.params else f"no parameter '{name}'"
        log.info("reset parameter %s: %s", name, what)
        if show.presenter.chosen != chosen:
            show.answers.ask(what)
        show.update_console(what)
        return True


def unused_note(prepared, name: str, step: int) -> str:
    """" (step 3 does not use ward; it changes steps 5 and 6)" when step `step` (0-based) does not use
    parameter `name`, else ""."""
    used_on = steps_using(prepared, name)
    if step + 1 in used_on:
        return ""
    if not used_on:
        return f" (no step uses {name})"
    where = ", ".join(map(str, used_on[:-1])) + (" and " if len(used_on) > 1 else "") + str(used_on[-1])
    return f" (step {step + 1} does not use {name}; it changes step{'s' if len(used_on) > 1 else ''} {where})"
