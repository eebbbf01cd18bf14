"""The terminal every command writes to: two rich consoles, escaping, warning lines and progress bars.

Nothing from a file reaches the terminal raw: control characters and escape sequences are shown
escaped, and `[markup]` the user wrote is shown as written.
"""

from __future__ import annotations

import contextlib

from rich.console import Console

from bridge.errors import printable

# Never wrap: error lines stay grep- and editor-friendly.  No emoji codes: ':x:' in a title is text.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def escape(text: object) -> str:
    """Text for a rich console: control characters escaped, [markup] shown as written."""
    from rich.markup import escape as escape_markup

    return escape_markup(printable(text))


def warn(text: object) -> None:
    """One escaped `warning:` line on stderr."""
    err.print(f"[yellow]warning:[/] {escape(text)}")


def print_warnings(briefing) -> None:
    """Located warnings the data and panels recorded while the briefing was loaded."""
    for warning in briefing.data.warnings:
        warn(warning)


@contextlib.contextmanager
def progress_bars(console: Console):
    """A `progress(what, done, total)` callback drawing one rich bar per kind of work."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done)

        yield progress
