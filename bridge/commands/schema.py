"""`bridge schema`: the scene (or theme) file format as JSON Schema, for editor completion."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "print the scene (or theme) format as JSON Schema"
DESCRIPTION = "Print the scene format, or the theme file format, as JSON Schema, for editor completion (see docs/analyst.md)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    # argparse's errors name the argument by its metavar, so the usage and an error say the same
    # word: 'usage: bridge schema [FORMAT]' and 'FORMAT: invalid choice: ...'.
    p.add_argument("format", nargs="?", choices=("scene", "theme"), default="scene", metavar="FORMAT",
                   help="which file format: scene or theme (default: scene)")


def run(args) -> int:
    if args.format == "theme":
        from bridge.theme import json_schema
    else:
        from bridge.scene.model import json_schema
    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0
