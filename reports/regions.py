"""«Regionalización operativa»: the per-state structure (regions, zones, hospitals, supervision teams) with its
computed total, registered against published figures, and the consistency checks of each state."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from models.enums import LevelOfCare
from models.importing.plan import NO_PROGRESS, Progress
from models.services import region_figures as figs
from models.services.report_settings import DEFAULT_SIGNATORIES
from reports.catalog import ReportRequest
from reports.framework import ReportDocument, ReportMeta, fmt_int, scope_label

TITLE = "Regionalización operativa"
HEADERS = ("Entidad", "Regiones operativas", "Zonas de servicios médicos", "Hospitales coordinadores",
           "Otros hospitales en ZSM", "Equipos de supervisión zonal")
SHORT = ("Regiones", "Zonas", "Hosp. coord.", "Otros hosp.", "ESZ")
SOURCE_REGISTERED = "Registro de regiones, zonas y equipos de supervisión de la coordinación (base de datos local)."


def _published_source(published: figs.RegionsSummary) -> str:
    period = figs.period_label(published.period_start, published.period_end)
    parts = ["Cifras publicadas por la oficina nacional" + (f" ({published.source})" if published.source else "")]
    if period:
        parts.append(f"periodo {period}")
    return "; ".join(parts) + ". Registradas: " + SOURCE_REGISTERED


def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the report for one state (``request.state_id``) or for all states (None); returns the PDF bytes."""
    state_id, as_of = request.state_id, request.as_of
    progress.report(0, 3, "Leyendo la regionalización")
    registered = figs.regions_summary(session, state_id)
    published = figs.published_summary(session, state_id)
    state_name = registered.rows[0].state_name if state_id is not None and registered.rows else None
    doc = ReportDocument(ReportMeta(TITLE, scope_label(state_name), as_of,
                                    subtitle="Regiones, zonas de servicios médicos y supervisión zonal"))

    # 1. registered structure
    doc.heading("Estructura registrada por entidad")
    rows = [(r.state_name, *r.figures()) for r in registered.rows]
    total = (figs.TOTAL_LABEL, *registered.total.figures())
    doc.check_total("Estructura registrada", [r[1:] for r in rows], total[1:])
    doc.table(HEADERS, rows, total=total, numeric=range(1, 6), widths=[2.2, 1, 1, 1, 1, 1], source=SOURCE_REGISTERED)

    # 2. registered vs published
    doc.heading("Cifras registradas frente a publicadas")
    pub_by_state = {r.state_id: r for r in published.rows}
    side_rows, reg_rows, pub_rows = [], [], []
    for r in registered.rows:
        p = pub_by_state.get(r.state_id)
        pf = p.figures() if p else (None,) * 5
        cells = [r.state_name]
        for reg, pub in zip(r.figures(), pf):
            cells += [reg, pub]
        side_rows.append(cells)
        reg_rows.append(r.figures())
        pub_rows.append(tuple(x or 0 for x in pf))
    reg_total = figs.total_row([r for r in registered.rows])
    pub_total_figs = tuple(sum(col) for col in zip(*pub_rows)) if pub_rows else (0,) * 5
    total_cells = [figs.TOTAL_LABEL]
    for reg, pub in zip(reg_total.figures(), pub_total_figs):
        total_cells += [reg, pub]
    group = [""] + [h for s in SHORT for h in (s, "")]
    sub = ["Entidad"] + ["Reg.", "Pub."] * 5
    spans = [((0, 0), (0, 1))] + [((1 + 2 * i, 0), (2 + 2 * i, 0)) for i in range(5)]
    group[0] = "Entidad"
    doc.table(sub, side_rows, total=total_cells, numeric=range(1, 11), widths=[2.2] + [0.62] * 10,
              header_rows=[group], spans=spans, source=_published_source(published))
    doc.spacer(4)
    for (key, label), reg, pub in zip(figs.FIGURES, reg_total.figures(), pub_total_figs):
        doc.indicator(f"{label}: registradas / publicadas", reg, pub)

    # 3. consistency checks
    progress.report(1, 3, "Revisando la consistencia")
    doc.heading("Revisiones de consistencia")
    reports = [figs.consistency(session, row.state_id) for row in registered.rows]
    if state_id is not None:
        for report in reports:
            _consistency_section(doc, report)
    else:
        _consistency_table(doc, reports, [row.state_name for row in registered.rows])

    doc.signatures(signatories)
    progress.report(2, 3, "Componiendo el PDF")
    return doc.build(out)


