"""Actiscope's PySide6 + pyqtgraph user interface; talks to `core` only through its public API."""
