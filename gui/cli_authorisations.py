"""Headless ``authorisations`` subcommands (no Qt): the compliance table and the expiring list.

    coordinacion --db PATH authorisations summary [--state XX] [--from DATE --to DATE] [--as-of DATE] [--format csv|json]
    coordinacion --db PATH authorisations expiring --days N [--state XX] [--as-of DATE] [--format csv|json]

Without ``--state`` the scope is the office's own state, or every state for the national office.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date

SUMMARY_HEADERS = ("CLAVE", "AUTORIZACION", "REQUERIDAS", "VIGENTES", "EN TRAMITE", "OBTENIDAS EN EL PERIODO",
                   "SIN INICIAR", "ESTATUS %", "VIGENTES %")
EXPIRING_HEADERS = ("CLUES", "NOMBRE", "AUTORIZACION", "ESTADO", "VENCE", "DIAS RESTANTES")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» no es una fecha AAAA-MM-DD.") from None


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"«{text}» no es un número de días (entero, 0 o más).")
    return value


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def summary_rows(rows) -> list[list]:
    """The compliance rows (``models.services.authorisations.SummaryRow``) as the table prints them."""
    return [[r.type_code or "TOTAL", r.label, r.required, r.current, r.in_process, r.obtained, r.not_started,
             _pct(r.percent), _pct(r.current_percent)] for r in rows]


def expiring_rows(items) -> list[list]:
    """Expiring authorisations (``AlertItem``) as the list prints them."""
    from models.enums import AuthorisationStatus

    return [[a.clues, a.establishment_name, a.what, AuthorisationStatus(a.status).label if a.status else "",
             a.expires_on.strftime("%d/%m/%Y") if a.expires_on else "", "" if a.days_left is None else a.days_left]
            for a in items]


def _print(headers, rows, fmt: str) -> None:
    if fmt == "json":
        json.dump([dict(zip(headers, row)) for row in rows], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)


def _scoped(args: argparse.Namespace):
    """(session factory, state id or None, error message) for --state or the office's scope."""
    from gui.cli import _open, _scope

    _engine, factory, _status = _open(args.db)
    with factory() as session:
        state_id, error = _scope(session, args.state)
    return factory, state_id, error


def cmd_summary(args: argparse.Namespace) -> int:
    """Print the compliance table: one row per authorisation type and a computed total row."""
    from models.services import authorisations

    if args.date_from and args.date_to and args.date_from > args.date_to:
        print("La fecha --from no puede ser posterior a --to.", file=sys.stderr)
        return 2
    factory, state_id, error = _scoped(args)
    if error:
        print(error, file=sys.stderr)
        return 2
    as_of = args.as_of or args.date_to or date.today()
    with factory() as session:
        rows = authorisations.summary(session, state_id, as_of, args.date_from, args.date_to)
    _print(SUMMARY_HEADERS, summary_rows(rows), args.format)
    return 0


def cmd_expiring(args: argparse.Namespace) -> int:
    """Print held authorisations expiring between today and today + N days."""
    from models.services import authorisations

    factory, state_id, error = _scoped(args)
    if error:
        print(error, file=sys.stderr)
        return 2
    with factory() as session:
        items = authorisations.expiring(session, state_id, args.days, args.as_of or date.today())
    _print(EXPIRING_HEADERS, expiring_rows(items), args.format)
    return 0


def add_authorisations(subparsers) -> None:
    """Register ``authorisations summary`` and ``authorisations expiring``."""
    p = subparsers.add_parser("authorisations", help="autorizaciones sanitarias (licencias, avisos, permisos)")
    sub = p.add_subparsers(dest="action", required=True)
    state_help = "entidad (clave INEGI, prefijo CLUES o nombre); predeterminado: la de esta oficina, o todas"
    s = sub.add_parser("summary", help="tabla de cumplimiento por tipo de autorización, con total")
    s.add_argument("--state", help=state_help)
    s.add_argument("--from", dest="date_from", type=_date, help="inicio del periodo AAAA-MM-DD (obtenidas)")
    s.add_argument("--to", dest="date_to", type=_date, help="fin del periodo AAAA-MM-DD (predeterminado: hoy)")
    s.add_argument("--as-of", type=_date, help="fecha de corte para «vigentes» (predeterminado: --to u hoy)")
    s.add_argument("--format", choices=("csv", "json"), default="csv")
    s.set_defaults(func=cmd_summary)
    e = sub.add_parser("expiring", help="autorizaciones que vencen en los próximos N días")
    e.add_argument("--days", type=_days, required=True, help="días hacia adelante (hoy incluido)")
    e.add_argument("--state", help=state_help)
    e.add_argument("--as-of", type=_date, help="contar desde esta fecha AAAA-MM-DD (predeterminado: hoy)")
    e.add_argument("--format", choices=("csv", "json"), default="csv")
    e.set_defaults(func=cmd_expiring)
