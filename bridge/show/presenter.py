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
- Tab: pick the next parameter (Shift+Tab the previous); + or ]: its next value; - or [:
  its previous value; x or Delete: back to the value the step gives it.  Every change goes
  through `set_param`, the one entry point a remote will use too.

As in presentation software, a navigation key pressed while the room is black or white
first brings the picture back without moving, so nobody skips a step in the dark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bridge.scene.params import stepped

NEXT = {"Right", "Down", "Next", "Page_Down", "KP_Next", "space", "Return", "KP_Enter", "n"}
PREVIOUS = {"Left", "Up", "Prior", "Page_Up", "KP_Prior", "BackSpace", "p"}
FIRST = {"Home", "KP_Home"}
LAST = {"End", "KP_End"}
BLACKOUT = {"b", "period", "KP_Decimal"}
WHITEOUT = {"w"}
FREEZE = {"f"}
VIDEO = {"v"}
RELOAD = {"r"}
QUIT = {"Escape", "q"}
ENTER = {"Return", "KP_Enter"}
PICK_PARAM = {"Tab"}
PICK_PARAM_BACK = {"ISO_Left_Tab"}
PARAM_UP = {"plus", "equal", "KP_Add", "bracketright"}
PARAM_DOWN = {"minus", "KP_Subtract", "bracketleft"}
PARAM_RESET = {"x", "Delete"}

KEYS_HELP = [
    ("→ ↓ PgDn Space Enter N", "next step"),
    ("← ↑ PgUp Backspace P", "previous step"),
    ("Home / End", "first / last step"),
    ("digits, Enter", "jump to step"),
    ("B or .", "blackout"),
    ("W", "white-out"),
    ("F", "freeze the room's picture"),
    ("V", "pause or play a step's 360° video"),
    ("R", "reload the scene"),
    ("F5", "restart lost render nodes (cluster)"),
    ("Esc or Q twice", "quit"),
    ("Tab / Shift+Tab", "pick a parameter"),
    ("+ or ]  /  - or [", "its next / previous value"),
    ("X or Delete", "parameter back to the step's"),
]


def normalise(keysym: str) -> str:
    """One spelling per key: letters lower-case (a clicker may send N), keypad digits as digits."""
    if len(keysym) == 1 and keysym.isalpha():
        return keysym.lower()
    if keysym.startswith("KP_") and keysym[3:].isdigit():
        return keysym[3:]
    return keysym


@dataclass(frozen=True)
class ParamSpec:
    """A parameter as the presenter steps through it: its values (in order) and their labels."""

    name: str
    values: tuple  # JSON-able: text, numbers, booleans; a choice's all option is "all"
    labels: tuple[str, ...]
    default: object

    def label(self, value) -> str:
        return self.labels[self.values.index(value)] if value in self.values else str(value)


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
        self.video_paused = False  # V: a step's video backdrop holds its frame
        self.quit_window = quit_window
        self.quit_armed_at: float | None = None
        self.quit = False
        self.reload_requested = False
        self._clock = clock
        self.params: dict[str, ParamSpec] = {}
        self.step_params: list[dict] = [{} for _ in range(step_count)]  # what each step's params: sets
        self.chosen: dict[str, object] = {}  # values the presenter picked live: they win until reset
        self.picked = 0  # which parameter the keys change

    def set_params(self, specs: list[ParamSpec], step_params: list[dict]) -> None:
        """The scene's parameters (after a load or reload); live choices that still fit are kept."""
        self.params = {s.name: s for s in specs}
        self.step_params = list(step_params) + [{}] * (self.step_count - len(step_params))
        self.chosen = {k: v for k, v in self.chosen.items() if k in self.params and v in self.params[k].values}
        self.picked = min(self.picked, max(0, len(specs) - 1))

    def value(self, name: str):
        """A parameter's value now: the presenter's pick, else the step's, else the default."""
        if name in self.chosen:
            return self.chosen[name]
        return self.step_params[self.step].get(name, self.params[name].default)

    def values(self) -> dict:
        return {name: self.value(name) for name in self.params}

    def set_param(self, name: str, value) -> str:
        """The one way a parameter changes (keys now, a remote later); returns what it did."""
        spec = self.params.get(name)
        if spec is None:
            return f"no parameter '{name}'"
        if value not in spec.values:
            return f"'{value}' is not a value of {name}"
        if value == self.value(name):
            return f"{name}: {spec.label(value)} (no change)"
        self.chosen[name] = value
        return f"{name}: {spec.label(value)}"

    def reset_param(self, name: str) -> str:
        if self.chosen.pop(name, None) is None:
            return f"{name}: already the step's value"
        return f"{name}: back to {self.params[name].label(self.value(name))}"

    @property
    def picked_name(self) -> str | None:
        return list(self.params)[self.picked] if self.params else None

    def _param_key(self, key: str) -> str:
        names = list(self.params)
        if not names:
            return "this scene has no parameters"
        if key in PICK_PARAM | PICK_PARAM_BACK:
            self.picked = (self.picked + (1 if key in PICK_PARAM else -1)) % len(names)
            name = names[self.picked]
            return f"parameter {name}: {self.params[name].label(self.value(name))}"
        name = names[self.picked]
        if key in PARAM_RESET:
            return self.reset_param(name)
        return self.set_param(name, stepped(list(self.params[name].values), self.value(name), 1 if key in PARAM_UP else -1))

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
        if key in VIDEO:
            self.video_paused = not self.video_paused
            return "video paused" if self.video_paused else "video playing"
        if key in FREEZE:
            self.frozen_at = None if self.frozen_at is not None else self.step
            return "frozen" if self.frozen_at is not None else "unfrozen"
        if key in RELOAD:
            self.reload_requested = True
            return "reload requested"
        if key in PICK_PARAM | PICK_PARAM_BACK | PARAM_UP | PARAM_DOWN | PARAM_RESET:
            return self._param_key(key)
        return "ignored"

    def _digit_key(self, key: str) -> str:
        """While a number is being typed: Enter jumps, Backspace edits, Escape (handled above) or anything else cancels."""
        if key in ENTER:
            n, self.digits = int(self.digits), ""
            return self.jump(n)
        if key == "BackSpace":
            self.digits = self.digits[:-1]
            return f"go to {self.digits}…" if self.digits else "jump cancelled"
        self.digits = ""
        return "jump cancelled"

    def jump(self, number: int) -> str:
        """Go to step `number` (1-based), as typing it and Enter do: the picture comes back too."""
        if not 1 <= number <= self.step_count:
            return f"no step {number}; steps are 1..{self.step_count}"
        self.blackout = self.whiteout = False
        return self.go(number - 1)

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
        self.step_params = (self.step_params + [{}] * self.step_count)[: self.step_count]
        if self.frozen_at is not None:
            self.frozen_at = min(self.frozen_at, self.step_count - 1)


def params_of(prepared) -> list[ParamSpec]:
    """A prepared show's parameters (bridge/show/cache.py's `Prepared.params`) as the presenter's specs."""
    return [ParamSpec(p["name"], tuple(p["values"]), tuple(p["labels"]), p["default"]) for p in prepared.params]
