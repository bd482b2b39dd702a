"""Headless ``report`` subcommand:
``report KIND [--state XX] [--clues CLUES] [--as-of DATE] [--from DATE --to DATE] --out FILE.pdf``,
and ``report-signers`` to set the signature block printed under every report.

Imports no Qt (and no ReportLab until a report is generated). The kinds come from ``reports.catalog``.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date

from reports.catalog import ANY, ESTABLISHMENT, NATIONAL, REPORT_KINDS, STATE


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"fecha no válida: {text!r} (use AAAA-MM-DD)") from None


def cmd_report(args: argparse.Namespace) -> int:
    """Generate one report to ``--out``."""
    from gui.cli import _open
    from models.services import office
    from reports.catalog import ReportError, ReportRequest, generate

    kind = REPORT_KINDS[args.kind]
    as_of = args.as_of or date.today()
    _engine, factory, _status = _open(args.db)
    with factory() as session:
        state_id = None
        if args.state and kind.scope in (STATE, ANY):
            state = office.find_state(session, args.state)
            if state is None:
                print(f"Entidad desconocida: {args.state}", file=sys.stderr)
                return 2
            state_id = state.id
        elif args.state and kind.scope == NATIONAL:
            print("El informe nacional consolidado abarca todas las entidades; omita --state.", file=sys.stderr)
            return 2
        elif kind.scope == STATE:
            current = office.get_office(session)
            if current is None or current.state is None:
                print("Indique la entidad con --state.", file=sys.stderr)
                return 2
            state_id = current.state.id
        if kind.scope == ESTABLISHMENT and not args.clues:
            print("Indique el establecimiento con --clues.", file=sys.stderr)
            return 2
        request = ReportRequest(args.kind, as_of, state_id, args.clues, args.period_start, args.period_end)
        try:
            data = generate(session, request, args.out)
        except ReportError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(f"Reporte generado: {args.out} ({len(data):,} bytes)")
    return 0


def cmd_signers(args: argparse.Namespace) -> int:
    """Show, or set, the signature block (Elaboró / Revisó / Vo. Bo.)."""
    from gui.cli import _open
    from models.paths import current_username
    from models.services import report_settings as rs

    _engine, factory, _status = _open(args.db)
    changes = {"Elaboró": args.elaboro, "Revisó": args.reviso, "Vo. Bo.": args.vobo}
    if any(v is not None for v in changes.values()):
        try:
            with factory.begin() as session:
                current = {s.role: s for s in rs.get_signatories(session)}
                new = []
                for role in rs.ROLES:
                    value = changes[role]
                    if value is None:
                        new.append(current[role])
                        continue
                    name, _, post = value.partition("|")
                    new.append(rs.Signatory(role, name.strip(), post.strip()))
                rs.set_signatories(session, new, current_username())
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    with factory() as session:
        for s in rs.get_signatories(session):
            print(f"{s.role}: {s.name or '—'}" + (f" · {s.post}" if s.post else ""))
    return 0


def add_reports(subparsers) -> None:
    """Register ``report KIND`` and ``report-signers``."""
    p = subparsers.add_parser("report", help="genera un reporte en PDF")
    p.add_argument("kind", choices=list(REPORT_KINDS), help="; ".join(f"{k}: {v.help}" for k, v in REPORT_KINDS.items()))
    p.add_argument("--state", help="entidad (clave INEGI, prefijo CLUES o nombre); en state, la de la oficina si se "
                                   "omite; en los demás, todas")
    p.add_argument("--clues", help="CLUES del establecimiento (reporte establishment)")
    p.add_argument("--as-of", type=_date, default=None, help="fecha de corte AAAA-MM-DD (hoy si se omite)")
    p.add_argument("--from", dest="period_start", type=_date, default=None, help="inicio del periodo AAAA-MM-DD")
    p.add_argument("--to", dest="period_end", type=_date, default=None, help="fin del periodo AAAA-MM-DD")
    p.add_argument("--out", required=True, help="archivo PDF a escribir")
    p.set_defaults(func=cmd_report)
    s = subparsers.add_parser("report-signers", help="muestra o fija las firmas de los reportes")
    s.add_argument("--elaboro", help="«Nombre|Cargo» de quien elabora")
    s.add_argument("--reviso", help="«Nombre|Cargo» de quien revisa")
    s.add_argument("--vobo", help="«Nombre|Cargo» de quien da el visto bueno")
    s.set_defaults(func=cmd_signers)
