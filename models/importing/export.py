"""Excel and CSV out: the establishments table, the rejected rows of an import, blank templates.

Workbooks have Spanish headers, a frozen first row, column widths that fit and real date cells. Text
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@`` or a tab) is written
as a text cell in .xlsx and with a leading apostrophe in .csv; the importer undoes the apostrophe, so an
export imports back unchanged.
"""
from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Establishment, Region, State, Typology, Zone
from models.enums import LevelOfCare, OperatingStatus
from models.importing.cells import needs_guard, neutralise, to_text
from models.importing.plan import NO_PROGRESS, ImportPlan, Progress
from models.importing.spec import get_kind

DATE_FORMAT = "DD/MM/YYYY"
MAX_WIDTH = 60

# (header, attribute or callable) — headers are the import template's, so an export imports back.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("CLUES", "clues"),
    ("CLUES ANTERIOR", "previous_clues"),
    ("NOMBRE DE LA UNIDAD", "name"),
    ("ENTIDAD", "state"),
    ("CLAVE DEL MUNICIPIO", "municipality_code"),
    ("MUNICIPIO", "municipality"),
    ("CLAVE DE LA LOCALIDAD", "locality_code"),
    ("LOCALIDAD", "locality"),
    ("JURISDICCION", "jurisdiction"),
    ("NOMBRE TIPO ESTABLECIMIENTO", "establishment_type"),
    ("NOMBRE DE TIPOLOGIA", "typology"),
    ("NOMBRE DE SUBTIPOLOGIA", "subtypology"),
    ("NIVEL ATENCION", "level_of_care"),
    ("ESTATUS DE OPERACION", "operating_status"),
    ("FECHA DEL ULTIMO CAMBIO DE ESTATUS", "status_changed_on"),
    ("FECHA DE INICIO DE OPERACION", "operation_started_on"),
    ("DOMICILIO", "address"),
    ("CODIGO POSTAL", "postal_code"),
    ("LATITUD", "latitude"),
    ("LONGITUD", "longitude"),
    ("REGION OPERATIVA", "region"),
    ("ZONA DE SERVICIOS MEDICOS", "zone"),
    ("NOTAS", "notes"),
)


