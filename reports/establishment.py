"""«Ficha del establecimiento»: everything about one establishment on one or two pages: identification,
regionalisation and referral, weekend opening at the cut-off date, services and their responsables sanitarios,
sanitary authorisations with their history, and the attached documents.

Read-only. A retired establishment still prints, under a «Dado de baja» notice.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from reportlab.lib import colors
from reportlab.platypus import Paragraph, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session
from xml.sax.saxutils import escape

from models.entities import (
    AuthorisationType,
    Establishment,
    Institution,
    Region,
    State,
    SupervisionAssignment,
    SupervisionTeam,
    Typology,
    Zone,
)
from models.enums import AuthorisationStatus, LevelOfCare, OperatingStatus, ShiftKind, StaffRole
from models.importing.plan import NO_PROGRESS, Progress
from models.services import authorisations as auth
from models.services import documents as docs
from models.services import referrals, weekend
from models.services.report_settings import DEFAULT_SIGNATORIES
from models.validation import normalize_clues
from reports.catalog import ReportError, ReportRequest
from reports.compliance import short_name
from reports.framework import FONT_BOLD, GRID, GUINDA, ReportDocument, ReportMeta, fmt_date, fmt_int, scope_label

TITLE = "Ficha del establecimiento"
SOURCE = "Registro de establecimientos, regionalización, apertura en fin de semana y autorizaciones sanitarias de la " \
         "coordinación (base de datos local)."
LABEL_FILL = colors.HexColor("#F2ECEE")
RETIRED_FILL = colors.HexColor("#FBE9EC")
WEEKDAY_NAMES = ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo")
FILE_STATUS = {docs.OK: "Íntegro", docs.MISSING: "No se encuentra", docs.TAMPERED: "Modificado"}


def _dmy(value: date | None) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}" if value else "—"


def _label(enum_cls, value: str | None) -> str:
    """An enum value's Spanish label (the raw value when it is not in the catalogue, «—» when empty)."""
    if not value:
        return "—"
    try:
        return enum_cls(value).label
    except ValueError:
        return str(value)


def _or_dash(text: str | None) -> str:
    return text.strip() if text and text.strip() else "—"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):,.1f} MB"


def find(session: Session, clues: str | None) -> tuple[Establishment, bool]:
    """The establishment with this CLUES (retired ones included), or with this old SSA CLUES; raises ReportError.

    Returns (establishment, found by its previous CLUES)."""
    key = normalize_clues(clues)
    if not key:
        raise ReportError("Indique la CLUES del establecimiento.")
    est = session.scalars(select(Establishment).where(Establishment.clues == key)).first()
    if est is not None:
        return est, False
    est = session.scalars(select(Establishment).where(Establishment.previous_clues == key)
                          .order_by(Establishment.deleted_at.is_not(None), Establishment.id)).first()
    if est is not None:
        return est, True
    raise ReportError(f"No existe el establecimiento con CLUES {key}.")


# ------------------------------------------------------------------------------------------------ layout helpers

