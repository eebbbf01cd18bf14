"""What the web's pages may say to the show: tokens, a rate per page and the commands.

Two random tokens: the control token may do everything, the watch token may only read;
both are compared with `hmac.compare_digest`.  A command is a small JSON object checked
against the show's published state before it reaches the show's inbox (bridge/show/web_link.py;
bridge/web/app.py serves the pages and carries the messages).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass

from bridge.limits import MAX_WEB_MESSAGE_BYTES, WEB_COMMANDS_PER_S

MAX_MESSAGE_BYTES = MAX_WEB_MESSAGE_BYTES  # a command is a few dozen bytes; longer ones are answered with an error
RATE_PER_S, BURST = WEB_COMMANDS_PER_S, 20  # commands a page may send: 10 a second, 20 at once
COMMANDS = ("next", "previous", "go", "blackout", "set", "reset", "ping")
# What a watch link sees of the state: what the room shows, never the presenter's position,
# status or errors (which name files on the show's machine).
WATCH_FIELDS = ("title", "steps", "titles", "shown_step", "shown_title", "shown_notes", "shown_text", "look", "view",
                "blackout", "whiteout", "frame", "params", "data_as_of")


class CommandError(ValueError):
    """A message the server cannot use; its text goes back to the page that sent it."""


@dataclass(frozen=True)
class Tokens:
    control: str
    watch: str

    @classmethod
    def new(cls) -> Tokens:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24))

    def role(self, given: str | None) -> str | None:
        """"control", "watch" or None; both tokens are always compared, in constant time."""
        given_bytes = (given or "").encode("utf-8", "replace")
        control = hmac.compare_digest(given_bytes, self.control.encode())
        watch = hmac.compare_digest(given_bytes, self.watch.encode())
        return "control" if control else "watch" if watch else None


class Bucket:
    """A token bucket: `take()` is False when messages come faster than the rate allows."""

    def __init__(self, rate: float = RATE_PER_S, burst: int = BURST, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.level, self.at = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level < 1:
            return False
        self.level -= 1
        return True


def _no_constants(name):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_command(text: str | bytes, state: dict) -> tuple[str, tuple]:
    """A page's message -> (action, arguments) for `Live.command`; CommandError says what is wrong.

    Checked against the published state: a step that exists, a parameter and one of its values."""
    size = len(text.encode("utf-8", "replace") if isinstance(text, str) else text)
    if size > MAX_MESSAGE_BYTES:
        raise CommandError(f"message too long ({size} bytes; at most {MAX_MESSAGE_BYTES})")
    try:
        message = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"not JSON ({str(exc)[:80]}); send a command like {{\"do\": \"next\"}}") from None
    if not isinstance(message, dict):
        raise CommandError('a command is a JSON object like {"do": "next"}')
    action = message.get("do")
    if action not in COMMANDS:
        raise CommandError(f"unknown command {str(action)[:40]!r}; commands: {', '.join(COMMANDS)}")
    if action in ("next", "previous", "blackout", "ping"):
        return action, ()
    if action == "go":
        step, steps = message.get("step"), state.get("steps", 0)
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= steps:
            raise CommandError(f"go: step must be a whole number 1..{steps}, not {str(step)[:20]!r}")
        return "go", (step,)
    name = message.get("name")
    params = {p["name"]: p for p in state.get("params", [])}
    if not isinstance(name, str) or name not in params:
        known = ", ".join(params) or "this scene has none"
        raise CommandError(f"{action}: no parameter {str(name)[:40]!r} (parameters: {known})")
    if action == "reset":
        return "reset", (name,)
    value = message.get("value")
    for v in params[name]["values"]:
        if _same_value(v, value):
            return "set", (name, v)
    raise CommandError(f"set: {str(value)[:40]!r} is not a value of {name}")


def _same_value(a, b) -> bool:
    """Equal and of the same kind: True is not 1, "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def role_state(state: dict, role: str) -> dict:
    return dict(state) if role == "control" else {k: state.get(k) for k in WATCH_FIELDS}
