"""What panel types share: the base model, the canvas they draw on, value helpers, charts and maps."""
