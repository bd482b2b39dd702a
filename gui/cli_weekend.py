"""Headless ``weekend`` subcommands (no Qt): the 7-day-care rollout table and the units still missing.

    coordinacion --db PATH weekend summary [--state XX] [--as-of YYYY-MM-DD] [--format csv|json]
    coordinacion --db PATH weekend pending [--state XX] [--as-of YYYY-MM-DD] [--format csv|json]

Without ``--state`` the scope is the office's own state, or every adhered state for the national office.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date

SUMMARY_HEADERS = ("TIPO", "BLOQUE", "CLAVE", "ENTIDAD", "META", "VIABLES", "ABIERTAS 7 DIAS", "AVANCE %",
                   "MEDICOS ASIGNADOS", "MEDICOS NECESARIOS")
PENDING_HEADERS = ("CLUES", "NOMBRE", "ENTIDAD", "DIAS CON TURNO", "MEDICOS ACTIVOS", "INICIO FIN DE SEMANA", "FALTA")
_LEVELS = {"state": "ENTIDAD", "block": "TOTAL BLOQUE", "total": "TOTAL"}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» no es una fecha AAAA-MM-DD.") from None


def summary_rows(rows) -> list[list]:
    """The rollout rows (``models.services.weekend.RolloutRow``) as the table prints them."""
    out = []
    for r in rows:
        out.append([_LEVELS[r.level], "" if r.block is None else r.block, r.inegi_code, r.label,
                    "" if r.target is None else r.target, r.viable, r.open_units,
                    "" if r.progress is None else f"{r.progress:.1f}", r.doctors_assigned,
                    "" if r.doctors_needed is None else r.doctors_needed])
    return out


def pending_rows(units, state_names: dict[int, str]) -> list[list]:
    """Viable units not yet open 7 days (``UnitStatus``) as the table prints them."""
    return [[u.clues, u.name, state_names.get(u.state_id, ""), u.days, u.doctors,
             u.weekend_since.strftime("%d/%m/%Y") if u.weekend_since else "", "; ".join(u.reasons)] for u in units]


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
    """Print the rollout table: one row per state, a total per block and an overall total."""
    from models.services import weekend

    factory, state_id, error = _scoped(args)
    if error:
        print(error, file=sys.stderr)
        return 2
    with factory() as session:
        rows = weekend.rollout_summary(session, args.as_of or date.today(), state_id)
    _print(SUMMARY_HEADERS, summary_rows(rows), args.format)
    return 0


def cmd_pending(args: argparse.Namespace) -> int:
    """Print the viable units not open 7 days, with what each lacks."""
    from models.services import office, weekend

    factory, state_id, error = _scoped(args)
    if error:
        print(error, file=sys.stderr)
        return 2
    with factory() as session:
        units = weekend.pending_units(session, args.as_of or date.today(), state_id)
        names = {s.id: s.short_name for s in office.list_states(session)}
    _print(PENDING_HEADERS, pending_rows(units, names), args.format)
    return 0


def add_weekend(subparsers) -> None:
    """Register ``weekend summary`` and ``weekend pending``."""
    p = subparsers.add_parser("weekend", help="apertura en fin de semana (atención los 7 días)")
    sub = p.add_subparsers(dest="action", required=True)
    for name, func, text in (("summary", cmd_summary, "avance por entidad y bloque contra la meta"),
                             ("pending", cmd_pending, "unidades viables que aún no abren los 7 días y qué les falta")):
        q = sub.add_parser(name, help=text)
        q.add_argument("--state", help="entidad (clave INEGI, prefijo CLUES o nombre); predeterminado: la de esta "
                                       "oficina, o todas en la oficina nacional")
        q.add_argument("--as-of", type=_date, help="fecha de corte AAAA-MM-DD (predeterminado: hoy)")
        q.add_argument("--format", choices=("csv", "json"), default="csv")
        q.set_defaults(func=func)
