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
from models.importing.plan import ImportPlan
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
                          state_id: int | None = None) -> int:
    """Write establishments (``ids`` in that order, or all of ``state_id``) to .xlsx or .csv; returns the count."""
    headers, rows = establishment_rows(session, ids, state_id)
    write_table(path, headers, rows, sheet="Establecimientos")
    return len(rows)


def write_table(path: str | Path, headers: list[str], rows: list[list[Any]], sheet: str = "Datos") -> None:
    """A table to .xlsx (formatted) or .csv (UTF-8 with BOM, which Excel opens with accents intact)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(path, headers, rows)
    elif suffix == ".xlsx":
        _write_xlsx(path, [(sheet, headers, rows)])
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


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list[Any]]]]) -> None:
    import pandas as pd
    from openpyxl.styles import Alignment, Font, PatternFill

    tmp = path.with_name(path.name + ".tmp.xlsx")
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, headers, rows in sheets:
            pd.DataFrame(rows, columns=headers, dtype=object).to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            header_font, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F5C4D")
            for cell in ws[1]:
                cell.font, cell.fill = header_font, fill
                cell.alignment = Alignment(vertical="center", wrap_text=False)
            ws.freeze_panes = "A2"
            widths = [len(h) for h in headers]
            for r, row in enumerate(rows, start=2):
                for c, value in enumerate(row, start=1):
                    if isinstance(value, (date, datetime)):
                        ws.cell(r, c).number_format = DATE_FORMAT
                        width = 10
                    elif isinstance(value, str):
                        if needs_guard(value):
                            target = ws.cell(r, c)
                            target.value = value
                            target.data_type = "s"  # text, never a formula
                            target.quotePrefix = True
                        width = len(value)
                    else:
                        width = len(to_text(value))
                    if width > widths[c - 1]:
                        widths[c - 1] = width
            from openpyxl.utils import get_column_letter

            for c, width in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(c)].width = min(width + 2, MAX_WIDTH)
            if rows:
                ws.auto_filter.ref = ws.dimensions
    tmp.replace(path)


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
