"""The one error a DAX measure raises: which measure, and the function or name at fault."""

from __future__ import annotations

from bridge.errors import BridgeError, Problem


class DaxError(BridgeError):
    """A measure Bridge cannot evaluate: `measure` is its name, `culprit` the function or name at fault.

    Located as `FILE: measure [NAME]: what is wrong` when the model's file is known."""

    def __init__(self, message: str, measure: str | None = None, culprit: str | None = None, source: str | None = None):
        self.measure = measure
        self.culprit = culprit
        self.reason = message
        super().__init__(Problem(source, None, f"measure [{measure}]" if measure else None, message))


class LaneLoop(Exception):
    """Internal: this step cannot be done for all lanes at once; the caller evaluates lane by lane."""
