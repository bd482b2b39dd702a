"""Frozen entry point: what PyInstaller runs as ``__main__`` inside the bundle.

It only calls ``gui.__main__.main`` (the same function as ``python -m gui`` and the ``coordinacion``
console script), so the bundle and a pip install behave the same.
"""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless today; required on Windows if a worker process is ever used
    from gui.__main__ import main

    sys.exit(main())
