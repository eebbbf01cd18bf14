"""The presenter's state machine: which step the room shows and what each key does.

Pure logic, no windows and no VTK, so every rule can be unit-tested and the show, the
console and the log all read the same state.  Keys are X keysym names (what VTK and
xdotool report), chosen to match presentation software so that clickers work:

- next: Right, Down, Next (Page Down), space, Return, n
- previous: Left, Up, Prior (Page Up), BackSpace, p
- Home / End: first / last step; digits then Return: jump to that step
- b or period: blackout; w: white-out; f: freeze (the room keeps the frozen picture while
  the presenter moves on); r: reload; Escape or q: quit, after a second press within
  `quit_window` seconds.

As in presentation software, a navigation key pressed while the room is black or white
first brings the picture back without moving, so nobody skips a step in the dark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

NEXT = {"Right", "Down", "Next", "Page_Down", "KP_Next", "space", "Return", "KP_Enter", "n"}
PREVIOUS = {"Left", "Up", "Prior", "Page_Up", "KP_Prior", "BackSpace", "p"}
FIRST = {"Home", "KP_Home"}
LAST = {"End", "KP_End"}
BLACKOUT = {"b", "period", "KP_Decimal"}
WHITEOUT = {"w"}
FREEZE = {"f"}
RELOAD = {"r"}
QUIT = {"Escape", "q"}
ENTER = {"Return", "KP_Enter"}

KEYS_HELP = [
    ("→ ↓ PgDn Space Enter N", "next step"),
    ("← ↑ PgUp Backspace P", "previous step"),
    ("Home / End", "first / last step"),
    ("digits, Enter", "jump to step"),
    ("B or .", "blackout"),
    ("W", "white-out"),
    ("F", "freeze the room's picture"),
    ("R", "reload the scene"),
    ("Esc or Q twice", "quit"),
]


def normalise(keysym: str) -> str:
    """One spelling per key: letters lower-case (a clicker may send N), keypad digits as digits."""
    if len(keysym) == 1 and keysym.isalpha():
        return keysym.lower()
    if keysym.startswith("KP_") and keysym[3:].isdigit():
        return keysym[3:]
    return keysym


@dataclass(frozen=True)
class View:
    """What the room should show: a step's frames (0-based), or a flat black or white."""

    kind: str  # "step" | "black" | "white"
    step: int = 0


class Presenter:
    """Steps, jumps, digit buffer, blackout/white-out/freeze, quit confirmation, reload requests."""

    def __init__(self, step_count: int, quit_window: float = 3.0, clock: Callable[[], float] = time.monotonic):
        if step_count < 1:
            raise ValueError("a show needs at least one step")
        self.step_count = step_count
        self.step = 0  # 0-based
        self.digits = ""
        self.blackout = False
        self.whiteout = False
        self.frozen_at: int | None = None  # the step the room keeps showing while frozen
        self.quit_window = quit_window
        self.quit_armed_at: float | None = None
        self.quit = False
        self.reload_requested = False
        self._clock = clock

    @property
    def view(self) -> View:
        if self.blackout:
            return View("black")
        if self.whiteout:
            return View("white")
        return View("step", self.frozen_at if self.frozen_at is not None else self.step)

    @property
    def quit_pending(self) -> bool:
        return self.quit_armed_at is not None and self._clock() - self.quit_armed_at <= self.quit_window

    def key(self, keysym: str) -> str:
        """Apply one key press; returns what it did, in words, for the log and the console."""
        key = normalise(keysym)
        if key in QUIT and not (key == "Escape" and self.digits):
            if self.quit_pending:
                self.quit = True
                return "quit"
            self.quit_armed_at = self._clock()
            return f"quit? press Esc or Q again within {self.quit_window:g} s"
        self.quit_armed_at = None
        if key.isdigit() and len(key) == 1:
            self.digits = (self.digits + key)[-4:]
            return f"go to {self.digits}…"
        if self.digits:
            return self._digit_key(key)
        if key in NEXT | PREVIOUS | FIRST | LAST and (self.blackout or self.whiteout):
            self.blackout = self.whiteout = False
            return "picture back"
        if key in NEXT:
            return self.go(self.step + 1)
        if key in PREVIOUS:
            return self.go(self.step - 1)
        if key in FIRST:
            return self.go(0)
        if key in LAST:
            return self.go(self.step_count - 1)
        if key in BLACKOUT:
            self.blackout, self.whiteout = not self.blackout, False
            return "blackout on" if self.blackout else "blackout off"
        if key in WHITEOUT:
            self.whiteout, self.blackout = not self.whiteout, False
            return "white-out on" if self.whiteout else "white-out off"
        if key in FREEZE:
            self.frozen_at = None if self.frozen_at is not None else self.step
            return "frozen" if self.frozen_at is not None else "unfrozen"
        if key in RELOAD:
            self.reload_requested = True
            return "reload requested"
        return "ignored"

    def _digit_key(self, key: str) -> str:
        """While a number is being typed: Enter jumps, Backspace edits, Escape (handled above) or anything else cancels."""
        if key in ENTER:
            n, self.digits = int(self.digits), ""
            if not 1 <= n <= self.step_count:
                return f"no step {n}; steps are 1..{self.step_count}"
            self.blackout = self.whiteout = False
            return self.go(n - 1)
        if key == "BackSpace":
            self.digits = self.digits[:-1]
            return f"go to {self.digits}…" if self.digits else "jump cancelled"
        self.digits = ""
        return "jump cancelled"

    def go(self, index: int) -> str:
        """Move to a step (clamped to the show); the room follows unless frozen."""
        index = max(0, min(self.step_count - 1, index))
        if index == self.step:
            return f"step {index + 1} (no change)"
        self.step = index
        return f"step {index + 1}"

    def take_reload_request(self) -> bool:
        requested, self.reload_requested = self.reload_requested, False
        return requested

    def set_step_count(self, step_count: int) -> None:
        """After a reload the scene may have more or fewer steps: stay put if possible."""
        self.step_count = max(1, step_count)
        self.step = min(self.step, self.step_count - 1)
        if self.frozen_at is not None:
            self.frozen_at = min(self.frozen_at, self.step_count - 1)
