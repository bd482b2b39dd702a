"""Headless exchange subcommands (issue 8). Imports no Qt.

- ``coordinacion --db PATH exchange export --out FILE [--all] [--state X]`` (``--state``: at the national office)
- ``coordinacion --db PATH exchange import FILE [--dry-run]``
- ``coordinacion --db PATH exchange inspect FILE``
- ``coordinacion --db PATH exchange ack --out FILE [--state X]`` and ``exchange ack-import FILE``
- ``coordinacion --db PATH exchange conflicts [--all]`` and ``exchange resolve ID --keep local|incoming``
- ``coordinacion --db PATH exchange history``

Exit codes: 0 done, 1 refused (the message says why; nothing changed), 2 wrong arguments.
Registered by listing :func:`add_exchange` in ``gui.cli.REGISTRARS``.
"""
from __future__ import annotations

import argparse
import sys


def _open(db: str):
    """The session factory of ``db`` (created or upgraded by ``gui.cli._open``, as every command does)."""
    from gui.cli import _open as open_database

    return open_database(db)[1]


def _fail(exc: Exception) -> int:
    print(f"Error: {exc}", file=sys.stderr)
    return 1


def cmd_export(args: argparse.Namespace) -> int:
    """Write a package of the changes the other office does not hold yet (or everything with --all)."""
    from models.exchange import PackageError, export_package

    factory = _open(args.db)
    try:
        with factory.begin() as session:
            result = export_package(session, args.out, all=args.all, target=args.state)
    except (PackageError, OSError) as exc:
        return _fail(exc)
    print("\n".join(result.lines()))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Verify and apply a package (or, with --dry-run, only show what it would do)."""
    from models.exchange import PackageError, import_package

    factory = _open(args.db)
    try:
        with factory.begin() as session:
            summary = import_package(session, args.file, dry_run=args.dry_run)
    except (PackageError, PermissionError) as exc:
        return _fail(exc)
    print("\n".join(summary.lines()))
    if summary.conflicts:
        print("Revise los conflictos con «coordinacion exchange conflicts».")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    """Verify a package or acknowledgement and describe it, without touching the database."""
    from models.exchange import PackageError, inspect_package
    from models.exchange.tables import SPECS

    try:
        info = inspect_package(args.file)
    except PackageError as exc:
        return _fail(exc)
    kind = "Acuse de recibo" if info.kind == "acuse" else f"Paquete {info.sequence}"
    print(f"{kind} íntegro: de {info.source_label or info.source_office} para {info.target_office}, "
          f"creado el {info.created_at:%Y-%m-%d %H:%M} UTC (formato {info.format_version}, esquema {info.schema_version}).")
    for name, count in info.tables.items():
        if count:
            print(f"  {SPECS[name].label if name in SPECS else name}: {count}")
    if info.documents:
        print(f"  documentos: {info.documents}")
    print(f"SHA-256 del archivo: {info.file_sha256}")
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    """Write an acknowledgement of the packages applied here."""
    from models.exchange import PackageError, make_ack

    factory = _open(args.db)
    try:
        with factory.begin() as session:
            result = make_ack(session, args.out, source=args.state)
    except (PackageError, OSError) as exc:
        return _fail(exc)
    print("\n".join(result.lines()))
    return 0


def cmd_ack_import(args: argparse.Namespace) -> int:
    """Read an acknowledgement: the confirmed records leave the next package."""
    from models.exchange import PackageError, import_ack

    factory = _open(args.db)
    try:
        with factory.begin() as session:
            summary = import_ack(session, args.file)
    except PackageError as exc:
        return _fail(exc)
    print("\n".join(summary.lines()))
    return 0


def _short(value) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def cmd_conflicts(args: argparse.Namespace) -> int:
    """List the conflicts (open ones; all with --all), with the fields that differ."""
    from models.exchange import list_conflicts

    factory = _open(args.db)
    with factory() as session:
        conflicts = list_conflicts(session, include_resolved=args.all)
    if not conflicts:
        print("No hay conflictos pendientes." if not args.all else "No hay conflictos registrados.")
        return 0
    for c in conflicts:
        state = "pendiente" if c.open else f"resuelto ({c.resolution}, {c.resolved_by})"
        print(f"#{c.id} {c.table_label}: {c.label} — con {c.peer_label}, {state}")
        print(f"    versión local {c.local_version} ({c.local_changed_by}) / entrante {c.incoming_version} "
              f"({c.incoming_changed_by})")
        for diff in c.differing:
            print(f"    {diff.name}: local={_short(diff.local)} | entrante={_short(diff.incoming)}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    """Decide a conflict keeping the local or the incoming version."""
    from models.exchange import ConflictError, resolve_conflict

    factory = _open(args.db)
    try:
        with factory.begin() as session:
            info = resolve_conflict(session, args.id, args.keep)
    except (ConflictError, PermissionError) as exc:
        return _fail(exc)
    kept = "la versión local" if args.keep == "local" else f"la versión de {info.peer_label}"
    print(f"Conflicto #{info.id} resuelto: se conservó {kept} de «{info.label}» ({info.table_label}).")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Packages and acknowledgements sent and received, newest first."""
    from models.exchange import list_packages

    factory = _open(args.db)
    with factory() as session:
        entries = list_packages(session)
    if not entries:
        print("Todavía no se ha enviado ni recibido ningún paquete.")
        return 0
    for e in entries:
        what = "Acuse" if e.kind == "acuse" else f"Paquete {e.sequence}"
        where = f"para {e.target_office}" if e.direction == "enviado" else f"de {e.source_office}"
        line = f"{e.processed_at:%Y-%m-%d %H:%M} {e.direction:8} {what} {where}: {e.records} registros"
        if e.direction == "recibido" and e.kind == "paquete":
            line += (f" (aplicados {e.applied}, sin cambios {e.unchanged}, conflictos {e.conflicts}, "
                     f"en espera {e.deferred}, rechazados {e.rejected})")
        if e.direction == "enviado" and e.kind == "paquete":
            line += " — confirmado" if e.acknowledged_at else " — sin acuse"
        print(line)
    return 0


