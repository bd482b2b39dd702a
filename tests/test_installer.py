"""The installer files: the PyInstaller spec and what it bundles, the Inno Setup script, the build scripts.

Fast checks run in the normal suite. The real build (PyInstaller + the frozen smoke test, about two
minutes) runs only with ``COORDINACION_BUILD_BUNDLE=1``.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "coordinacion.spec"
ISS = INSTALLER / "windows" / "coordinacion.iss"
ICO = INSTALLER / "windows" / "app.ico"
APP_PACKAGES = ("gui", "models", "reports", "resources")


def _load_bundle():
    spec = importlib.util.spec_from_file_location("installer_bundle", INSTALLER / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle = _load_bundle()


def _bundled() -> dict[Path, str]:
    """Source file -> destination folder, as the spec passes them to PyInstaller."""
    return {Path(src).resolve(): dest for src, dest in bundle.data_files()}


def _sources():
    for package in APP_PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _iss_text() -> str:
    return ISS.read_text(encoding="utf-8-sig")


# --- the spec ------------------------------------------------------------------------------------


def test_spec_parses_and_its_files_exist():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= names
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert "launcher.py" in literals and "app.ico" in literals
    assert (INSTALLER / "launcher.py").is_file()
    assert ICO.is_file()
    assert "gui.__main__" in (INSTALLER / "launcher.py").read_text(encoding="utf-8")
    for src, dest in bundle.data_files():
        assert Path(src).is_file(), src
        assert not Path(dest).is_absolute()


def test_version_is_read_from_the_app():
    from gui import __version__

    assert bundle.app_version() == __version__


def test_package_data_declared_in_pyproject_is_bundled_at_the_same_place():
    """What pip installs beside the code (package-data) is what the bundle must carry, at the same relative path."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bundled = _bundled()
    checked = 0
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        base = ROOT / package.replace(".", "/")
        for pattern in patterns:
            for path in base.glob(pattern):
                assert path.resolve() in bundled, f"{path.relative_to(ROOT)} is package data but not in the bundle"
                assert bundled[path.resolve()] == path.parent.relative_to(ROOT).as_posix()
                checked += 1
    assert checked >= 10  # the catalogue CSVs, style.qss, app.svg


def test_every_file_the_code_names_is_bundled():
    """resource_path("…") in the code and read_rows("…") of the catalogue loader point at bundled files."""
    bundled = _bundled()
    resources, catalog = set(), set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        resources.update(re.findall(r"""resource_path\(\s*["']([^"']+)["']""", text))
        catalog.update(re.findall(r"""read_rows\(\s*["']([^"']+\.csv)["']""", text))
    assert {"style.qss", "icons/app.svg"} <= resources
    assert "states.csv" in catalog
    for name in resources:
        assert (ROOT / "resources" / name).resolve() in bundled, f"resources/{name}"
    for name in catalog:
        assert (ROOT / "models" / "catalog" / name).resolve() in bundled, f"models/catalog/{name}"
    for font in (ROOT / "resources").glob("fonts/**/*"):
        if font.is_file():
            assert font.resolve() in bundled, font


def test_resource_path_finds_bundled_files_when_frozen(tmp_path, monkeypatch):
    """Lay the datas out as PyInstaller does and resolve them the way the frozen app does."""
    import resources

    for src, dest in bundle.data_files():
        (tmp_path / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, tmp_path / dest)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_dir() == tmp_path / "resources"
    assert resources.resource_path("style.qss").is_file()
    assert resources.resource_path("icons/app.svg").is_file()
    assert (tmp_path / "models" / "catalog" / "states.csv").is_file()  # importlib.resources' frozen location


