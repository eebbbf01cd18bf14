"""Power BI files: a `.pbix` archive read safely, its model (tables, relationships, measures) and its theme."""

from __future__ import annotations


def read_model_dataset(*args, **kwargs):
    """A scene's dataset that names `model:` (bridge/data/powerbi/query.py), imported when a scene has one."""
    from bridge.data.powerbi.query import read_model_dataset as read

    return read(*args, **kwargs)
