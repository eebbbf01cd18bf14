"""The GLSL of the live GPU path, installed with Bridge as `bridge.shaders` (see pyproject.toml)."""
