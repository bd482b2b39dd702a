"""One call from a file to a plan (the CLI and the tests use it; the wizard goes step by step)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from models.importing.plan import NO_PROGRESS, ImportPlan, Progress
from models.importing.reader import ReadError, SheetData, read_sheet
from models.importing.spec import Mapping, get_kind, guess_mapping, missing_required


def file_date(path: str | Path) -> datetime:
    """The date an import compares local edits against: the file's modification time (UTC)."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime, timezone.utc)


def read_for(kind_key: str, path: str | Path, sheet: str | None = None) -> tuple[SheetData, Mapping]:
    """Read a file for a kind of import and guess its column mapping."""
    kind = get_kind(kind_key)
    data = read_sheet(path, sheet, kind.known_headers())
    return data, guess_mapping(kind, data.headers)


def plan_file(session: Session, kind_key: str, path: str | Path, sheet: str | None = None,
              office_state_id: int | None = None, mapping: Mapping | None = None,
              progress: Progress = NO_PROGRESS) -> ImportPlan:
    """Read, map (guessing unless given) and plan an import; raises ReadError if required columns are missing."""
    kind = get_kind(kind_key)
    data, guessed = read_for(kind_key, path, sheet)
    mapping = mapping or guessed
    missing = missing_required(kind, mapping)
    if missing:
        raise ReadError(
            f"No se encontraron las columnas obligatorias {', '.join(missing)} en «{data.source}». "
            f"Encabezados leídos (fila {data.header_row}): {', '.join(data.headers)}."
        )
    return kind.planner(session, data, mapping, office_state_id, file_date(path), progress)
