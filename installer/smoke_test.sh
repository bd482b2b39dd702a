#!/usr/bin/env bash
# Smoke test of a built bundle: runs the frozen executable the way an office PC would, against a
# temporary database and data folder, and fails (exit 1) at the first thing that does not work.
#
#   bash installer/smoke_test.sh [DIST_DIR]        # default: dist/coordinacion
#
# Checks: --version; init --state BC; import of a small CSV (pandas) and of the exported .xlsx
# (calamine); establishments list; template and export (.xlsx via xlsxwriter); `report` when the bundle
# has that subcommand (the PDF must start with %PDF and have pages); the GUI started offscreen
# (--self-test when the app has it, else the window must still be running after a few seconds);
# and that nothing was written inside the bundle folder.
set -uo pipefail
cd "$(dirname "$0")/.."

DIST=${1:-dist/coordinacion}
EXE="$DIST/coordinacion"
[[ -x "$EXE" ]] || EXE="$DIST/coordinacion.exe"
if [[ ! -x "$EXE" ]]; then
    echo "FALLO: no hay ejecutable en $DIST (¿se construyó con installer/build_linux.sh?)" >&2
    exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export COORDINACION_DATA_DIR="$TMP/datos"  # never the real user's folder
export QT_QPA_PLATFORM=offscreen
unset PYTHONPATH PYTHONHOME
DB="$TMP/base.sqlite3"
STAMP="$TMP/stamp"
touch "$STAMP"
sleep 1  # mtime granularity: anything the bundle writes from now on is newer than the stamp
START=$(date +%s)

fail() {
    echo "FALLO: $1" >&2
    [[ -n "${2:-}" ]] && printf '%s\n' "$2" | tail -40 >&2
    exit 1
}

# run NAME COMMAND...: run it, keep its output in $OUT, stop on a non-zero exit code.
run() {
    local name=$1
    shift
    OUT=$("$@" 2>&1)
    local rc=$?
    ((rc == 0)) || fail "$name (código de salida $rc)" "$OUT"
    echo "ok: $name"
}

expect() {  # expect TEXT: $OUT must contain TEXT
    [[ "$OUT" == *"$1"* ]] || fail "se esperaba «$1» en la salida" "$OUT"
}

is_zip() { [[ -s "$1" && "$(head -c 2 "$1")" == "PK" ]]; }

run "--version" "$EXE" --version
[[ "$OUT" =~ ^Coordinación\ Estatal\ [0-9]+\.[0-9]+ ]] || fail "--version imprime algo inesperado" "$OUT"
if [[ -f gui/__init__.py ]]; then
    want=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' gui/__init__.py)
    [[ "$OUT" == "Coordinación Estatal $want" ]] || fail "el paquete dice «$OUT», gui/__init__.py dice $want"
fi

run "init --state BC" "$EXE" --db "$DB" init --state BC
expect "Base de datos creada"
expect "Baja California"
[[ -s "$DB" ]] || fail "init no creó $DB"

# A small CLUES file in DGIS wording, written here because tests/ is not in the bundle.
cat >"$TMP/clues.csv" <<'CSV'
CLUES,NOMBRE DE LA INSTITUCION,ENTIDAD,MUNICIPIO,LOCALIDAD,NOMBRE DE TIPOLOGIA,NOMBRE DE LA UNIDAD,ESTATUS DE OPERACION,NIVEL ATENCION,FECHA DE INICIO DE OPERACION
BCIMB000011,IMSS-BIENESTAR,BAJA CALIFORNIA,MEXICALI,MEXICALI,CENTRO DE SALUD,CENTRO DE SALUD PRUEBA UNO,EN OPERACION,PRIMER NIVEL,2001-02-03
BCIMB000023,IMSS-BIENESTAR,BAJA CALIFORNIA,TIJUANA,TIJUANA,HOSPITAL GENERAL,HOSPITAL GENERAL PRUEBA DOS,EN OPERACION,SEGUNDO NIVEL,1999-12-31
CSV
run "import establishments (CSV)" "$EXE" --db "$DB" import establishments "$TMP/clues.csv"
expect "Importación aplicada"

