"""Headless subcommands. Imports no Qt: ``coordinacion --db PATH init`` works on a machine without a screen.

To add a subcommand, write ``def add_X(subparsers)`` that registers a parser whose default ``func`` takes
the parsed arguments and returns an exit code, and list it in ``REGISTRARS``.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable

from gui.cli_admin import add_admin
from gui.cli_authorisations import add_authorisations
from gui.cli_exchange import add_exchange
from gui.cli_regions import add_regions
from gui.cli_reports import add_reports
from gui.cli_users import add_users
from gui.cli_weekend import add_weekend
from models.paths import default_db_path


def _open(db: str):
    from models.db import make_engine, make_session_factory
    from models.schema import ensure_database

    engine = make_engine(db)
    status = ensure_database(engine)
    return engine, make_session_factory(engine), status


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database and load the catalogue; optionally set the office."""
    from models.db import describe_url
    from models.services import office

    _engine, factory, status = _open(args.db)
    with factory.begin() as session:
        if args.national:
            office.set_office(session, None)
        elif args.state:
            state = office.find_state(session, args.state)
            if state is None:
                print(f"Entidad desconocida: {args.state}", file=sys.stderr)
                return 2
            office.set_office(session, state.inegi_code)
        current = office.get_office(session)
    if status.created:
        print(f"Base de datos creada: {describe_url(args.db)} (esquema {status.to_version})")
    elif status.from_version != status.to_version:
        print(f"Base de datos actualizada del esquema {status.from_version} al {status.to_version}; respaldo: {status.backup_path}")
    else:
        print(f"Base de datos al día: {describe_url(args.db)} (esquema {status.to_version})")
    print(f"Catálogo: {status.catalog_inserted} registros nuevos, {status.catalog_updated} actualizados")
    print(f"Oficina: {current.label if current else 'sin configurar (se pregunta al abrir la aplicación)'}")
    return 0


LIST_COLUMNS = (
    ("clues", "CLUES"), ("names", "NOMBRE"), ("states", "ENTIDAD"), ("typologies", "TIPOLOGIA"), ("levels", "NIVEL"),
    ("municipalities", "MUNICIPIO"), ("localities", "LOCALIDAD"), ("statuses", "ESTATUS"), ("regions", "REGION"),
    ("zones", "ZONA"), ("previous_clues", "CLUES ANTERIOR"),
)


def cmd_establishments_list(args: argparse.Namespace) -> int:
    """Print the establishments of a state (or all) as CSV or JSON."""
    from models.services import establishments, office

    _engine, factory, _status = _open(args.db)
    with factory() as session:
        state_id = None
        if args.state:
            state = office.find_state(session, args.state)
            if state is None:
                print(f"Entidad desconocida: {args.state}", file=sys.stderr)
                return 2
            state_id = state.id
        table = establishments.load_table(session, state_id)
    keep = sorted((i for i in range(len(table)) if args.include_retired or not table.retired[i]), key=table.clues.__getitem__)
    columns = [(getattr(table, attr), header) for attr, header in LIST_COLUMNS]
    if args.format == "json":
        records = [{header: values[i] for values, header in columns} for i in keep]
        if args.include_retired:
            for record, i in zip(records, keep):
                record["DADO DE BAJA"] = table.retired[i]
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([header for _values, header in columns] + (["DADO DE BAJA"] if args.include_retired else []))
        for i in keep:
            row = [values[i] for values, _header in columns]
            writer.writerow(row + (["SI" if table.retired[i] else "NO"] if args.include_retired else []))
    return 0


def add_init(subparsers) -> None:
    p = subparsers.add_parser("init", help="crear o actualizar la base de datos y cargar el catálogo de referencia")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--state", help="entidad de esta oficina (clave INEGI, prefijo CLUES o nombre)")
    group.add_argument("--national", action="store_true", help="esta es la oficina nacional (todas las entidades)")
    p.set_defaults(func=cmd_init)


def add_establishments(subparsers) -> None:
    p = subparsers.add_parser("establishments", help="establecimientos de salud")
    sub = p.add_subparsers(dest="action", required=True)
    lst = sub.add_parser("list", help="listar establecimientos")
    lst.add_argument("--state", help="entidad (clave INEGI, prefijo CLUES o nombre); todas si se omite")
    lst.add_argument("--format", choices=("csv", "json"), default="csv")
    lst.add_argument("--include-retired", action="store_true", help="incluir los dados de baja")
    lst.set_defaults(func=cmd_establishments_list)


