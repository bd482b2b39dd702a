"""Applying a package: verify it whole, plan every record, then write in one savepoint.

For each incoming record (FORMAT.md, section 6, in this order; the code is in ``apply.py``):

* unknown here → inserted (after checking its references, its state and its unique keys; a record created
  separately here with the same natural key, e.g. the same CLUES, and never exchanged, is identified with it);
* a version not newer than the last one received from that office → unchanged (repeated or late package);
* an echo (the sender has not touched it since the offices last agreed) → unchanged;
* same content as here → unchanged;
* an open conflict on it → the conflict keeps the newer incoming version (still one conflict);
* the sender saw this office's current version (``base``) → applied;
* untouched here since the offices last agreed (same version) → applied;
* changed on both sides → a conflict, kept with both versions for a person to decide. On a state office a
  state record changed by the national office and locally is kept as it is here and reported "en espera":
  the national office, where both versions meet, holds the conflict (one place, one decision).

Nothing is written when the package is refused, when ``dry_run`` is set, or when any write fails.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.exchange import ledger
from models.exchange.apply import Applier
from models.exchange.package import (
    E_APPLY,
    E_CORRUPT,
    E_ORIGIN,
    E_SAME_OFFICE,
    E_SCHEMA,
    E_WRONG_STATE,
    NATIONAL,
    PackageError,
    PackageInfo,
    load_package,
    parse_lines,
)
from models.exchange.summary import ImportContext, ImportSummary, RecordNote, TableCounts, label_of
from models.exchange.tables import SPECS
from models.exchange.wire import no_gc
from models.paths import current_username
from models.services import users

__all__ = ["ImportContext", "ImportSummary", "RecordNote", "TableCounts", "check_package", "import_package",
           "label_of"]


def check_package(session: Session, info: PackageInfo) -> ImportContext:
    """Refuse a verified package that does not belong in this database (Spanish PackageError)."""
    from models.schema import SCHEMA_VERSION

    current = ledger.current_office(session)
    if info.schema_version > SCHEMA_VERSION:
        raise PackageError(E_SCHEMA, f"El paquete se generó con una versión más nueva de la aplicación (esquema "
                                     f"{info.schema_version}; esta versión conoce hasta el {SCHEMA_VERSION}). "
                                     "Actualice la aplicación antes de importarlo. No se aplicó nada.")
    own_id = ledger.office_id(session, create=False)
    if own_id is not None and info.source_office_id == own_id:
        raise PackageError(E_SAME_OFFICE, "El paquete lo generó esta misma oficina: se importa en la oficina que "
                                          "lo recibe, no en la que lo envió. No se aplicó nada.")
    source_label = ledger.office_label(session, info.source_office)
    if current.is_national:
        if info.source_office == NATIONAL:
            raise PackageError(E_ORIGIN, "La oficina nacional sólo recibe paquetes de las coordinaciones estatales; "
                                         "éste lo generó una oficina nacional. No se aplicó nada.")
        state_id = ledger.state_id_of(session, info.source_office)
        if state_id is None:
            raise PackageError(E_CORRUPT, f"El paquete dice venir de la entidad «{info.source_office}», que no "
                                          "existe. No se aplicó nada.")
        if info.target_office != NATIONAL:
            raise PackageError(E_WRONG_STATE, f"El paquete es para {ledger.office_label(session, info.target_office)}"
                                              ", no para la oficina nacional. No se aplicó nada.")
        return ImportContext(info.source_office, source_label, True, state_id)
    state = current.state
    if info.source_office != NATIONAL:
        raise PackageError(E_ORIGIN, f"Esta oficina ({current.label}) sólo recibe paquetes de la oficina nacional; "
                                     f"éste lo generó {source_label}. No se aplicó nada.")
    if info.target_office != state.inegi_code:
        raise PackageError(E_WRONG_STATE, f"El paquete es para {ledger.office_label(session, info.target_office)} "
                                          f"y esta base de datos es de {current.label}. No se aplicó nada.")
    return ImportContext(NATIONAL, source_label, False, state.id)


def import_package(session: Session, path: str | Path, *, dry_run: bool = False,
                   user: str | None = None) -> ImportSummary:
    """Verify and apply a package in the caller's transaction (never commits). Raises PackageError when the
    package is refused; then nothing changed. Importing the same package again changes nothing."""
    user = user or current_username()
    pkg = load_package(path)
    ctx = check_package(session, pkg.info)
    summary = ImportSummary(pkg.info, ctx.peer_label, dry_run=dry_run)
    if ledger.already_received(session, pkg.info.package_id):
        summary.already_imported = True
        summary.unchanged = pkg.info.total_records
        return summary
    unknown = sorted(set(pkg.tables) - set(SPECS))
    if unknown:
        raise PackageError(E_CORRUPT, f"El paquete contiene tablas que esta versión no conoce ({', '.join(unknown)}). "
                                      "No se aplicó nada.")
    users.require(session, user, users.IMPORT, ctx.scope_state_id)
    savepoint = session.begin_nested()
    with no_gc():
        try:
            records = {name: parse_lines(name, data) for name, data in pkg.tables.items()}
            Applier(session, pkg, ctx, records, user, summary, write_files=not dry_run).run()
            session.flush()
        except IntegrityError as exc:
            savepoint.rollback()
            raise PackageError(E_APPLY, "No se pudo aplicar el paquete: un registro contradice los datos de esta "
                                        f"oficina ({exc.orig}). No se aplicó nada.") from exc
        except BaseException:
            savepoint.rollback()
            raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        _refresh_statistics(session, summary)
    session.expire_all()
    return summary


# Below this many applied records the server's own autovacuum statistics are good enough.
ANALYZE_FROM = 1_000


def _refresh_statistics(session: Session, summary: ImportSummary) -> None:
    """On PostgreSQL, refresh the planner's statistics of the tables a large package filled.

    Autovacuum analyses new rows only after a while; the next package, imported seconds later, was otherwise
    planned as if those tables were still nearly empty (bench/exchange.py, 23 packages of 30,000 records:
    32–40 s for the second and third import instead of 9–10 s). Runs in the caller's transaction; ANALYZE
    counts that transaction's own new rows. SQLite needs nothing: its planner does not use such statistics
    unless asked to."""
    if session.get_bind().dialect.name != "postgresql" or summary.applied < ANALYZE_FROM:
        return
    from sqlalchemy import text

    tables = [SPECS[name].table.name for name, counts in summary.tables.items() if counts.applied and name in SPECS]
    for name in [*tables, "exchange_sync"]:
        session.execute(text(f'ANALYZE "{name}"'))