CHECK_HEADERS = ("Entidad", "Cifras distintas a las publicadas", "Zonas sin hospital coordinador válido",
                 "Zonas coordinadas desde otra entidad", "Unidades sin zona", "Regiones sin zonas")


def _consistency_table(doc: ReportDocument, reports: list[figs.ConsistencyReport], names: list[str]) -> None:
    """National scope: one row per state with the number of findings of each check, and the computed total."""
    rows = [(name, len(r.differences), len(r.zones_without_coordinator), len(r.cross_state_coordinators),
             len(r.units_without_zone), len(r.regions_without_zones)) for r, name in zip(reports, names)]
    total = (figs.TOTAL_LABEL, *(sum(col) for col in zip(*(row[1:] for row in rows))))
    doc.table(CHECK_HEADERS, rows, total=total if rows else None, numeric=range(1, 6), widths=[2.2, 1, 1, 1, 1, 1],
              source=SOURCE_REGISTERED + " Detalle por entidad: genere el reporte con --state.")
    for r, row in zip(reports, rows):
        if not r.clean:
            found = [f"{h.lower()}: {fmt_int(n)}" for h, n in zip(CHECK_HEADERS[1:], row[1:]) if n]
            doc.problem("Consistencia", f"{row[0]}: " + "; ".join(found) + ".")


def _consistency_section(doc: ReportDocument, report: figs.ConsistencyReport) -> None:
    """The check lists of one state; each failing check is also listed on the quality page."""
    name = report.state_name
    if report.differences:
        doc.paragraph("Cifras que difieren de las publicadas"
                      + (f" ({report.period_label})" if report.period_label else "") + ":")
        doc.table(["Cifra", "Registrada", "Publicada", "Diferencia"],
                  [(c.label, c.registered, c.published, f"{c.difference:+,}") for c in report.differences],
                  numeric=(1, 2, 3), widths=[3, 1, 1, 1])
        for c in report.differences:
            doc.problem("Cifras publicadas", f"{name}: {c.label.lower()} registradas {fmt_int(c.registered)}, "
                                             f"publicadas {fmt_int(c.published)}.")
    elif not any(c.published is not None for c in report.comparisons):
        doc.paragraph("No hay cifras publicadas para comparar.")
    else:
        doc.paragraph("Las cifras registradas coinciden con las publicadas.")
    checks = [
        ("Zonas sin hospital coordinador válido", ["Zona", "Región", "Motivo"],
         [(z.zone_name, z.region_name, z.reason) for z in report.zones_without_coordinator], [2, 2, 4]),
        ("Zonas coordinadas por un hospital de otra entidad", ["Zona", "Entidad de la zona", "CLUES", "Hospital",
                                                               "Entidad del hospital"],
         [(c.zone_name, c.zone_state, c.clues, c.establishment_name, c.establishment_state)
          for c in report.cross_state_coordinators], [2, 1.5, 1.3, 3, 1.5]),
        ("Unidades sin zona de servicios médicos", ["CLUES", "Nombre", "Nivel"],
         [(u.clues, u.name, _level(u.level)) for u in report.units_without_zone], [1.3, 4, 1.5]),
        ("Regiones sin zonas activas", ["Región", "Motivo"],
         [(r.region_name, r.reason) for r in report.regions_without_zones], [2, 4]),
    ]
    for title, headers, rows, widths in checks:
        doc.heading(f"{title}: {fmt_int(len(rows))}", level=2)
        if rows:
            doc.table(headers, rows, widths=widths, source=SOURCE_REGISTERED)
            doc.problem(title, f"{name}: {fmt_int(len(rows))}.")
        else:
            doc.paragraph("Sin observaciones.")


def _level(value: str) -> str:
    try:
        return LevelOfCare(value).label
    except ValueError:
        return value


__all__ = ["build", "TITLE"]