def _scope(session, state_text: str | None) -> tuple[int | None, str | None]:
    """(state id or None for all, error message): --state if given, else the office's own state."""
    from models.services import office

    if state_text:
        state = office.find_state(session, state_text)
        return (state.id, None) if state else (None, f"Entidad desconocida: {state_text}")
    current = office.get_office(session)
    return (current.state.id if current and current.state else None), None


def cmd_import(args: argparse.Namespace) -> int:
    """Validate a file and (unless --dry-run) apply it in one transaction; print the summary."""
    from models.importing.reader import ReadError
    from models.importing.runner import plan_file
    from models.importing.spec import get_kind
    from models.paths import current_username

    _engine, factory, _status = _open(args.db)
    kind = get_kind(args.kind)
    try:
        with factory.begin() as session:
            state_id, error = _scope(session, args.state)
            if error:
                print(error, file=sys.stderr)
                return 2
            plan = plan_file(session, args.kind, args.file, args.sheet, state_id)
            print("\n".join(plan.summary_lines()))
            if args.dry_run:
                session.rollback()
                print("Simulación (--dry-run): no se guardó nada.")
                return 0
            counts = kind.applier(session, plan, current_username(), overwrite_conflicts=args.overwrite)
    except ReadError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print("Importación aplicada: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from models.importing.export import export_establishments
    from models.paths import current_username

    _engine, factory, _status = _open(args.db)
    with factory.begin() as session:  # the export is audited
        state_id, error = _scope(session, args.state)
        if error:
            print(error, file=sys.stderr)
            return 2
        try:
            count = export_establishments(session, args.out, state_id=state_id, user=current_username())
        except (ValueError, OSError) as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
    print(f"Se exportaron {count} establecimientos a {args.out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from models.importing.export import write_template

    try:
        write_template(args.kind, args.out)
    except (ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Plantilla escrita en {args.out}")
    return 0


def _kinds() -> list[str]:
    from models.importing.spec import all_kinds

    return [k.key for k in all_kinds()]


def add_import_export(subparsers) -> None:
    p = subparsers.add_parser("import", help="importar un archivo .xlsx, .xls, .ods o .csv (todo o nada)")
    p.add_argument("kind", choices=_kinds(), help="qué datos contiene el archivo")
    p.add_argument("file", help="archivo a importar")
    p.add_argument("--sheet", help="hoja del libro (la primera si se omite)")
    p.add_argument("--state", help="entidad cuyas filas se importan (predeterminado: la de esta oficina)")
    p.add_argument("--dry-run", action="store_true", help="sólo validar y mostrar el resumen, sin guardar")
    p.add_argument("--overwrite", action="store_true",
                   help="sobrescribir también los campos editados en esta oficina después de la fecha del archivo")
    p.set_defaults(func=cmd_import)
    e = subparsers.add_parser("export", help="exportar a .xlsx o .csv")
    e.add_argument("what", choices=("establishments",))
    e.add_argument("--out", required=True, help="archivo de salida (.xlsx o .csv)")
    e.add_argument("--state", help="entidad (predeterminado: la de esta oficina; todas en la oficina nacional)")
    e.set_defaults(func=cmd_export)
    t = subparsers.add_parser("template", help="escribir una plantilla .xlsx vacía para importar")
    t.add_argument("kind", choices=_kinds())
    t.add_argument("--out", required=True, help="archivo .xlsx")
    t.set_defaults(func=cmd_template)


REGISTRARS: list[Callable] = [add_init, add_establishments, add_import_export, add_regions, add_weekend,
                              add_authorisations, add_admin, add_reports, add_users, add_exchange]


def build_parser() -> argparse.ArgumentParser:
    from gui import __version__

    parser = argparse.ArgumentParser(
        prog="coordinacion", description="Coordinación Estatal IMSS-BIENESTAR. Sin subcomando abre la aplicación."
    )
    parser.add_argument("--db", default=str(default_db_path()), help="archivo de base de datos SQLite (predeterminado: %(default)s) o, en la oficina nacional, "
                             "una URL postgresql://usuario:clave@servidor/base")
    parser.add_argument("--version", action="version", version=f"Coordinación Estatal {__version__}")
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)  # see gui/self_test.py
    parser.add_argument("--user", help="usuario que ejecuta el comando (contraseña en COORDINACION_PASSWORD)")
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMANDO")
    for registrar in REGISTRARS:
        registrar(subparsers)
    return parser


def run_headless(args: argparse.Namespace) -> int:
    """Run a parsed subcommand, turning expected errors into one readable line."""
    from gui.cli_users import sign_in_headless
    from models.schema import SchemaError

    try:
        refused = sign_in_headless(args)
        if refused is not None:
            return refused
        return args.func(args)
    except SchemaError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:  # e.g. piped into `head`
        return 0


