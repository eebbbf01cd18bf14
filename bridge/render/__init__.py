"""Rendering: panels drawn round the viewer and captured as one equirectangular 360° frame.

Third and fourth stages (data tables → drawn panels → equirectangular frame), with the
pipeline that runs them in order, the OpenGL backend choice, the room-aware checks and output files.
"""
