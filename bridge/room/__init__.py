"""The room: profiles (screen and projectors), per-pixel maps, test patterns, MPCDI, and the
compositors that split an equirectangular frame into projector frames (the last stage)."""