def add_exchange(subparsers) -> None:
    """Register ``exchange`` and its actions."""
    p = subparsers.add_parser("exchange", help="intercambio de paquetes con la oficina nacional (.cepkg)")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACCIÓN")
    e = sub.add_parser("export", help="escribir un paquete con los cambios no confirmados por la otra oficina")
    e.add_argument("--out", required=True, help="archivo .cepkg a escribir")
    e.add_argument("--all", action="store_true", help="incluir todos los registros, no sólo los no confirmados")
    e.add_argument("--state", help="en la oficina nacional: entidad destino (clave INEGI, prefijo CLUES o nombre)")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="verificar y aplicar un paquete")
    i.add_argument("file", help="archivo .cepkg")
    i.add_argument("--dry-run", action="store_true", help="sólo mostrar el resumen, sin guardar nada")
    i.set_defaults(func=cmd_import)
    n = sub.add_parser("inspect", help="verificar un paquete o acuse y describirlo, sin tocar la base de datos")
    n.add_argument("file")
    n.set_defaults(func=cmd_inspect)
    a = sub.add_parser("ack", help="escribir el acuse de recibo de los paquetes importados aquí")
    a.add_argument("--out", required=True, help="archivo de acuse a escribir")
    a.add_argument("--state", help="en la oficina nacional: sólo los paquetes de esta entidad")
    a.set_defaults(func=cmd_ack)
    ai = sub.add_parser("ack-import", help="importar el acuse de recibo de la otra oficina")
    ai.add_argument("file")
    ai.set_defaults(func=cmd_ack_import)
    c = sub.add_parser("conflicts", help="listar los conflictos pendientes")
    c.add_argument("--all", action="store_true", help="incluir los ya resueltos")
    c.set_defaults(func=cmd_conflicts)
    r = sub.add_parser("resolve", help="resolver un conflicto")
    r.add_argument("id", type=int, help="número del conflicto (ver «exchange conflicts»)")
    r.add_argument("--keep", required=True, choices=("local", "incoming"),
                   help="conservar la versión local o la entrante")
    r.set_defaults(func=cmd_resolve)
    h = sub.add_parser("history", help="paquetes y acuses enviados y recibidos")
    h.set_defaults(func=cmd_history)
