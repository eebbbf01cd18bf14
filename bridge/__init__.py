"""Bridge: render YAML data briefings into 360° frames for projector rooms."""

__version__ = "0.1.0"
