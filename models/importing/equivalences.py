"""Import the CLUES equivalence table (old Secretaría de Salud key → new IMSS-BIENESTAR key).

Each pair links an establishment and its previous key: if the establishment is registered under the new
key, its previous CLUES is filled; if it is still registered under the old key (registered before the
transfer), it gets the new key and keeps the old one as previous. Pairs whose establishment is not
registered under either key are rejected, and so are rows of another state (unless national office).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import Establishment, State
from models.importing.cells import to_text
from models.importing.establishments import IMPORT_MARK
from models.importing.plan import NO_PROGRESS, ImportPlan, PlannedUpdate, Progress
from models.importing.reader import SheetData
from models.importing.spec import FieldSpec, ImportKind, Mapping, register
from models.services import audit
from models.services.establishments import ConcurrencyError
from models.validation import normalize_clues, validate_clues
from models.services import users


KIND = ImportKind(
    key="equivalences",
    title="Tabla de equivalencias de CLUES (SSA → IMSS-BIENESTAR)",
    fields=(
        FieldSpec("old_clues", "CLUES ANTERIOR", "CLUES de la Secretaría de Salud.",
                  ("CLUES ANTERIOR SSA", "CLUES SSA", "CLUES ORIGEN", "CLUES ANTERIOR (SSA)"), required=True,
                  example="BCSSA000440"),
        FieldSpec("new_clues", "CLUES NUEVA", "CLUES de IMSS-BIENESTAR.",
                  ("CLUES NUEVA IMSS BIENESTAR", "CLUES IMSS BIENESTAR", "CLUES IMB", "CLUES ACTUAL", "CLUES"),
                  required=True, example="BCIMB000355"),
        FieldSpec("name", "NOMBRE DE LA UNIDAD", "Sólo informativo.", ("NOMBRE UNIDAD", "NOMBRE"),
                  example="HOSPITAL GENERAL MEXICALI"),
    ),
    instructions=(
        "Una fila por par de claves: la CLUES anterior (SSA) y la nueva (IMSS-BIENESTAR).",
        "Si el establecimiento está registrado con la CLUES nueva, se le anota la anterior; si sigue registrado "
        "con la anterior, pasa a la nueva y conserva la anterior como «CLUES anterior».",
        "Las filas cuyo establecimiento no está registrado con ninguna de las dos claves se rechazan.",
    ),
)


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS) -> ImportPlan:
    """Decide, for every pair, which establishment it links and how; writes nothing."""
    e = Establishment.__table__.c
    rows = session.execute(select(e.id, e.clues, e.previous_clues, e.version, e.state_id)).all()
    by_clues = {r.clues: r for r in rows}
    by_previous = {r.previous_clues: r for r in rows if r.previous_clues}
    prefixes = dict(session.execute(select(State.clues_prefix, State.id)).all())
    column_of = {k: i for k, i in mapping.items() if i is not None}
    label = {k: sheet.headers[i] for k, i in column_of.items()}
    plan = ImportPlan(KIND.key, sheet.source, list(sheet.headers), total_rows=len(sheet.rows), field_labels=KIND.labels())
    seen_old: dict[str, int] = {}
    seen_new: dict[str, int] = {}
    for n, (cells, row_no) in enumerate(zip(sheet.rows, sheet.row_numbers)):
        if n % 500 == 0:
            progress.report(n, len(sheet.rows), "Validando filas")

        def value(key: str) -> str:
            index = column_of.get(key)
            return normalize_clues(to_text(cells[index])) if index is not None and index < len(cells) else ""

        old, new = value("old_clues"), value("new_clues")
        errors = [(key, message) for key, code in (("old_clues", old), ("new_clues", new))
                  if (message := validate_clues(code, None))]
        if not errors and office_state_id is not None and prefixes.get(new[:2]) != office_state_id:
            plan.skipped_other_state += 1
            continue
        if not errors:
            if old == new:
                errors.append(("new_clues", "La CLUES nueva debe ser distinta de la anterior."))
            for key, code, seen in (("old_clues", old, seen_old), ("new_clues", new, seen_new)):
                if code in seen:
                    errors.append((key, f"{code} está repetida en el archivo (fila {seen[code]})."))
                seen.setdefault(code, row_no)
        record = None
        changes: dict[str, tuple[Any, Any]] = {}
        if not errors:
            if new in by_clues:
                record = by_clues[new]
                if (record.previous_clues or "") != old:
                    changes["previous_clues"] = (record.previous_clues or "", old)
                    owner = by_previous.get(old)
                    if owner is not None and owner.id != record.id:
                        errors.append(("old_clues", f"La CLUES anterior {old} ya está asignada a {owner.clues}."))
                    elif old in by_clues:
                        errors.append(("old_clues", f"{old} es la CLUES actual de otro establecimiento registrado."))
            elif old in by_clues:
                record = by_clues[old]
                changes = {"clues": (old, new), "previous_clues": (record.previous_clues or "", old)}
            else:
                errors.append(("new_clues", f"No hay ningún establecimiento registrado con la CLUES {new} ni con {old}."))
        if errors:
            for key, message in errors:
                plan.reject(row_no, label.get(key, KIND.field(key).header), message, list(cells))
            continue
        if not changes:
            plan.unchanged.append(new)
        else:
            plan.updated.append(PlannedUpdate(row_no, new, record.id, record.version, changes))  # type: ignore[union-attr]
    return plan


def apply_import(session: Session, plan: ImportPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Link the pairs in the caller's transaction; refuses if a record changed since the plan was made."""
    users.require(session, user, users.IMPORT)
    e = Establishment.__table__
    now = utcnow()
    counts = {"actualizados": len(plan.updated), "sin_cambios": len(plan.unchanged),
              "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state}
    progress.report(0, len(plan.updated), "Guardando")
    if not plan.updated:
        return counts
    for planned in plan.updated:
        current = session.execute(select(e.c.version).where(e.c.id == planned.record_id)).scalar()
        if current != planned.version:
            raise ConcurrencyError(
                f"El establecimiento {planned.key} se modificó después de validar el archivo. Vuelva a validar."
            )
    statement = (
        update(e).where(e.c.id == bindparam("b_id"))
        .values(clues=bindparam("v_clues"), previous_clues=bindparam("v_previous"),
                institution_code=bindparam("v_institution"), version=e.c.version + 1, updated_at=now,
                changed_by=user + IMPORT_MARK)
    )
    params = []
    for planned in plan.updated:
        clues = planned.changes.get("clues", (planned.key, planned.key))[1]
        params.append({"b_id": planned.record_id, "v_clues": clues, "v_previous": planned.changes["previous_clues"][1],
                       "v_institution": clues[2:5]})
    for i, row in enumerate(params):
        session.execute(statement, [row])
        if i % 500 == 0:
            progress.report(i, len(params), "Guardando")
    audit.record(session, user, "importar", "equivalencias_clues", None, None, {"archivo": plan.source, **counts})
    progress.report(len(params), len(params), "Guardando")
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))
