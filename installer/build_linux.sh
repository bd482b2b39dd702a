#!/usr/bin/env bash
# Build the Linux one-folder bundle from this checkout: dist/coordinacion/coordinacion.
#
#   bash installer/build_linux.sh            # then: bash installer/smoke_test.sh
#
# Environment: PYTHON (default python3, 3.11 or later), DIST_DIR (default dist), WORK_DIR (default
# build/pyinstaller). The project's dependencies and PyInstaller are installed into that Python when
# missing (pip only downloads what is not already satisfied). The bundle is built from the checkout's
# own sources, whether or not the project itself is pip-installed. For the smallest bundle build from
# a virtual environment holding only the project (see installer/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DIST_DIR=${DIST_DIR:-dist}
WORK_DIR=${WORK_DIR:-build/pyinstaller}
PYINSTALLER_REQ="pyinstaller>=6.10,<7"  # the spec relies on PyInstaller 6's bundle layout (_internal/, SYMLINK entries)

start=$(date +%s)
"$PYTHON" - "$PYINSTALLER_REQ" <<'EOF'
import subprocess
import sys
import tomllib

if sys.version_info < (3, 11):
    sys.exit(f"Se necesita Python 3.11 o posterior (este es {sys.version.split()[0]})")
with open("pyproject.toml", "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
print("Dependencias: pip install (sólo descarga lo que falte)")
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *deps, sys.argv[1]])
EOF

rm -rf "$DIST_DIR/coordinacion" "$WORK_DIR"
echo "PyInstaller $("$PYTHON" -m PyInstaller --version): construyendo $DIST_DIR/coordinacion"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST_DIR" --workpath "$WORK_DIR" installer/coordinacion.spec

# Some Python builds (pyenv, self-compiled) ship libpython and lib-dynload with debug information:
# ~20 MB nobody needs. Strip only files that have it; wheels' libraries are already stripped and are
# left untouched (re-writing libraries patched by auditwheel can break them).
if command -v strip >/dev/null && command -v readelf >/dev/null; then
    stripped=0
    while IFS= read -r -d '' lib; do
        if readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
            strip --strip-debug "$lib" && stripped=$((stripped + 1))
        fi
    done < <(find "$DIST_DIR/coordinacion" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
    ((stripped == 0)) || echo "Información de depuración quitada de $stripped bibliotecas"
fi

seconds=$(($(date +%s) - start))
size_mb=$(du -sm "$DIST_DIR/coordinacion" | cut -f1)
files=$(find "$DIST_DIR/coordinacion" -type f | wc -l)
echo "Listo: $DIST_DIR/coordinacion/coordinacion"
echo "Tiempo de construcción: ${seconds} s; tamaño: ${size_mb} MB en ${files} archivos"
