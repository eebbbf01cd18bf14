"""The `bridge` subcommands, one module each: its help, its options (`add_arguments`) and `run(args) -> int`.

`bridge.cli` builds the parser from `COMMANDS` order and dispatches; shared options live in
`options`, terminal output in `terminal`.  Kept light: command modules import their heavy
dependencies (VTK, pandas, the show) only when they run.
"""
