"""The scene: a YAML briefing read with line numbers, checked, and built into typed models.

First stage of the pipeline (scene file → validated model).  Nothing here reads data files
or draws; the model's panel keys come from the panel registry (bridge.panels).
"""
