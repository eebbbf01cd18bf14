"""Bridge: render YAML data briefings into 360° frames for projector rooms.

The packages follow the data's one-way path:

    scene/     scene file → validated model (YAML with line numbers, pydantic models, containment)
    data/      model → data tables (readers, joins, expressions, disclosure, number formats)
    panels/    tables → drawn panels (one module per panel type; panels/common/ what they share)
    render/    panels → one equirectangular frame (the briefing loaded, the pipeline, the capture)
    room/      frame → projector frames (room profiles, maps, compositors, patterns, MPCDI)
    show/      the live show (presenter, windows, loop, answers, cache, video, cluster/)
    web/       the phone remote and watch page;  export/  the site, handout and text version
    commands/  one module per `bridge` command;  cli.py builds the parser and dispatches

Beside them: geometry.py (the equirectangular conventions, once), errors.py, limits.py, theme.py.
"""

__version__ = "0.1.0"