def establishment_rows(session: Session, ids: list[int] | None = None, state_id: int | None = None,
                       include_retired: bool = True) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows for an export, in the order of ``ids`` when given (the table's visible order)."""
    e = Establishment.__table__.c
    query = select(
        e.id, e.clues, e.previous_clues, e.name, e.state_id, e.municipality_code, e.municipality, e.locality_code,
        e.locality, e.jurisdiction, e.establishment_type, e.typology_id, e.subtypology, e.level_of_care,
        e.operating_status, e.status_changed_on, e.operation_started_on, e.address, e.postal_code, e.latitude,
        e.longitude, e.region_id, e.zone_id, e.notes, e.deleted_at,
    )
    if state_id is not None:
        query = query.where(e.state_id == state_id)
    if not include_retired:
        query = query.where(e.deleted_at.is_(None))
    records = {}
    if ids is None:
        for r in session.execute(query.order_by(e.clues)):
            records[r.id] = r
        order = list(records)
    else:
        for start in range(0, len(ids), 900):
            for r in session.execute(query.where(e.id.in_(ids[start:start + 900]))):
                records[r.id] = r
        order = [i for i in ids if i in records]
    states = dict(session.execute(select(State.id, State.name)).all())
    typologies = dict(session.execute(select(Typology.id, Typology.name)).all())
    regions = dict(session.execute(select(Region.id, Region.name)).all())
    zones = dict(session.execute(select(Zone.id, Zone.name)).all())
    rows = []
    for record_id in order:
        r = records[record_id]
        values = r._asdict()
        values["state"] = states.get(r.state_id, "")
        values["typology"] = typologies.get(r.typology_id, "")
        values["region"] = regions.get(r.region_id, "")
        values["zone"] = zones.get(r.zone_id, "")
        values["level_of_care"] = LevelOfCare(r.level_of_care).label
        values["operating_status"] = OperatingStatus(r.operating_status).label
        values["previous_clues"] = r.previous_clues or ""
        rows.append([values[attr] for _header, attr in _COLUMNS])
    return [header for header, _attr in _COLUMNS], rows


def export_establishments(session: Session, path: str | Path, ids: list[int] | None = None,
                          state_id: int | None = None, progress: Progress = NO_PROGRESS, user: str | None = None) -> int:
    """Write establishments (``ids`` in that order, or all of ``state_id``) to .xlsx or .csv; returns the count.

    With ``user`` the export is recorded in the audit trail (file name and count) in the caller's transaction."""
    from models.services import audit

    progress.report(0, 1, "Leyendo")
    headers, rows = establishment_rows(session, ids, state_id)
    write_table(path, headers, rows, sheet="Establecimientos", progress=progress)
    if user is not None:
        audit.record(session, user, "exportar", "establecimientos", None, None,
                     {"archivo": Path(path).name, "registros": len(rows), "state_id": state_id})
    return len(rows)


def write_table(path: str | Path, headers: list[str], rows: list[list[Any]], sheet: str = "Datos",
                progress: Progress = NO_PROGRESS) -> None:
    """A table to .xlsx (formatted) or .csv (UTF-8 with BOM, which Excel opens with accents intact)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(path, headers, rows)
    elif suffix == ".xlsx":
        _write_xlsx(path, [(sheet, headers, rows)], progress)
    else:
        raise ValueError(f"Formato no admitido: «{path.suffix}». Use .xlsx o .csv.")


def _write_csv(path: Path, headers: list[str], rows: list[list[Any]]) -> None:
    import pandas as pd

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            return neutralise(value)
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return value

    frame = pd.DataFrame([[cell(v) for v in row] for row in rows], columns=headers, dtype=object)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    tmp.replace(path)  # never a half-written file under the final name


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list[Any]]]],
                progress: Progress = NO_PROGRESS) -> None:
    """Workbook written cell by cell with xlsxwriter in constant memory: strings are always written as
    text (never as formulas), dates as date cells, numbers as numbers."""
    import xlsxwriter

    tmp = path.with_name(path.name + ".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    try:
        header_format = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F5C4D",
                                         "valign": "vcenter"})
        date_format = book.add_format({"num_format": DATE_FORMAT.lower()})
        text_guard = book.add_format({"quote_prefix": True})
        total = sum(len(rows) for _name, _headers, rows in sheets)
        done = 0
        for name, headers, rows in sheets:
            ws = book.add_worksheet(name[:31])
            widths = [len(h) for h in headers]
            for c, header in enumerate(headers):
                ws.write_string(0, c, header, header_format)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if value.__class__ is str:
                        if needs_guard(value):
                            ws.write_string(r, c, value, text_guard)
                        else:
                            ws.write_string(r, c, value)
                        width = len(value)
                    elif isinstance(value, datetime):
                        ws.write_datetime(r, c, value.replace(tzinfo=None), date_format)
                        width = 10
                    elif isinstance(value, date):
                        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_format)
                        width = 10
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        ws.write_number(r, c, value)
                        width = len(str(value))
                    else:
                        text = to_text(value)
                        ws.write_string(r, c, text)
                        width = len(text)
                    if width > widths[c]:
                        widths[c] = width
                done += 1
                if done % 2000 == 0:
                    progress.report(done, total, "Escribiendo")
            # constant_memory streams rows, so widths are set after the data (xlsxwriter allows it)
            for c, width in enumerate(widths):
                ws.set_column(c, c, min(width + 2, MAX_WIDTH))
            ws.freeze_panes(1, 0)
            if rows:
                ws.autofilter(0, 0, len(rows), len(headers) - 1)
        book.close()
    except BaseException:
        try:
            book.close()
        except Exception:  # noqa: BLE001 - already failing; the original error is what matters
            pass
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)  # never a half-written file under the final name


def write_rejected(plan: ImportPlan, path: str | Path) -> int:
    """The rejected rows as they were in the file, plus row number, column and reason; returns the count."""
    reasons: dict[int, list[str]] = {}
    columns: dict[int, list[str]] = {}
    for issue in plan.rejected:
        reasons.setdefault(issue.row, []).append(issue.reason)
        columns.setdefault(issue.row, []).append(issue.column)
    headers = ["FILA", "COLUMNA", "MOTIVO", *plan.headers]
    rows = [
        [row, "; ".join(columns[row]), " ".join(reasons[row]), *[_cell_out(v) for v in cells]]
        for row, cells in sorted(plan.rejected_rows.items())
    ]
    path = Path(path)
    if path.suffix.lower() == ".csv":
        _write_csv(path, headers, rows)
    else:
        _write_xlsx(path.with_suffix(".xlsx") if path.suffix.lower() != ".xlsx" else path, [("Rechazadas", headers, rows)])
    return len(rows)


def _cell_out(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def write_template(kind_key: str, path: str | Path) -> None:
    """A blank workbook for a kind of import: data sheet with the headers, instructions, allowed values."""
    kind = get_kind(kind_key)
    headers = [f.header for f in kind.fields]
    example = [[f.example for f in kind.fields]]
    instructions = [[line] for line in kind.instructions] + [[""]] + [
        [f"{f.header}{' (obligatorio)' if f.required else ''}: {f.description}"] for f in kind.fields
    ]
    allowed_rows: list[list[Any]] = []
    for f in kind.fields:
        for value in f.allowed:
            allowed_rows.append([f.header, value])
    if kind_key == "establishments":
        from models.catalog import read_rows

        allowed_rows += [["NOMBRE DE TIPOLOGIA", row["name"]] for row in read_rows("typologies.csv")]
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError("La plantilla se genera en formato .xlsx.")
    _write_xlsx(path, [
        ("Datos", headers, []),
        ("Ejemplo", headers, example),
        ("Instrucciones", [f"Instrucciones — {kind.title}"], instructions),
        ("Valores permitidos", ["COLUMNA", "VALOR"], allowed_rows),
    ])