def test_excluded_modules_are_not_used_by_the_app():
    """A module the app imports must not be in the spec's excludes (update installer/bundle.py when it is)."""
    excluded = set(bundle.PYTHON_EXCLUDES) | set(bundle.QT_EXCLUDES)
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                hits = {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & excluded
                assert not hits, f"{path.relative_to(ROOT)} imports {name}, excluded from the bundle: {hits}"


def test_plugin_and_library_pruning_rules():
    dropped = bundle.qt_plugin_dropped
    assert dropped("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so")
    assert dropped("PySide6\\plugins\\platforminputcontexts\\qtvirtualkeyboardplugin.dll")
    assert dropped("PySide6/Qt/plugins/platforms/libqeglfs.so")
    assert dropped("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    for kept in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
                 "iconengines/libqsvgicon.so", "imageformats/libqsvg.so", "imageformats/libqjpeg.so"):
        assert not dropped(f"PySide6/Qt/plugins/{kept}"), kept
    assert not dropped("PySide6\\plugins\\platforms\\qwindows.dll")
    assert not dropped("PySide6/Qt/lib/libQt6Quick.so.6")  # libraries go through LIB_DROPS instead
    assert bundle.lib_stem("PySide6/Qt/lib/libQt6Quick.so.6") == "Qt6Quick"
    assert bundle.lib_stem("PySide6\\Qt6Quick.dll") == "Qt6Quick"
    assert bundle.lib_stem("libatk-1.0.so.0") == "atk-1"
    used = {"Qt6Core", "Qt6Gui", "Qt6Widgets", "Qt6Charts", "Qt6Pdf", "Qt6PdfWidgets", "Qt6PrintSupport", "Qt6Svg"}
    assert not used & set(bundle.LIB_DROPS)


def test_only_spanish_qt_translations_are_kept():
    assert bundle.keep_data("PySide6/Qt/translations/qtbase_es.qm")
    assert bundle.keep_data("PySide6\\translations\\qt_es.qm")
    assert not bundle.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle.keep_data("resources/style.qss")


def _qm_dependencies(path: Path) -> list[str]:
    """Catalogue names a Qt .qm file depends on (its Dependencies block, tag 0x96)."""
    data = path.read_bytes()
    deps, i = [], 16  # after the magic number
    while i + 5 <= len(data):
        tag, length = data[i], struct.unpack(">I", data[i + 1:i + 5])[0]
        body = data[i + 5:i + 5 + length]
        if tag == 0x96:
            j = 0
            while j < len(body):
                size = struct.unpack(">I", body[j:j + 4])[0]
                deps.append(body[j + 4:j + 4 + size].decode("utf-16-be"))
                j += 4 + size
        i += 5 + length
    return deps


def test_qt_spanish_translations_exist_with_their_dependencies():
    """qt_es.qm only loads when every catalogue it names is there; the spec must ship them all."""
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    for name in bundle.QT_TRANSLATIONS:
        assert (folder / f"{name}.qm").is_file(), name
    assert set(_qm_dependencies(folder / "qt_es.qm")) <= set(bundle.QT_TRANSLATIONS)


# --- Windows installer ---------------------------------------------------------------------------


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    return sections


def test_iss_version_matches_the_app():
    from gui import __version__

    defaults = re.findall(r'#define\s+AppVersion\s+"([^"]+)"', _iss_text())
    assert defaults == [__version__]


def test_iss_speaks_spanish_and_installs_per_user():
    text = _iss_text()
    sections = _iss_sections(text)
    assert any("compiler:Languages\\Spanish.isl" in line for line in sections["Languages"])
    setup = dict(line.split("=", 1) for line in sections["Setup"] if "=" in line)
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"].startswith("{autopf}")
    assert (ISS.parent / setup["SetupIconFile"]).is_file()
    assert setup["UninstallDisplayIcon"] == "{app}\\{#AppExe}"
    assert f'#define AppExe "{bundle.APP_NAME}.exe"' in text
    icons = "\n".join(sections["Icons"])
    assert "{autoprograms}" in icons and "{autodesktop}" in icons and "Tasks: desktopicon" in icons
    assert ISS.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: accents read right by every Inno Setup 6


def test_iss_uninstaller_keeps_the_data_folder():
    from models.paths import APP_AUTHOR, APP_NAME

    text = _iss_text()
    sections = _iss_sections(text)
    folder = f"{APP_AUTHOR}\\{APP_NAME}"
    assert f'#define DataFolder "{folder}"' in text
    assert "{localappdata}\\{#DataFolder}" in text  # the message that says where the data stayed
    assert not sections.get("UninstallDelete"), "the uninstaller must delete only what it installed"
    for line in sections.get("InstallDelete", []):
        assert 'Name: "{app}\\' in line, line
    touched = "\n".join(sections.get("Files", []) + sections.get("Dirs", []) + sections.get("InstallDelete", []))
    assert "localappdata" not in touched.lower() and APP_AUTHOR not in touched


def test_windows_icon_is_a_multi_size_ico():
    data = ICO.read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = set()
    for i in range(count):
        width, _h, _c, _r, _planes, _bits, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        assert offset + length <= len(data)
        sizes.add(width or 256)
    assert {16, 32, 48, 256} <= sizes


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not available")
@pytest.mark.parametrize("script", ["build_linux.sh", "smoke_test.sh", "windows/check_iss_wine.sh"])
def test_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(INSTALLER / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not (ROOT / "gui" / "self_test.py").exists(), reason="the app has no --self-test yet")
def test_self_test_flag_from_source(tmp_path):
    """``--self-test`` (what smoke_test.sh runs on the bundle) passes from the source tree too."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COORDINACION_DATA_DIR": str(tmp_path / "datos")}
    result = subprocess.run([sys.executable, "-m", "gui", "--db", str(tmp_path / "base.sqlite3"), "--self-test"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Prueba de arranque: correcta" in result.stdout
    assert "Cancelar" in result.stdout  # Qt's Spanish translations loaded


# --- the real build (slow) -----------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("COORDINACION_BUILD_BUNDLE") != "1" or not sys.platform.startswith("linux"),
    reason="builds the PyInstaller bundle (~2 min); set COORDINACION_BUILD_BUNDLE=1 to run it",
)
def test_build_linux_bundle_and_smoke_test(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "DIST_DIR": str(tmp_path / "dist"), "WORK_DIR": str(tmp_path / "work")}
    build = subprocess.run(["bash", str(INSTALLER / "build_linux.sh")], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=1500)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    print(build.stdout[-500:])
    smoke = subprocess.run(["bash", str(INSTALLER / "smoke_test.sh"), str(tmp_path / "dist" / "coordinacion")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert smoke.returncode == 0, smoke.stdout[-3000:] + smoke.stderr[-3000:]
    assert "Prueba de humo correcta" in smoke.stdout
