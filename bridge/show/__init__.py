"""The live show: presenter state, windows, the loop, live answers, video, console, the prepared
cache, and a room on several PCs (show/cluster/)."""
