"""What goes into the frozen bundle: data files, Qt translations, exclusions. Read by ``coordinacion.spec``
and by ``tests/test_installer.py``; imports nothing beyond the standard library.

Destinations mirror the source tree, because that is where the code looks when frozen:
``resources.resource_dir()`` returns ``sys._MEIPASS/resources`` and ``importlib.resources.files("models.catalog")``
resolves to ``sys._MEIPASS/models/catalog`` under PyInstaller.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "coordinacion"  # executable and dist folder name
CLI_NAME = "coordinacion-cli"  # Windows only: console twin of the windowed exe, for the headless subcommands

# Data folders copied whole (every file but Python sources and caches), so a file added later
# (a font in resources/fonts, a new catalogue CSV) is bundled without touching the spec.
DATA_DIRS = ("resources", "models/catalog")
_SKIP_SUFFIXES = {".py", ".pyc", ".pyo"}

# Qt's own Spanish messages (standard buttons, file dialogs). The app loads qtbase_es and qt_es from
# QLibraryInfo's TranslationsPath; qt_es.qm is a meta catalogue that only loads when every catalogue it
# names is present (qtbase_es and qtmultimedia_es in Qt 6.11), so those travel with it. PyInstaller's
# Qt hooks collect the translations of every language; all but these are dropped to save space.
QT_TRANSLATIONS = ("qt_es", "qtbase_es", "qtmultimedia_es")

# Qt bindings the app does not use. PyInstaller only collects what is imported, so this list is a guard
# against a dependency pulling one in (and against their plugins/QML). The app uses QtCore, QtGui,
# QtWidgets, QtCharts, QtPdf, QtPdfWidgets, QtPrintSupport and QtSvg; QtNetwork, QtDBus, QtOpenGL and
# QtOpenGLWidgets stay allowed because those modules load them. QtTest is excluded: only the test suite
# (pytest-qt) uses it.
QT_EXCLUDES = tuple(
    f"PySide6.{name}"
    for name in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtAsyncio", "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtConcurrent",
        "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer",
        "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtPositioning",
        "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
        "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio",
        "QtSql", "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
        "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView",
        "QtXml",
    )
)

# Python packages a crowded build environment could drag in through optional imports of pandas,
# SQLAlchemy or ReportLab; none is used at run time.
PYTHON_EXCLUDES = (
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "pydoc_data", "lib2to3",
    "matplotlib", "IPython", "ipykernel", "jupyter_client", "jupyter_core", "notebook", "traitlets",
    "jedi", "parso", "prompt_toolkit", "pygments",
    "pytest", "_pytest", "pytestqt", "pluggy", "hypothesis", "pytest_benchmark",
    "scipy", "pyarrow", "numba", "llvmlite", "tables", "sqlalchemy.testing", "numpy.f2py",
    "botocore", "boto3", "s3fs", "fsspec", "yaml", "jinja2", "markupsafe", "charset_normalizer",
    "odf", "xlrd", "pyxlsb", "lxml", "bs4", "html5lib",
    "sphinx", "docutils", "setuptools", "pkg_resources", "distutils", "pip", "wheel",
    "PyQt5", "PyQt6", "PySide2", "shiboken2",
    # Pillow (ReportLab's image reader) without its AVIF codec (~5 MB) and its Tk/Qt bridges; Pillow
    # imports its format plugins inside try/except, so a missing one only drops that format.
    "PIL.AvifImagePlugin", "PIL._avif", "PIL.ImageTk", "PIL._imagingtk", "PIL.ImageQt",
)

# Qt plugins PyInstaller collects with QtGui that an office desktop app never loads: the virtual
# keyboard (it alone drags in Qt Quick and QML, ~16 MB on Linux), the embedded-device platforms, and
# the GTK3 platform theme (it would load the desktop's GTK against the GTK libraries PyInstaller copied
# from the build machine, a classic source of crashes; without it Qt draws its own Fusion dialogs,
# translated by qtbase_es). Patterns match the path inside the plugins folder ("/"-separated, fnmatch).
QT_PLUGIN_DROPS = (
    "platforminputcontexts/*virtualkeyboard*",
    "platforms/*eglfs*", "platforms/*linuxfb*", "platforms/*vnc*", "platforms/*minimalegl*",
    "platforms/*vkkhrdisplay*", "egldeviceintegrations/*",
    "platformthemes/*gtk3*",
)
# Libraries (by stem, see ``lib_stem``) that only the dropped plugins need. The spec keeps any of them
# that a kept binary still links against, so this list can only save space, never break a module.
LIB_DROPS = (
    "Qt6Quick", "Qt6Qml", "Qt6QmlModels", "Qt6QmlMeta", "Qt6QmlWorkerScript",
    "Qt6VirtualKeyboard", "Qt6VirtualKeyboardQml", "Qt6EglFSDeviceIntegration", "Qt6EglFsKmsSupport",
    # the GTK3 theme's stack (Linux)
    "atk-1", "cairo", "cairo-gobject", "datrie", "fribidi", "gdk_pixbuf-2", "graphite2", "harfbuzz",
    "jpeg", "pango-1", "pangocairo-1", "pangoft2-1", "pixman-1", "thai", "Xext", "Xrender",
)


def qt_plugin_dropped(dest_name: str) -> bool:
    """True for a bundled file that is one of the ``QT_PLUGIN_DROPS`` plugins."""
    from fnmatch import fnmatch

    parts = dest_name.replace("\\", "/").split("/")
    if "plugins" not in parts or "PySide6" not in parts:
        return False
    last = len(parts) - 1 - parts[::-1].index("plugins")
    inside = "/".join(parts[last + 1:])
    return any(fnmatch(inside, pattern) for pattern in QT_PLUGIN_DROPS)


def lib_stem(file_name: str) -> str:
    """``libQt6Quick.so.6`` / ``Qt6Quick.dll`` -> ``Qt6Quick``; ``libatk-1.0.so.0`` -> ``atk-1``."""
    name = file_name.replace("\\", "/").split("/")[-1]
    if name.startswith("lib"):
        name = name[3:]
    return name.split(".")[0]


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder inside the bundle) for every app data file."""
    pairs: list[tuple[str, str]] = []
    for folder in DATA_DIRS:
        base = root / folder
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.suffix in _SKIP_SUFFIXES or "__pycache__" in path.parts:
                continue
            pairs.append((str(path), path.parent.relative_to(root).as_posix()))
    return pairs


def keep_data(dest_name: str) -> bool:
    """False for Qt translation files in languages other than Spanish (PyInstaller collects them all)."""
    parts = dest_name.replace("\\", "/").split("/")
    if dest_name.endswith(".qm") and "translations" in parts:
        return parts[-1][: -len(".qm")] in QT_TRANSLATIONS
    return True


def app_version(root: Path = ROOT) -> str:
    """``gui.__version__`` read from the source (the spec must not import the app)."""
    import ast

    tree = ast.parse((root / "gui" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return node.value.value
    raise LookupError("gui/__init__.py has no __version__")
