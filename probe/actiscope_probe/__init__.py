"""Actiscope's PyTorch probe: writes run files the Actiscope app opens and follows live.

Importing this package loads neither torch nor anything of the desktop app; the run format lives
in `actiscope_probe.runformat` (numpy + pyarrow only).
"""

__version__ = "0.1.0"
