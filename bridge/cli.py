"""The `bridge` command: builds the parser from the command modules in `bridge.commands` and dispatches.

Errors the user can fix are printed as `file:line: key: message` (or `option: message`) lines
and exit with code 2 (bad input); nothing the user wrote is touched.  Anything else is a bug:
it is said in one line, `internal error: ...`, with the traceback in a log file it names, and
exits with 1.  Nothing from a file reaches the terminal raw: control characters and escape
sequences are shown escaped.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

from bridge import __version__
from bridge.commands import (
    calibrate,
    export,
    import_report,
    launch,
    new,
    node,
    panels,
    pbix,
    preview,
    render,
    room,
    rooms,
    schema,
    split,
    validate,
)
from bridge.commands.terminal import err, escape
from bridge.errors import BridgeError, printable, shown

# In `bridge --help` order, one per line.
COMMANDS = (
    new,
    import_report,
    validate,
    render,
    preview,
    calibrate,
    split,
    launch,
    node,
    export,
    rooms,
    room,
    panels,
    pbix,
    schema,
)


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        if getattr(args, "allow", None):
            _allow(args.allow)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args) or 0
    except BridgeError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {escape(problem)}")
        if len(exc.problems) > 1:
            err.print(f"[red]{len(exc.problems)} problems[/]")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        return 130
    except SystemExit:
        raise
    except MemoryError:
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] out of memory (MemoryError): the input asked for more memory than this "
                  f"machine has and no limit of Bridge's caught it; the details are in {escape(log)}")
        return 1
    except RecursionError:
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] nested too deeply to follow (RecursionError): no limit of Bridge's "
                  f"caught it; the details are in {escape(log)}")
        return 1
    except Exception as exc:  # a bug: one line here, the traceback in the log
        log = _crash_log(argv)
        err.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(_short(exc))}; "
                  f"the details are in {escape(log)}")
        return 1


def _short(exc: BaseException) -> str:
    return shown(" ".join(str(exc).split()) or "(no message)", 200)


def crash_dir() -> Path:
    """Where crash logs go: Bridge's cache folder ($BRIDGE_CACHE, else ~/.cache/bridge), beside the lookup tables."""
    from bridge.cache_folder import cache_folder

    return cache_folder()


def _crash_log(argv: list[str] | None) -> str:
    """Write the exception being handled, with the command line, to a new log file; its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = (f"bridge {__version__} on Python {sys.version.split()[0]} ({sys.platform})\n"
              f"command: bridge {' '.join(map(str, sys.argv[1:] if argv is None else argv))}\n"
              f"time: {datetime.datetime.now().isoformat(timespec='seconds')}\n\n{traceback.format_exc()}")
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(100):
            path = folder / (f"crash-{stamp}.log" if n == 0 else f"crash-{stamp}-{n}.log")
            try:
                with open(path, "x", encoding="utf-8") as file:
                    file.write(report)
                return str(path)
            except FileExistsError:
                continue
    except OSError:
        pass
    try:
        fd, name = tempfile.mkstemp(prefix=f"bridge-crash-{stamp}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(report)
        return name
    except OSError:
        return "nowhere (no writable cache or temp folder)"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings from libraries, on one escaped line (they may quote a file's contents)."""
    err.print(f"[yellow]warning:[/] {escape(f'{category.__name__}: {message}')}")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as `option: message` lines (exit 2), escaped for the terminal."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        message = re.sub(r"^argument ([^:]+): ", lambda m: f"{m.group(1).split('/')[-1]}: ", message)
        err.print(f"[bold red]error:[/] {escape(message)}")
        self.exit(2)


def _allow(folders: list[Path]) -> None:
    from bridge.scene import containment

    for folder in folders:
        if not folder.is_dir():
            raise BridgeError(f"--allow: {printable(folder)} is not a folder")
    containment.allow(folders)


def build_parser() -> argparse.ArgumentParser:
    """The whole `bridge` parser: one subcommand per module in `COMMANDS`, each declaring its own options."""
    parser = _Parser(
        prog="bridge",
        description="Render YAML data briefings into 360° frames and split them across a projector room.",
    )
    parser.add_argument("--version", action="version", version=f"bridge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        name = getattr(command, "NAME", command.__name__.rsplit(".", 1)[-1])  # `import` is a word Python keeps
        p = sub.add_parser(name, help=command.HELP, description=command.DESCRIPTION)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser
