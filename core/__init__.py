"""Actiscope's compute core: pure numpy, never imports Qt."""
