"""Data tables: dataset files read bounded, joined, filtered, derived and disclosure-controlled.

Second stage (validated model → data tables).  The data layer does not import the scene model:
what it needs from the scene (a dataset's path and format, a measure's expression) is passed in.
"""
