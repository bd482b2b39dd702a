"""Desktop application (PySide6). The only package that imports Qt."""
__version__ = "0.1.0"
