#!/usr/bin/env bash
# Check the Inno Setup script on Linux: compile it with the real ISCC.exe under Wine and, with
# --install-test, install the result silently, upgrade it, uninstall it, and check that the program
# folder and shortcuts come and go while the user's data folder stays.
#
#   bash installer/windows/check_iss_wine.sh [--install-test]
#
# Needs Wine with 32-bit support (ISCC.exe is a 32-bit program) and, for --install-test, Xvfb:
#   dpkg --add-architecture i386 && apt-get update
#   apt-get install --no-install-recommends wine wine64 wine32:i386 xvfb
# Inno Setup itself comes from the npm package "innosetup" (it ships ISCC.exe), into build/innosetup.
# The payload is a stub folder laid out like dist\coordinacion (two .exe files and _internal\), so the
# check takes seconds and needs no Windows build. It does not run the application.
set -euo pipefail
cd "$(dirname "$0")/../.."

INNO_VERSION=6.4.1
WORK=build/iss-check
export WINEPREFIX=${WINEPREFIX:-$PWD/$WORK/wineprefix} WINEDEBUG=-all
command -v wine >/dev/null || { echo "Falta Wine (vea el encabezado de este script)" >&2; exit 1; }

if [[ ! -f build/innosetup/node_modules/innosetup/bin/ISCC.exe ]]; then
    mkdir -p build/innosetup
    npm install --prefix build/innosetup --no-save --silent "innosetup@$INNO_VERSION"
fi
ISCC=build/innosetup/node_modules/innosetup/bin/ISCC.exe

rm -rf "$WORK/stub" "$WORK/out"
mkdir -p "$WORK/stub/coordinacion/_internal/resources" "$WORK/out"
cp "$ISCC" "$WORK/stub/coordinacion/coordinacion.exe"  # any Windows executable will do
cp "$ISCC" "$WORK/stub/coordinacion/coordinacion-cli.exe"
cp resources/style.qss "$WORK/stub/coordinacion/_internal/resources/"
[[ -d "$WINEPREFIX" ]] || { wineboot --init >/dev/null 2>&1; wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1; }

winpath() { winepath -w "$1" 2>/dev/null; }
iss=installer/windows/coordinacion.iss
if [[ "${1:-}" == --install-test ]]; then
    # Wine 8 has no FOLDERID_UserProgramFiles, which {autopf} needs in a per-user install.
    sed 's/{autopf}/{localappdata}\\Programs/' "$iss" > "$WORK/coordinacion.iss"
    cp installer/windows/app.ico "$WORK/"
    iss="$WORK/coordinacion.iss"
fi
echo "Compilando $iss con Inno Setup $INNO_VERSION (Wine)"
wine "$ISCC" /Q "/DDistDir=$(winpath "$WORK/stub/coordinacion")" "/DOutputDir=$(winpath "$WORK/out")" "$(winpath "$iss")"
setup=$(ls "$WORK"/out/*.exe)
echo "ok: $setup"
[[ "${1:-}" == --install-test ]] || exit 0

command -v Xvfb >/dev/null || { echo "Falta Xvfb para --install-test" >&2; exit 1; }
Xvfb :91 -screen 0 1024x768x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'wineserver -k 2>/dev/null; kill $xvfb_pid 2>/dev/null' EXIT
export DISPLAY=:91
sleep 2
local_app=$(winepath -u 'C:\users' 2>/dev/null)/$(whoami)/AppData/Local
app="$local_app/Programs/CoordinacionEstatal"
data="$local_app/IMSS-BIENESTAR/CoordinacionEstatal"
menu=$(winepath -u 'C:\users' 2>/dev/null)/$(whoami)/AppData/Roaming/Microsoft/Windows/Start\ Menu/Programs

wine "$setup" /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER /TASKS=desktopicon
[[ -f "$app/coordinacion.exe" && -f "$app/unins000.exe" && -f "$app/_internal/resources/style.qss" ]] || { echo "FALLO: instalación incompleta" >&2; exit 1; }
[[ -f "$menu/Coordinación Estatal.lnk" ]] || { echo "FALLO: falta el acceso del menú Inicio" >&2; exit 1; }
echo "ok: instalado en $app"

mkdir -p "$data" && echo prueba > "$data/coordinacion.sqlite3"
echo viejo > "$app/_internal/sobrante.dll"
wine "$setup" /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER
[[ ! -e "$app/_internal/sobrante.dll" ]] || { echo "FALLO: la actualización dejó archivos viejos en _internal" >&2; exit 1; }
echo "ok: la actualización reemplaza _internal completo"

wine "$app/unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES
sleep 3  # the uninstaller finishes in a copy of itself
[[ ! -e "$app" ]] || { echo "FALLO: la carpeta del programa sigue ahí" >&2; exit 1; }
[[ ! -e "$menu/Coordinación Estatal.lnk" ]] || { echo "FALLO: el acceso del menú Inicio sigue ahí" >&2; exit 1; }
[[ "$(cat "$data/coordinacion.sqlite3")" == prueba ]] || { echo "FALLO: se borró la carpeta de datos" >&2; exit 1; }
echo "ok: desinstalado; la carpeta de datos se conserva ($data)"
