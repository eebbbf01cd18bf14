"""`bridge preview`: a local page that shows a scene as it is written and updates on every save."""
