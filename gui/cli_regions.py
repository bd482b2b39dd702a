"""Headless ``regions`` subcommands: ``regions summary [--state XX] [--format csv|json] [--published]``.

Imports no Qt. Registered by listing :func:`add_regions` in ``gui.cli.REGISTRARS``.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys

SUMMARY_HEADERS = (
    ("state_name", "ENTIDAD"),
    ("regions", "REGIONES OPERATIVAS"),
    ("zones", "ZONAS DE SERVICIOS MEDICOS"),
    ("coordinating_hospitals", "HOSPITALES COORDINADORES"),
    ("other_hospitals", "OTROS HOSPITALES EN ZSM"),
    ("supervision_teams", "EQUIPOS DE SUPERVISION ZONAL"),
)
TOTAL = "TOTAL"


def summary_records(summary) -> list[dict[str, object]]:
    """The table as records with the printed headers: one per state, then the computed TOTAL row."""
    records = [{header: getattr(row, attr) for attr, header in SUMMARY_HEADERS} for row in summary.rows]
    total = {header: getattr(summary.total, attr) for attr, header in SUMMARY_HEADERS}
    total["ENTIDAD"] = TOTAL
    return records + [total]


def write_summary(summary, fmt: str, out=None) -> None:
    """Print a RegionsSummary as CSV (header line, rows, TOTAL) or as a JSON list of the same records."""
    out = out or sys.stdout
    records = summary_records(summary)
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header for _attr, header in SUMMARY_HEADERS])
    for record in records:
        writer.writerow(record.values())


def cmd_regions_summary(args: argparse.Namespace) -> int:
    """Print the per-state regionalisation table (registered, or the published one) with its computed total."""
    from gui.cli import _open
    from models.services import office, region_figures

    _engine, factory, _status = _open(args.db)
    with factory() as session:
        state_id = None
        if args.state:
            state = office.find_state(session, args.state)
            if state is None:
                print(f"Entidad desconocida: {args.state}", file=sys.stderr)
                return 2
            state_id = state.id
        build = region_figures.published_summary if args.published else region_figures.regions_summary
        summary = build(session, state_id)
    write_summary(summary, args.format)
    return 0


def add_regions(subparsers) -> None:
    """Register ``regions summary``."""
    p = subparsers.add_parser("regions", help="regiones operativas, zonas de servicios médicos y equipos de supervisión")
    sub = p.add_subparsers(dest="action", required=True)
    summary = sub.add_parser("summary", help="tabla por entidad (regiones, zonas, hospitales coordinadores, otros "
                                             "hospitales, ESZ) con el total calculado")
    summary.add_argument("--state", help="sólo esta entidad (clave INEGI, prefijo CLUES o nombre); todas si se omite")
    summary.add_argument("--format", choices=("csv", "json"), default="csv")
    summary.add_argument("--published", action="store_true",
                         help="las cifras publicadas del catálogo (último periodo) en lugar de las registradas")
    summary.set_defaults(func=cmd_regions_summary)
