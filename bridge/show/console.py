"""The presenter console in the terminal that launched the show.

A rich `Live` display redrawn a few times a second: where the show is, the notes, what
comes next, the clock, the keys, and whether the room is black, white or frozen.  It only
writes to the terminal and never reads it, so key focus stays with the show windows.
Errors from a reload are also printed as plain `file:line: key: message` lines above the
live display, so they stay in the terminal's scrollback after the show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.live import Live as RichLive
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bridge.errors import printable
from bridge.show.presenter import KEYS_HELP

if TYPE_CHECKING:
    from bridge.show.live import Live


class PresenterConsole:
    def __init__(self, console: Console | None = None, refresh_per_second: float = 4):
        self.console = console or Console(highlight=False)  # wraps: notes must be readable in full
        self._renderable = Text("starting…")
        self._live = RichLive(get_renderable=lambda: self._renderable, console=self.console,
                              refresh_per_second=refresh_per_second, transient=False, redirect_stdout=False,
                              redirect_stderr=False)

    def __enter__(self):
        self._live.start()
        return self

    def __exit__(self, *exc):
        self._live.stop()

    def message(self, text: str) -> None:
        self.console.print(f"[green]{escape(printable(text))}[/]", soft_wrap=True)

    def problems(self, problems) -> None:
        for p in problems:
            self.console.print(f"[bold red]error:[/] {escape(printable(p))}", soft_wrap=True)  # one grep-able line
        self.console.print("[yellow]the room keeps showing the last good frames; fix the file and save to reload[/]")

    def update(self, live: Live, last_action: str | None = None) -> None:
        """Rebuild the display from the running show's state (cheap: a few lines of text)."""
        self._renderable = render(live, last_action)


def render(live: Live, last_action: str | None = None):
    pr, prepared = live.presenter, live.prepared
    n, total = pr.step + 1, prepared.step_count
    flags = []
    if pr.blackout:
        flags.append("[bold white on black] BLACKOUT [/]")
    if pr.whiteout:
        flags.append("[bold black on white] WHITE-OUT [/]")
    if pr.frozen_at is not None:
        flags.append(f"[bold black on cyan] FROZEN on step {pr.frozen_at + 1} [/]")
    head = Text.from_markup(f"[bold]Step {n}/{total}[/]  {escape(printable(prepared.titles[pr.step]))}  " + " ".join(flags))
    notes = printable(prepared.notes[pr.step].strip(), newlines=True) or "(no notes)"
    nxt = f"Next: {n + 1}. {printable(prepared.titles[n])}" if n < total else "Next: (this is the last step)"
    body: list[RenderableType] = [head, Text(""), Text(notes), Text(""), Text(nxt, style="dim")]
    if pr.digits:
        body.append(Text.from_markup(f"[bold yellow]go to step {pr.digits}_ [/] (Enter to jump)"))
    if pr.quit_pending:
        body.append(Text.from_markup("[bold red]press Esc or Q again to quit[/]"))
    if pr.params:
        body.append(Text(""))
        for name, spec in pr.params.items():
            picked = name == pr.picked_name
            live_pick = " (picked live; X resets)" if name in pr.chosen else ""
            body.append(Text.from_markup(f"{'[bold yellow]▸[/]' if picked else ' '} {escape(printable(name))}: "
                                         f"[bold]{escape(printable(spec.label(pr.value(name))))}[/]{live_pick}"))
    reloads = getattr(live, "reloads", None)  # "data as of HH:MM": when the data on the walls was read
    as_of = reloads.data_as_of() if reloads is not None else None
    status = Text(f"{live.elapsed_text()}   {live.status}" + (f"   data as of {as_of}" if as_of else "")
                  + (f"   last key: {last_action}" if last_action else ""), style="cyan")
    body += [Text(""), status]
    compositor = getattr(live, "compositor", None)
    if compositor:
        playing = getattr(live, "playback", None)
        video = ""
        if playing is not None:
            video = f"   video: {'paused (V plays)' if playing.paused else 'playing (V pauses)'}"
        body.append(Text(f"compositor: {compositor} (OpenGL: {printable(live.gl_renderer)[:60]}){video}", style="dim"))
    if live.problems:
        errors = Text("\n".join(printable(p) for p in live.problems), style="red")
        body.append(Panel(errors, title="not reloaded: last good frames shown", border_style="red"))
    links = live.web_links  # the web server's links (bridge/show/web_link.py); empty without one
    if links:
        body += [Text("")] + [Text(printable(line), style="dim") for line in links]
    keys = Table.grid(padding=(0, 2))
    for style in ("bold", "dim", "bold", "dim"):
        keys.add_column(style=style)
    for i in range(0, len(KEYS_HELP), 2):
        row = []
        for k, what in KEYS_HELP[i:i + 2]:
            row += [k, what]
        keys.add_row(*row)
    body += [Text(""), keys]
    return Panel(Group(*body), title=f"Bridge — {escape(printable(prepared.title))}", border_style="blue")