run "establishments list" "$EXE" --db "$DB" establishments list
[[ "$OUT" == CLUES,* ]] || fail "la lista no empieza con el encabezado CLUES" "$OUT"
expect "BCIMB000011"
expect "BCIMB000023"

run "template establishments" "$EXE" --db "$DB" template establishments --out "$TMP/plantilla.xlsx"
is_zip "$TMP/plantilla.xlsx" || fail "la plantilla no es un .xlsx"

run "export establishments" "$EXE" --db "$DB" export establishments --out "$TMP/exportado.xlsx"
expect "Se exportaron 2 establecimientos"
is_zip "$TMP/exportado.xlsx" || fail "la exportación no es un .xlsx"

run "import establishments (xlsx, --dry-run)" "$EXE" --db "$DB" import establishments "$TMP/exportado.xlsx" --dry-run
expect "Simulación"

if "$EXE" report --help >/dev/null 2>&1; then  # argparse exits 2 on an unknown subcommand
    run "report state" "$EXE" --db "$DB" report state --out "$TMP/reporte.pdf"
    [[ "$(head -c 4 "$TMP/reporte.pdf" 2>/dev/null)" == "%PDF" ]] || fail "el reporte no es un PDF"
    pages=$(grep -a -c -E '/Type */Page([^s]|$)' "$TMP/reporte.pdf")
    ((pages > 0)) || fail "el PDF no tiene páginas"
    echo "   reporte: $pages página(s), $(stat -c %s "$TMP/reporte.pdf") bytes"
else
    echo "omitido: report (el subcomando todavía no existe en este paquete)"
fi

# A national office on PostgreSQL (issue 8): the bundled driver reaches a real server. Only where a test
# server is given (CI sets COORDINACION_TEST_PG) and psql can create a throw-away database on it.
if [[ -n "${COORDINACION_TEST_PG:-}" ]] && command -v psql >/dev/null; then
    PGDB="ce_humo_$$"
    psql -q "$COORDINACION_TEST_PG" -c "CREATE DATABASE $PGDB" || fail "no se pudo crear la base $PGDB en el servidor de prueba"
    PGURL="${COORDINACION_TEST_PG%/*}/$PGDB"
    run "init --national (PostgreSQL)" "$EXE" --db "$PGURL" init --national
    expect "Base de datos creada"
    run "exchange history (PostgreSQL)" "$EXE" --db "$PGURL" exchange history
    expect "Todavía no se ha enviado"
    psql -q "$COORDINACION_TEST_PG" -c "DROP DATABASE $PGDB WITH (FORCE)" >/dev/null || true
else
    echo "omitido: PostgreSQL (sin COORDINACION_TEST_PG)"
fi

# The GUI: Qt plugins, translations, stylesheet and the main window on the database.
OUT=$(timeout 120 "$EXE" --db "$DB" --self-test 2>&1)
rc=$?
if ((rc == 2)) && [[ "$OUT" == *"--self-test"* ]]; then
    # No --self-test in this app yet: start the real GUI and check it is still up after a while.
    OUT=$(timeout 20 "$EXE" --db "$DB" 2>&1)
    rc=$?
    ((rc == 124)) || fail "la interfaz terminó sola (código $rc) en lugar de seguir abierta" "$OUT"
    [[ "$OUT" != *Traceback* ]] || fail "la interfaz registró una excepción" "$OUT"
    echo "ok: interfaz gráfica (offscreen, 20 s abierta sin errores)"
else
    ((rc == 0)) || fail "--self-test (código de salida $rc)" "$OUT"
    printf '%s\n' "$OUT" | sed 's/^/   /'
    echo "ok: --self-test"
fi

written=$(find "$DIST" -newer "$STAMP" -print -quit)
[[ -z "$written" ]] || fail "el programa escribió dentro del paquete: $written"
[[ -z "$(find "$TMP/datos" -name '*.sqlite3' 2>/dev/null)" ]] || fail "se creó una base en la carpeta de datos aunque se pasó --db"
echo "ok: nada escrito dentro de $DIST"

echo "Prueba de humo correcta: $DIST ($(du -sh "$DIST" | cut -f1), $(($(date +%s) - START)) s)"
