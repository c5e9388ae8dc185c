"""Actiscope's compute core: pure numpy, never imports Qt."""

__version__ = "0.1.0"