class Card:
    """The report document plus the small layouts of a card: label/value grids and notices."""

    def __init__(self, doc: ReportDocument):
        self.doc = doc
        self.label_style = doc.styles["cell"].clone("card_label", fontName=FONT_BOLD, textColor=GUINDA)
        self.value_style = doc.styles["cell"].clone("card_value", fontSize=8, leading=10)

    def facts(self, rows: Sequence[Sequence[tuple[str, str]]]) -> None:
        """A label/value grid: each row holds one pair (spanning the width) or two pairs side by side."""
        widths = [0.19, 0.31, 0.19, 0.31]
        data, style = [], [
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        for r, pairs in enumerate(rows):
            cells = []
            for label, value in pairs:
                cells += [Paragraph(escape(label), self.label_style), Paragraph(escape(value), self.value_style)]
            if len(pairs) == 1:
                cells += ["", ""]
                style.append(("SPAN", (1, r), (3, r)))
            data.append(cells)
            style += [("BACKGROUND", (0, r), (0, r), LABEL_FILL)]
            if len(pairs) > 1:
                style += [("BACKGROUND", (2, r), (2, r), LABEL_FILL)]
        table = Table(data, colWidths=[w * self.doc.width for w in widths], style=TableStyle(style))
        self.doc.flowable(table)
        self.doc.spacer(4)

    def notice(self, title: str, text: str, fill=RETIRED_FILL, border=GUINDA) -> None:
        """A boxed notice (e.g. «Dado de baja») across the page."""
        body = self.doc.styles["body"]
        content = [Paragraph(f"<b>{escape(title)}</b>", body.clone("notice_title", fontSize=11, leading=14,
                                                                   textColor=border)),
                   Paragraph(escape(text), body)]
        box = Table([[content]], colWidths=[self.doc.width], style=TableStyle([
            ("BOX", (0, 0), (-1, -1), 1.2, border), ("BACKGROUND", (0, 0), (-1, -1), fill),
            ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        self.doc.flowable(box)
        self.doc.spacer(6)


# ------------------------------------------------------------------------------------------------ build

def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the card of ``request.clues`` at ``request.as_of``; returns the PDF bytes."""
    steps = 4
    progress.report(0, steps, "Buscando el establecimiento")
    est, by_previous = find(session, request.clues)
    as_of = request.as_of
    state = session.get(State, est.state_id)
    doc = ReportDocument(ReportMeta(TITLE, scope_label(state.short_name if state else None), as_of,
                                    subtitle=f"CLUES {est.clues}"))
    card = Card(doc)
    retired = est.deleted_at is not None or est.operating_status == OperatingStatus.BAJA

    doc.heading(est.name)
    status = est.operating_status.label if est.operating_status else "—"
    doc.paragraph(f"CLUES {est.clues} · {state.name if state else '—'} · {_label(LevelOfCare, est.level_of_care)} · "
                  f"{'Dado de baja' if retired else status}. Situación al {fmt_date(as_of)}.")
    doc.spacer(4)
    if retired:
        when = f" el {fmt_date(est.status_changed_on)}" if est.status_changed_on else ""
        reason = f" Motivo: {est.retirement_reason.rstrip('.')}." if est.retirement_reason else ""
        card.notice("Dado de baja", f"Este establecimiento fue dado de baja{when}.{reason} La ficha muestra los datos "
                                    "que tenía registrados; no cuenta en las cifras de la coordinación.")
    if by_previous:
        doc.paragraph(f"Se buscó por la CLUES anterior {normalize_clues(request.clues)} (tabla de equivalencias); su "
                      f"CLUES actual es {est.clues}.")
        doc.spacer(4)

    _identification(session, card, est, state)
    progress.report(1, steps, "Leyendo la regionalización y la apertura en fin de semana")
    _regionalisation(session, card, est, retired)
    _weekend(session, card, est, as_of)
    progress.report(2, steps, "Leyendo servicios y autorizaciones sanitarias")
    services = auth.list_services(session, est.id, as_of)
    _services(doc, services, as_of)
    procedures = auth.list_authorisations(session, est.id)
    _authorisations(session, doc, est, procedures, services, as_of)
    _documents(session, doc, procedures)
    doc.signatures(signatories)
    progress.report(3, steps, "Componiendo el PDF")
    data = doc.build(out)
    progress.report(steps, steps, "Reporte listo")
    return data


def _identification(session: Session, card: Card, est: Establishment, state: State | None) -> None:
    card.doc.heading("Identificación", level=2)
    institution = session.scalars(select(Institution.name).where(Institution.code == est.institution_code)).first()
    typology = session.get(Typology, est.typology_id) if est.typology_id else None
    coordinates = (f"{est.latitude:.6f}, {est.longitude:.6f}" if est.latitude is not None and est.longitude is not None
                   else "Sin coordenadas")
    status = est.operating_status.label if est.operating_status else "—"
    if est.status_changed_on:
        status += f" (desde el {_dmy(est.status_changed_on)})"

    def coded(code: str, name: str) -> str:
        return f"{code} · {name}" if code and name else (name or code or "—")

    card.facts([
        [("CLUES", est.clues), ("CLUES anterior (SSA)", est.previous_clues or "—")],
        [("Nombre", est.name)],
        [("Entidad", state.name if state else "—"), ("Jurisdicción", _or_dash(est.jurisdiction))],
        [("Municipio", coded(est.municipality_code, est.municipality)),
         ("Localidad", coded(est.locality_code, est.locality))],
        [("Domicilio", _or_dash(est.address) + (f", C.P. {est.postal_code}" if est.postal_code else ""))],
        [("Nivel de atención", _label(LevelOfCare, est.level_of_care)),
         ("Tipo de establecimiento", _or_dash(est.establishment_type))],
        [("Tipología", typology.name if typology else "—"), ("Subtipología", _or_dash(est.subtypology))],
        [("Institución", coded(est.institution_code, institution or "")), ("Estatus de operación", status)],
        [("Inicio de operación", _dmy(est.operation_started_on)), ("Coordenadas (lat., long.)", coordinates)],
        *([[("Notas", est.notes)]] if est.notes.strip() else []),
    ])


def _regionalisation(session: Session, card: Card, est: Establishment, retired: bool) -> None:
    doc = card.doc
    doc.heading("Regionalización y referencia", level=2)
    region = session.get(Region, est.region_id) if est.region_id else None
    zone = session.get(Zone, est.zone_id) if est.zone_id else None
    coordinator = session.get(Establishment, zone.coordinating_establishment_id) \
        if zone is not None and zone.coordinating_establishment_id else None
    referral = referrals.referral_for(session, est.id)
    if referral.hospital_id == est.id:  # the zone's coordinating hospital is, by default, its own referral
        referral_text = "Es el hospital coordinador de su zona"
    elif referral.hospital_id is not None:
        how = "coordinador de su zona, por omisión" if referral.is_default else "asignado"
        distance = f"; {referral.distance_km:,.1f} km en línea recta" if referral.distance_km is not None else ""
        referral_text = f"{referral.hospital_clues} · {referral.hospital_name} ({how}{distance})"
    else:
        referral_text = "Sin hospital de referencia"
    coordinates = [z for z in session.scalars(select(Zone.name).where(
        Zone.coordinating_establishment_id == est.id, Zone.deleted_at.is_(None)).order_by(Zone.name))]
    teams = list(session.scalars(
        select(SupervisionTeam.name).join(SupervisionAssignment, SupervisionAssignment.team_id == SupervisionTeam.id)
        .where(SupervisionAssignment.establishment_id == est.id, SupervisionAssignment.deleted_at.is_(None),
               SupervisionTeam.deleted_at.is_(None)).order_by(SupervisionTeam.name)))

    def retired_mark(obj) -> str:
        return " (dada de baja)" if obj is not None and obj.deleted_at is not None else ""

    rows = [
        [("Región operativa", (region.name + retired_mark(region)) if region else "Sin región"),
         ("Zona de servicios médicos", (zone.name + retired_mark(zone)) if zone else "Sin zona")],
        [("Hospital coordinador de la zona", f"{coordinator.clues} · {coordinator.name}" if coordinator else "—")],
        [("Hospital de referencia", referral_text)],
    ]
    if coordinates:
        rows.append([("Coordina", "Hospital coordinador de: " + ", ".join(coordinates))])
    rows.append([("Supervisión zonal", ", ".join(teams) if teams else "Sin equipo de supervisión asignado")])
    card.facts(rows)
    if not retired and zone is None and est.level_of_care == LevelOfCare.PRIMER:
        doc.problem("Regionalización", f"{est.clues} no tiene zona de servicios médicos asignada.")


def _weekend(session: Session, card: Card, est: Establishment, as_of: date) -> None:
    doc = card.doc
    doc.heading("Apertura en fin de semana", level=2)
    problem = weekend.eligibility(session, [est.id])[est.id]
    if problem:
        doc.paragraph(f"No aplica: {problem}")
        return
    schedule = weekend.get_schedule(session, est.id)
    if schedule.id is None:
        doc.paragraph("Sin registro de apertura en fin de semana.")
        return
    reasons = weekend.why_not_open(schedule, as_of)
    situation = (f"abre los 7 días al {fmt_date(as_of)}." if not reasons
                 else f"no abre los 7 días al {fmt_date(as_of)}: " + "; ".join(reasons) + ".")
    card.facts([
        [("Viable", "Sí" if schedule.viable else "No"),
         ("Abre en fin de semana desde", _dmy(schedule.weekend_since))],
        [("Situación al corte", situation[0].upper() + situation[1:])],
        [("Turnos", shifts_text(schedule.shifts))],
        *([[("Notas", schedule.notes)]] if schedule.notes else []),
    ])
    if schedule.staff:
        def shift_name(index: int | None) -> str:
            if index is None or not 0 <= index < len(schedule.shifts):
                return "Todos los turnos"
            return schedule.shifts[index].label().capitalize()

        rows = [(_label(StaffRole, p.role), p.full_name or "Vacante", _or_dash(p.contract_type), _dmy(p.hired_on),
                 _dmy(p.left_on), shift_name(p.shift), "Sí" if p.active_on(as_of) else "No")
                for p in schedule.staff]
        doc.spacer(4)
        doc.table(("Puesto", "Nombre", "Contratación", "Alta", "Baja", "Turno", "Activo al corte"), rows,
                  widths=[1, 2.2, 1.1, 0.9, 0.9, 1.8, 0.8])
    else:
        doc.paragraph("Sin personal asignado a los turnos de fin de semana.")
    if schedule.interruptions:
        doc.spacer(4)
        doc.table(("Interrumpida desde", "Hasta", "Motivo"),
                  [(_dmy(i.starts_on), _dmy(i.ends_on) if i.ends_on else "Sigue interrumpida", _or_dash(i.reason))
                   for i in schedule.interruptions], widths=[1, 1, 4])
    doc.source("Registro de apertura en fin de semana de la unidad. Abre los 7 días cuando es viable, su fecha de "
               "inicio llegó, cada día de lunes a domingo tiene un turno con médico activo y no hay interrupción esa semana.")


def shifts_text(shifts: Sequence[weekend.ShiftData]) -> str:
    """«Lunes a viernes: Matutino 08:00-14:00 · Sábado y domingo: Jornada acumulada de fin de semana 08:00-20:00»:
    consecutive days with the same shifts are written once."""
    by_day: dict[int, list[str]] = {}
    for shift in shifts:
        by_day.setdefault(shift.weekday, []).append(f"{_label(ShiftKind, shift.kind)} {shift.hours()}")
    runs: list[tuple[int, int, str]] = []
    for day in sorted(by_day):
        text = ", ".join(by_day[day])
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))

    def name(day: int) -> str:
        return WEEKDAY_NAMES[day] if 0 <= day <= 6 else f"Día {day}"

    parts = []
    for first, last, text in runs:
        days = name(first) if first == last else (
            f"{name(first)} y {name(last).lower()}" if last == first + 1 else f"{name(first)} a {name(last).lower()}")
        parts.append(f"{days}: {text}")
    return " · ".join(parts) if parts else "Sin turnos definidos"


def _services(doc: ReportDocument, services: list[auth.ServiceData], as_of: date) -> None:
    doc.heading("Servicios y responsables sanitarios", level=2)
    if not services:
        doc.paragraph("Sin servicios registrados.")
        return
    rows = []
    for s in services:
        r = s.current_responsable
        person = r.full_name if r else "Sin responsable sanitario vigente"
        detail = " · ".join(x for x in ((r.profession if r else ""),
                                        (f"Céd. {r.cedula_profesional}" if r and r.cedula_profesional else "")) if x)
        period = (f"{_dmy(r.valid_from)} – {_dmy(r.valid_to) if r.valid_to else 'vigente'}" if r else "—")
        rows.append((s.service_name, "Sí" if s.uses_ionising_radiation else "No", person, detail or "—", period))
    doc.table(("Servicio", "Radiación ionizante", "Responsable sanitario", "Profesión y cédula", "Periodo"), rows,
              widths=[2, 0.9, 2, 1.8, 1.6], source=f"Responsable sanitario vigente al {fmt_date(as_of)}.")
    lacking = [s.service_name for s in services if s.lacks_responsable]
    if lacking:
        noun = "servicio" if len(lacking) == 1 else "servicios"
        doc.paragraph(f"{fmt_int(len(lacking))} {noun} sin responsable sanitario vigente: {', '.join(lacking)}.")


def _authorisations(session: Session, doc: ReportDocument, est: Establishment,
                    procedures: list[auth.AuthorisationData], services: list[auth.ServiceData], as_of: date) -> None:
    doc.heading("Autorizaciones sanitarias", level=2)
    type_names = dict(session.execute(select(AuthorisationType.code, AuthorisationType.name)).all())
    service_names = {s.id: s.service_name for s in services}
    try:
        requirements = auth.requirements(session, est.id)
    except auth.NotFoundError:  # retired: nothing is required of it any more
        requirements = []
    by_type: dict[str, list[auth.AuthorisationData]] = {}
    for p in procedures:
        by_type.setdefault(p.type_code, []).append(p)

    def status(p: auth.AuthorisationData) -> str:
        text = _label(AuthorisationStatus, p.status)
        if AuthorisationStatus(p.status) in auth.HOLDING and p.expires_on is not None and p.expires_on < as_of:
            text += " (vencida)"
        return text

    def procedure_cells(p: auth.AuthorisationData) -> tuple:
        return (status(p), _or_dash(p.folio), p.authority_code or "—",
                _dmy(p.submitted_on), _dmy(p.granted_on), _dmy(p.expires_on))

    rows, not_required = [], []
    listed = set()
    for req in requirements:
        if req.override is not None:
            name, required = f"{req.type_name}. Excepción: {req.override_reason}", "Sí" if req.required else "No"
        elif req.required:
            name, required = f"{req.type_name}. {req.default_reason or 'Tiene un trámite registrado.'}", "Sí"
        else:
            name, required = req.type_name, "No"
        mine = by_type.get(req.type_code, [])
        listed.add(req.type_code)
        if not mine and not req.required:
            not_required.append(req.type_name)
            continue
        if not mine:
            rows.append((name, required, "Sin trámite", "—", "—", "—", "—", "—"))
        for p in mine:
            service = f" Servicio: {service_names.get(p.service_id, '—')}." if p.service_id else ""
            rows.append((name + service, required, *procedure_cells(p)))
    for code, mine in by_type.items():  # retired establishment (no requirements), or a type out of the catalogue
        if code in listed:
            continue
        for p in mine:
            service = f" Servicio: {service_names.get(p.service_id, '—')}." if p.service_id else ""
            rows.append((type_names.get(code, code) + service, "—", *procedure_cells(p)))
    if rows:
        doc.table(("Autorización", "Requerida", "Estado", "Folio", "Autoridad", "Ingreso", "Otorgada", "Vence"), rows,
                  widths=[116, 50, 60, 80, 50, 50, 50, 50],  # points: a date and a folio fit their column
                  source="Requerida por la regla del tipo de autorización (nivel de atención o servicios) o por una "
                         f"excepción registrada. Estado al {fmt_date(as_of)}.")
    else:
        doc.paragraph("Sin autorizaciones requeridas ni trámites registrados.")
    if not_required:
        doc.paragraph("No requeridas (sin trámite registrado): " + ", ".join(not_required) + ".")
    for p in procedures:
        if AuthorisationStatus(p.status) in auth.HOLDING and p.expires_on is not None and p.expires_on < as_of:
            doc.problem("Vigencia", f"{est.clues} {type_names.get(p.type_code, p.type_code)}: registrada como "
                                    f"«{_label(AuthorisationStatus, p.status)}» pero venció el {_dmy(p.expires_on)}.")
        if p.granted_on is not None and p.granted_on > as_of:
            doc.problem("Fechas", f"{est.clues} {type_names.get(p.type_code, p.type_code)}: otorgada el "
                                  f"{_dmy(p.granted_on)}, después de la fecha de corte.")

    events = []
    for p in procedures:
        name = short_name(type_names.get(p.type_code, p.type_code))
        for e in auth.history(session, p.id):
            change = (f"{_label(AuthorisationStatus, e.from_status)} → " if e.from_status else "Registro: ") + \
                _label(AuthorisationStatus, e.to_status)
            events.append((e.occurred_on, p.id, name, change, e.user, e.comment))
    if events:
        events.sort(key=lambda e: (e[1], e[0]))
        doc.heading("Historial de los trámites", level=2)
        doc.table(("Autorización", "Fecha", "Cambio de estado", "Registró", "Comentario"),
                  [(name, _dmy(when), change, user, comment or "—")
                   for when, _id, name, change, user, comment in events],
                  widths=[1.9, 0.85, 2.2, 1.1, 2.6])


def _documents(session: Session, doc: ReportDocument, procedures: list[auth.AuthorisationData]) -> None:
    doc.heading("Documentos adjuntos", level=2)
    type_names = dict(session.execute(select(AuthorisationType.code, AuthorisationType.name)).all())
    rows = []
    for p in procedures:
        for d in docs.list_documents(session, p.id):
            check = docs.verify_document(d)
            rows.append((short_name(type_names.get(p.type_code, p.type_code)), d.original_name, _size(d.size_bytes),
                         _dmy(d.added_at.date()), d.added_by, FILE_STATUS.get(check.status, check.status)))
            if not check.ok:
                doc.problem("Documentos", check.message)
    if rows:
        doc.table(("Autorización", "Documento", "Tamaño", "Adjuntado", "Por", "Archivo"), rows,
                  widths=[1.8, 2.6, 0.8, 0.9, 1.0, 1.0],
                  source="Carpeta de documentos de la coordinación; «Íntegro»: el archivo coincide con su huella "
                         "digital (SHA-256) registrada al adjuntarlo.")
    else:
        doc.paragraph("Sin documentos adjuntos.")


__all__ = ["build", "find", "TITLE"]
