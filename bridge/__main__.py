"""`python -m bridge`: the same command line as `bridge`."""

from bridge.cli import main

raise SystemExit(main())
