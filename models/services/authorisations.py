"""Sanitary authorisations: what each establishment requires, its services and responsables sanitarios,
the procedures and their state machine, the state compliance table and the alert lists.

Rules kept here (no Qt, never commits; the caller owns the transaction):

* **Required** is derived per establishment and authorisation type from the type's default rule (level of
  care in ``required_for_levels``, or an active service whose code is in ``required_for_service_code``,
  read as a comma-separated list) and can be overridden per establishment with a reason. The override lives
  on the establishment-level procedure of that type (``service_id`` empty), created when needed.
  Registering a procedure of a type makes the pair required too, unless overridden or all its procedures
  are *No aplica*.
* **Status changes** follow ``TRANSITIONS`` (data, not code) and each one leaves an ``AuthorisationEvent``
  (date, user in ``changed_by``, comment) and an audit entry.
* **Compliance**: one item per required procedure (a required pair with no procedure counts once, as
  not started). % = obtained in the period ÷ required × 100, per row and for the total row alike.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import selectinload
from sqlalchemy.orm import Session

from models.entities import (
    Authorisation,
    AuthorisationEvent,
    AuthorisationType,
    Authority,
    Establishment,
    EstablishmentService,
    ResponsableSanitario,
    ServiceType,
)
from models.enums import AuthorisationStatus as S
from models.enums import LevelOfCare, OperatingStatus
from models.base import utcnow
from models.services import audit, users
from models.text import tidy
from models.validation import ValidationError, validate_optional_text, validate_required_text

# ---------------------------------------------------------------------------------------------- rules as data

TRANSITIONS: dict[S, frozenset[S]] = {
    S.REQUERIDA: frozenset({S.INTEGRANDO_EXPEDIENTE, S.INGRESADA, S.NO_APLICA}),
    S.INTEGRANDO_EXPEDIENTE: frozenset({S.INGRESADA, S.REQUERIDA, S.NO_APLICA}),
    S.INGRESADA: frozenset({S.EN_TRAMITE, S.OTORGADA, S.INTEGRANDO_EXPEDIENTE}),
    # observations / prevention from the authority send the file back to be completed
    S.EN_TRAMITE: frozenset({S.OTORGADA, S.INTEGRANDO_EXPEDIENTE}),
    S.OTORGADA: frozenset({S.VIGENTE, S.REVOCADA}),
    S.VIGENTE: frozenset({S.POR_VENCER, S.VENCIDA, S.REVOCADA}),
    # a renewal submitted before expiry is a new procedure (the current one stays current until it expires)
    S.POR_VENCER: frozenset({S.VIGENTE, S.VENCIDA, S.REVOCADA}),
    S.VENCIDA: frozenset({S.INTEGRANDO_EXPEDIENTE, S.INGRESADA, S.NO_APLICA}),
    S.REVOCADA: frozenset({S.INTEGRANDO_EXPEDIENTE, S.NO_APLICA}),
    S.NO_APLICA: frozenset({S.REQUERIDA}),
}
"""Allowed changes of status: from → the statuses it may move to."""

HOLDING = frozenset({S.OTORGADA, S.VIGENTE, S.POR_VENCER})
"""Statuses in which the establishment holds the authorisation (current unless its expiry date passed)."""
IN_PROCESS = frozenset({S.INGRESADA, S.EN_TRAMITE})
"""Statuses counted as *en trámite* (submitted to the authority, not yet resolved)."""
NOT_STARTED = frozenset({S.REQUERIDA})
# the same sets as plain values, for the column-wise scan (statuses read as strings)
_HOLDING = frozenset(s.value for s in HOLDING)
_IN_PROCESS = frozenset(s.value for s in IN_PROCESS)
_NOT_STARTED = frozenset(s.value for s in NOT_STARTED)
_NO_APLICA = S.NO_APLICA.value
NEEDS_SUBMISSION = frozenset({S.INGRESADA, S.EN_TRAMITE, S.OTORGADA, S.VIGENTE, S.POR_VENCER, S.VENCIDA})
NEEDS_GRANT = frozenset({S.OTORGADA, S.VIGENTE, S.POR_VENCER, S.VENCIDA, S.REVOCADA})
NEEDS_EXPIRY = frozenset({S.POR_VENCER, S.VENCIDA})
NEEDS_COMMENT = frozenset({S.NO_APLICA, S.REVOCADA})
RENEWABLE = frozenset({S.VENCIDA, S.REVOCADA})
ACTIVE_ESTABLISHMENT_STATUSES = frozenset({OperatingStatus.EN_OPERACION, OperatingStatus.CERRADO_TEMPORALMENTE,
                                           OperatingStatus.EN_CONSTRUCCION})
ALERT_WINDOWS = (30, 60, 90)


class NotFoundError(Exception):
    """No such record; message in Spanish."""


class ConcurrencyError(Exception):
    """The record changed since it was read; message in Spanish."""


def can_transition(from_status: S | str, to_status: S | str) -> bool:
    """True when ``TRANSITIONS`` allows the change."""
    return S(to_status) in TRANSITIONS[S(from_status)]


def _fmt(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def percent(part: int, whole: int) -> float | None:
    """part ÷ whole × 100 rounded half up to two decimals (16 / 1,754 → 0.91); None when whole is 0."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------- DTOs

@dataclass
class Requirement:
    """Whether an establishment requires an authorisation type, and why."""

    establishment_id: int
    type_code: str
    type_name: str
    by_default: bool
    default_reason: str
    override: bool | None
    override_reason: str
    registered: bool
    required: bool


@dataclass
class ResponsableData:
    """A responsable sanitario of a service for a period."""

    service_id: int
    full_name: str
    profession: str = ""
    cedula_profesional: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    id: int | None = None


@dataclass
class ServiceData:
    """A service of an establishment with its current responsable sanitario (None = flagged)."""

    id: int
    establishment_id: int
    service_code: str
    service_name: str
    uses_ionising_radiation: bool
    notes: str
    current_responsable: ResponsableData | None
    responsables: list[ResponsableData] = field(default_factory=list)

    @property
    def lacks_responsable(self) -> bool:
        return self.current_responsable is None


@dataclass
class AuthorisationData:
    """Editable fields of a procedure (the status changes only through ``change_status``)."""

    establishment_id: int
    type_code: str
    authority_code: str | None = None
    service_id: int | None = None
    folio: str = ""
    submitted_on: date | None = None
    granted_on: date | None = None
    expires_on: date | None = None
    notes: str = ""
    status: str = S.REQUERIDA.value
    id: int | None = None
    uuid: str | None = None
    version: int | None = None
    required_override: bool | None = None
    override_reason: str = ""


@dataclass
class EventData:
    """One change of state: when it happened, who recorded it and why."""

    from_status: str | None
    to_status: str
    occurred_on: date
    user: str
    comment: str


@dataclass
class ComplianceItem:
    """One required procedure of the compliance table (``authorisation_id`` None: not started, no record)."""

    establishment_id: int
    clues: str
    establishment_name: str
    type_code: str
    authorisation_id: int | None
    status: str | None
    folio: str
    granted_on: date | None
    expires_on: date | None
    current: bool
    in_process: bool
    obtained: bool
    not_started: bool


@dataclass
class SummaryRow:
    """One row of the compliance table (``type_code`` empty on the total row)."""

    type_code: str
    label: str
    required: int
    current: int
    in_process: int
    obtained: int
    not_started: int
    percent: float | None  # obtained ÷ required × 100, as published
    current_percent: float | None  # current ÷ required × 100

    @property
    def is_total(self) -> bool:
        return not self.type_code


@dataclass
class AlertItem:
    """A procedure (or a service) needing attention."""

    establishment_id: int
    clues: str
    establishment_name: str
    what: str  # type code, or service code for services without responsable
    authorisation_id: int | None
    status: str | None
    expires_on: date | None
    days_left: int | None


@dataclass
class Alerts:
    """Alert lists of a scope. Expiring windows are cumulative (the 60-day list includes the 30-day one)."""

    expiring: dict[int, list[AlertItem]]
    expired: list[AlertItem]
    not_started: list[AlertItem]
    services_without_responsable: list[AlertItem]


# ---------------------------------------------------------------------------------------------- helpers

def _establishment(session: Session, establishment_id: int) -> Establishment:
    obj = session.get(Establishment, establishment_id)
    if obj is None or obj.deleted_at is not None:
        raise NotFoundError("El establecimiento no existe o está dado de baja.")
    return obj


def _type_by_code(session: Session, code: str) -> AuthorisationType | None:
    return session.scalars(select(AuthorisationType).where(AuthorisationType.code == code)).first()


def _codes(text: str | None) -> set[str]:
    return {c.strip().upper() for c in (text or "").split(",") if c.strip()}


def _types(session: Session) -> list[AuthorisationType]:
    return list(session.scalars(select(AuthorisationType).where(AuthorisationType.deleted_at.is_(None))
                                .order_by(AuthorisationType.id)))


def default_rule(level: LevelOfCare | str, service_codes: set[str], type_: AuthorisationType) -> str | None:
    """Why ``type_`` is required by default (Spanish), or None when its rule does not apply."""
    level = LevelOfCare(level)
    if level.value in _codes(type_.required_for_levels):
        return f"Requerida para unidades de {level.label.lower()}."
    hits = sorted(_codes(type_.required_for_service_code) & service_codes)
    if hits:
        return f"Requerida por el servicio {', '.join(hits)}."
    return None


def _service_codes(session: Session, establishment_ids: list[int] | None) -> dict[int, set[str]]:
    query = (select(EstablishmentService.establishment_id, ServiceType.code)
             .join(ServiceType, ServiceType.id == EstablishmentService.service_type_id)
             .where(EstablishmentService.deleted_at.is_(None)))
    if establishment_ids is not None:
        query = query.where(EstablishmentService.establishment_id.in_(establishment_ids))
    out: dict[int, set[str]] = {}
    for est_id, code in session.execute(query):
        out.setdefault(est_id, set()).add(code)
    return out


def _pair_required(by_default: bool, rows: list[Authorisation]) -> tuple[bool | None, str, bool]:
    """(override, reason, required) of one establishment × type from its procedures."""
    main = next((r for r in rows if r.service_id is None and r.required_override is not None), None)
    if main is not None:
        return main.required_override, main.override_reason, bool(main.required_override)
    if rows and all(r.status == S.NO_APLICA for r in rows):
        return None, "", False
    return None, "", by_default or bool(rows)


def requirements(session: Session, establishment_id: int) -> list[Requirement]:
    """For every authorisation type: required by default and why, the override and the result."""
    est = _establishment(session, establishment_id)
    services = _service_codes(session, [est.id]).get(est.id, set())
    rows = list(session.scalars(select(Authorisation).where(Authorisation.establishment_id == est.id,
                                                             Authorisation.deleted_at.is_(None))))
    out = []
    for t in _types(session):
        reason = default_rule(est.level_of_care, services, t)
        mine = [r for r in rows if r.type_id == t.id]
        override, override_reason, required = _pair_required(reason is not None, mine)
        out.append(Requirement(est.id, t.code, t.name, reason is not None, reason or "", override, override_reason,
                               bool(mine), required))
    return out


def _placeholder(session: Session, obj: Authorisation) -> bool:
    """True for a record created only to hold an override (no progress, no data, a single event)."""
    events = session.scalars(select(AuthorisationEvent.id).where(AuthorisationEvent.authorisation_id == obj.id)).all()
    return (obj.status in (S.REQUERIDA, S.NO_APLICA) and len(events) <= 1 and not obj.folio and not obj.notes
            and obj.submitted_on is None and obj.granted_on is None and not obj.documents)


def set_required_override(session: Session, establishment_id: int, type_code: str, required: bool | None,
                          reason: str, user: str) -> Requirement:
    """Override (True/False, with a reason) or clear (None) the derived "required" of one type."""
    est = _establishment(session, establishment_id)
    users.require(session, user, users.EDIT, est.state_id)
    type_ = _type_by_code(session, type_code)
    if type_ is None:
        raise ValidationError({"type_code": f"El tipo de autorización «{type_code}» no está en el catálogo."})
    reason = (reason or "").strip()
    if required is not None and not reason:
        raise ValidationError({"override_reason": "Indique el motivo para cambiar si la autorización es requerida."})
    main = session.scalars(select(Authorisation).where(
        Authorisation.establishment_id == est.id, Authorisation.type_id == type_.id,
        Authorisation.service_id.is_(None), Authorisation.deleted_at.is_(None)).order_by(Authorisation.id)).first()
    if main is None:
        if required is None:
            return next(r for r in requirements(session, est.id) if r.type_code == type_code)
        status = S.REQUERIDA if required else S.NO_APLICA
        main = Authorisation(establishment_id=est.id, type_id=type_.id, authority_id=type_.default_authority_id,
                             status=status, changed_by=user)
        session.add(main)
        session.flush()
        session.add(AuthorisationEvent(authorisation_id=main.id, from_status=None, to_status=status,
                                       occurred_on=date.today(), comment=reason, changed_by=user))
    before = {"required_override": main.required_override, "override_reason": main.override_reason}
    if required is None and _placeholder(session, main):
        # the record only held the override: retire it so the default rule applies again
        main.deleted_at = utcnow()
        main.changed_by = user
        session.flush()
        audit.record(session, user, "quitar_excepcion", "autorizacion", main.uuid, before, None)
        return next(r for r in requirements(session, est.id) if r.type_code == type_code)
    main.required_override = required
    main.override_reason = reason if required is not None else ""
    main.changed_by = user
    session.flush()
    audit.record(session, user, "requerida", "autorizacion", main.uuid, before,
                 {"required_override": main.required_override, "override_reason": main.override_reason})
    return next(r for r in requirements(session, est.id) if r.type_code == type_code)


# ---------------------------------------------------------------------------------------------- services

def _responsable_data(r: ResponsableSanitario) -> ResponsableData:
    return ResponsableData(r.service_id, r.full_name, r.profession, r.cedula_profesional, r.valid_from, r.valid_to, r.id)


def _is_current(r: ResponsableData | ResponsableSanitario, today: date) -> bool:
    return (r.valid_from is None or r.valid_from <= today) and (r.valid_to is None or r.valid_to >= today)


def _service_data(session: Session, svc: EstablishmentService, today: date) -> ServiceData:
    st = session.get(ServiceType, svc.service_type_id)
    people = [_responsable_data(r) for r in sorted(svc.responsables, key=lambda r: (r.valid_from or date.min, r.id))
              if r.deleted_at is None]
    current = next((r for r in reversed(people) if _is_current(r, today)), None)
    return ServiceData(svc.id, svc.establishment_id, st.code, st.name, st.uses_ionising_radiation, svc.notes,
                       current, people)


def add_service(session: Session, establishment_id: int, service_code: str, user: str, notes: str = "") -> ServiceData:
    """Add a service (by catalogue code) to an establishment; one active service of each kind."""
    est = _establishment(session, establishment_id)
    users.require(session, user, users.EDIT, est.state_id)
    st = session.scalars(select(ServiceType).where(ServiceType.code == (service_code or "").strip().upper())).first()
    if st is None:
        raise ValidationError({"service_code": f"El servicio «{service_code}» no está en el catálogo de servicios."})
    exists = session.scalars(select(EstablishmentService.id).where(
        EstablishmentService.establishment_id == est.id, EstablishmentService.service_type_id == st.id,
        EstablishmentService.deleted_at.is_(None))).first()
    if exists is not None:
        raise ValidationError({"service_code": f"El establecimiento {est.clues} ya tiene el servicio «{st.name}»."})
    svc = EstablishmentService(establishment_id=est.id, service_type_id=st.id, notes=(notes or "").strip(),
                               changed_by=user)
    session.add(svc)
    session.flush()
    audit.record(session, user, "crear", "servicio", svc.uuid, None,
                 {"establishment": est.clues, "service": st.code, "notes": svc.notes})
    return _service_data(session, svc, date.today())


def list_services(session: Session, establishment_id: int, today: date | None = None) -> list[ServiceData]:
    """Active services of an establishment with their responsables (current one first-class)."""
    today = today or date.today()
    rows = session.scalars(select(EstablishmentService).where(
        EstablishmentService.establishment_id == establishment_id, EstablishmentService.deleted_at.is_(None))
        .order_by(EstablishmentService.id))
    return [_service_data(session, s, today) for s in rows]


def check_responsable(session: Session, data: ResponsableData) -> dict[str, str]:
    """Every problem of a responsable sanitario, by field, in Spanish."""
    errors: dict[str, str] = {}
    for name, label, limit, required in (("full_name", "El nombre del responsable sanitario", 200, True),
                                         ("profession", "La profesión", 120, False)):
        check = validate_required_text if required else validate_optional_text
        message = check(getattr(data, name), label, limit)
        if message:
            errors[name] = message
    if data.cedula_profesional and not (data.cedula_profesional.isdigit() and 4 <= len(data.cedula_profesional) <= 10):
        errors["cedula_profesional"] = "La cédula profesional sólo lleva dígitos (entre 4 y 10)."
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors["valid_to"] = (f"La fecha de término ({_fmt(data.valid_to)}) no puede ser anterior a la fecha de "
                              f"inicio ({_fmt(data.valid_from)}).")
    if "valid_to" not in errors:
        lo, hi = data.valid_from or date.min, data.valid_to or date.max
        for other in session.scalars(select(ResponsableSanitario).where(
                ResponsableSanitario.service_id == data.service_id, ResponsableSanitario.deleted_at.is_(None),
                ResponsableSanitario.id != (data.id or -1))):
            if (other.valid_from or date.min) <= hi and lo <= (other.valid_to or date.max):
                errors["valid_from"] = (f"El periodo se traslapa con el de {other.full_name}; un servicio tiene un "
                                        "solo responsable sanitario a la vez (capture la fecha de término del anterior).")
                break
    return errors


def add_responsable(session: Session, data: ResponsableData, user: str) -> ResponsableData:
    """Validate and register the responsable sanitario of a service for a period."""
    svc = session.get(EstablishmentService, data.service_id)
    if svc is not None:
        users.require_for_establishments(session, user, users.EDIT, [svc.establishment_id])
    if svc is None or svc.deleted_at is not None:
        raise NotFoundError("El servicio ya no existe.")
    data = ResponsableData(data.service_id, tidy(data.full_name), tidy(data.profession),
                           tidy(data.cedula_profesional).replace(" ", ""), data.valid_from, data.valid_to)
    errors = check_responsable(session, data)
    if errors:
        raise ValidationError(errors)
    obj = ResponsableSanitario(service_id=svc.id, full_name=data.full_name, profession=data.profession,
                               cedula_profesional=data.cedula_profesional, valid_from=data.valid_from,
                               valid_to=data.valid_to, changed_by=user)
    session.add(obj)
    session.flush()
    audit.record(session, user, "crear", "responsable_sanitario", obj.uuid, None,
                 {k: v for k, v in asdict(_responsable_data(obj)).items() if k != "id"})
    return _responsable_data(obj)


def end_responsable(session: Session, responsable_id: int, valid_to: date, user: str) -> ResponsableData:
    """Close a responsable's period (e.g. before registering the next one)."""
    obj = session.get(ResponsableSanitario, responsable_id)
    if obj is not None:
        users.require_for_establishments(session, user, users.EDIT, [obj.service.establishment_id])
    if obj is None or obj.deleted_at is not None:
        raise NotFoundError("El responsable sanitario ya no existe.")
    data = _responsable_data(obj)
    data.valid_to = valid_to
    errors = check_responsable(session, data)
    if errors:
        raise ValidationError(errors)
    before = obj.valid_to
    obj.valid_to = valid_to
    obj.changed_by = user
    session.flush()
    audit.record(session, user, "modificar", "responsable_sanitario", obj.uuid, {"valid_to": before},
                 {"valid_to": valid_to})
    return _responsable_data(obj)


# ---------------------------------------------------------------------------------------------- procedures

def check_dates(status: S | str, submitted_on: date | None, granted_on: date | None, expires_on: date | None,
                today: date | None = None) -> dict[str, str]:
    """Date rules of a procedure, by field, in Spanish."""
    today = today or date.today()
    status = S(status)
    errors: dict[str, str] = {}
    if submitted_on and submitted_on > today:
        errors["submitted_on"] = f"La fecha de ingreso no puede ser posterior a hoy ({_fmt(today)})."
    if granted_on and granted_on > today:
        errors["granted_on"] = f"La fecha de otorgamiento no puede ser posterior a hoy ({_fmt(today)})."
    elif granted_on and submitted_on and granted_on < submitted_on:
        errors["granted_on"] = (f"La fecha de otorgamiento ({_fmt(granted_on)}) no puede ser anterior a la fecha de "
                                f"ingreso ({_fmt(submitted_on)}).")
    if expires_on and granted_on and expires_on <= granted_on:
        errors["expires_on"] = (f"La fecha de vencimiento ({_fmt(expires_on)}) debe ser posterior a la fecha de "
                                f"otorgamiento ({_fmt(granted_on)}).")
    elif expires_on and not granted_on:
        errors["expires_on"] = "Capture la fecha de otorgamiento antes de la fecha de vencimiento."
    if status in NEEDS_SUBMISSION and not submitted_on and "submitted_on" not in errors:
        errors["submitted_on"] = f"Una autorización en estado «{status.label}» necesita la fecha de ingreso."
    if status in NEEDS_GRANT and not granted_on and "granted_on" not in errors:
        errors["granted_on"] = f"Una autorización en estado «{status.label}» necesita la fecha de otorgamiento."
    if status in NEEDS_EXPIRY and not expires_on and "expires_on" not in errors:
        errors["expires_on"] = f"Una autorización en estado «{status.label}» necesita la fecha de vencimiento."
    if status == S.VENCIDA and expires_on and expires_on > today and "expires_on" not in errors:
        errors["expires_on"] = (f"La autorización no puede estar vencida: su fecha de vencimiento "
                                f"({_fmt(expires_on)}) aún no llega.")
    return errors


def _to_data(session: Session, obj: Authorisation) -> AuthorisationData:
    type_ = session.get(AuthorisationType, obj.type_id)
    authority = session.get(Authority, obj.authority_id) if obj.authority_id else None
    return AuthorisationData(obj.establishment_id, type_.code, authority.code if authority else None, obj.service_id,
                             obj.folio, obj.submitted_on, obj.granted_on, obj.expires_on, obj.notes, obj.status.value,
                             obj.id, obj.uuid, obj.version, obj.required_override, obj.override_reason)


def _audit_values(data: AuthorisationData) -> dict:
    values = asdict(data)
    values.pop("version", None)
    return values


def _resolve(session: Session, data: AuthorisationData, today: date) -> tuple[dict[str, str], dict]:
    """Errors, and the resolved column values, of a (new or edited) procedure."""
    errors: dict[str, str] = {}
    values: dict = {}
    type_ = _type_by_code(session, (data.type_code or "").strip().upper())
    if type_ is None:
        errors["type_code"] = "Seleccione el tipo de autorización."
    else:
        values["type_id"] = type_.id
    if data.authority_code:
        authority = session.scalars(select(Authority).where(Authority.code == data.authority_code.strip().upper())).first()
        if authority is None:
            errors["authority_code"] = f"La autoridad «{data.authority_code}» no está en el catálogo."
        else:
            values["authority_id"] = authority.id
    else:
        values["authority_id"] = type_.default_authority_id if type_ else None
    if data.service_id is not None:
        svc = session.get(EstablishmentService, data.service_id)
        if svc is None or svc.deleted_at is not None or svc.establishment_id != data.establishment_id:
            errors["service_id"] = "El servicio seleccionado no pertenece al establecimiento."
    for name, label, limit in (("folio", "El folio", 60),):
        message = validate_optional_text(getattr(data, name), label, limit)
        if message:
            errors[name] = message
    if data.status not in S._value2member_map_:
        errors["status"] = "Seleccione el estado del trámite."
    else:
        errors.update(check_dates(data.status, data.submitted_on, data.granted_on, data.expires_on, today))
    values.update(service_id=data.service_id, folio=tidy(data.folio), submitted_on=data.submitted_on,
                  granted_on=data.granted_on, expires_on=data.expires_on, notes=(data.notes or "").strip())
    return errors, values


def create_authorisation(session: Session, data: AuthorisationData, user: str, on: date | None = None,
                         comment: str = "", today: date | None = None) -> AuthorisationData:
    """Register a procedure (status ``data.status``, normally *Requerida*), with its first event on ``on``."""
    today = today or date.today()
    _establishment(session, data.establishment_id)
    users.require(session, user, users.EDIT, _establishment(session, data.establishment_id).state_id)
    errors, values = _resolve(session, data, today)
    if errors:
        raise ValidationError(errors)
    obj = Authorisation(establishment_id=data.establishment_id, status=S(data.status), changed_by=user, **values)
    session.add(obj)
    session.flush()
    session.add(AuthorisationEvent(authorisation_id=obj.id, from_status=None, to_status=obj.status,
                                   occurred_on=on or today, comment=(comment or "").strip(), changed_by=user))
    session.flush()
    result = _to_data(session, obj)
    audit.record(session, user, "crear", "autorizacion", obj.uuid, None, _audit_values(result))
    return result


def _get(session: Session, authorisation_id: int, version: int | None = None) -> Authorisation:
    obj = session.get(Authorisation, authorisation_id)
    if obj is None or obj.deleted_at is not None:
        raise NotFoundError("La autorización ya no existe en la base de datos.")
    if version is not None and obj.version != version:
        raise ConcurrencyError(f"La autorización fue modificada por {obj.changed_by} después de abrirla. "
                               "Vuelva a abrirla para ver los datos actuales.")
    return obj


def get_authorisation(session: Session, authorisation_id: int) -> AuthorisationData:
    """One procedure's data."""
    return _to_data(session, _get(session, authorisation_id))


def list_authorisations(session: Session, establishment_id: int) -> list[AuthorisationData]:
    """The procedures of an establishment."""
    rows = session.scalars(select(Authorisation).where(Authorisation.establishment_id == establishment_id,
                                                       Authorisation.deleted_at.is_(None)).order_by(Authorisation.id))
    return [_to_data(session, r) for r in rows]


def update_authorisation(session: Session, data: AuthorisationData, user: str,
                         today: date | None = None) -> AuthorisationData:
    """Save authority, folio, service, dates and notes (not the status nor the type); checks ``data.version``."""
    if data.id is None:
        raise NotFoundError("No se indicó qué autorización modificar.")
    obj = _get(session, data.id, data.version)
    users.require_for_establishments(session, user, users.EDIT, [obj.establishment_id])
    before = _to_data(session, obj)
    data = AuthorisationData(**{**asdict(data), "status": obj.status.value, "type_code": before.type_code,
                                "establishment_id": obj.establishment_id})
    errors, values = _resolve(session, data, today or date.today())
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(obj, name, value)
    if session.is_modified(obj):
        obj.changed_by = user
        session.flush()
        after = _to_data(session, obj)
        old, new = _audit_values(before), _audit_values(after)
        keys = [k for k in new if old.get(k) != new.get(k)]
        audit.record(session, user, "modificar", "autorizacion", obj.uuid, {k: old[k] for k in keys},
                     {k: new[k] for k in keys})
    return _to_data(session, obj)


def change_status(session: Session, authorisation_id: int, to_status: S | str, on: date, user: str,
                  comment: str = "", *, submitted_on: date | None = None, granted_on: date | None = None,
                  expires_on: date | None = None, version: int | None = None,
                  today: date | None = None) -> AuthorisationData:
    """Move a procedure to ``to_status`` on ``on`` (allowed by ``TRANSITIONS``), recording date, user, comment.

    Moving to *Ingresada* without a submission date takes ``on``; to *Otorgada* without a grant date, too.
    """
    today = today or date.today()
    obj = _get(session, authorisation_id, version)
    users.require_for_establishments(session, user, users.EDIT, [obj.establishment_id])
    if to_status not in S._value2member_map_:
        raise ValidationError({"status": "Seleccione el estado del trámite."})
    to_status = S(to_status)
    comment = (comment or "").strip()
    errors: dict[str, str] = {}
    if not can_transition(obj.status, to_status):
        allowed = ", ".join(sorted(s.label for s in TRANSITIONS[obj.status]))
        errors["status"] = (f"No se puede pasar de «{obj.status.label}» a «{to_status.label}»; "
                            f"desde «{obj.status.label}» se puede pasar a: {allowed}.")
    if on > today:
        errors["occurred_on"] = f"La fecha del cambio de estado no puede ser posterior a hoy ({_fmt(today)})."
    last = session.scalars(select(AuthorisationEvent.occurred_on).where(
        AuthorisationEvent.authorisation_id == obj.id).order_by(AuthorisationEvent.id.desc())).first()
    if last is not None and on < last and "occurred_on" not in errors:
        errors["occurred_on"] = (f"La fecha del cambio de estado ({_fmt(on)}) no puede ser anterior al último cambio "
                                 f"registrado ({_fmt(last)}).")
    if to_status in NEEDS_COMMENT and not comment:
        errors["comment"] = f"Indique el motivo para marcar la autorización como «{to_status.label}»."
    if obj.status in RENEWABLE and to_status in (S.INTEGRANDO_EXPEDIENTE, S.INGRESADA):
        # a new round after expiry or revocation: the old dates stay in the history and the audit trail
        new_submitted, new_granted, new_expires = submitted_on, granted_on, expires_on
    else:
        new_submitted = submitted_on or obj.submitted_on
        new_granted = granted_on or obj.granted_on
        new_expires = expires_on or obj.expires_on
    if to_status == S.INGRESADA and new_submitted is None:
        new_submitted = on
    if to_status == S.OTORGADA and new_granted is None:
        new_granted = on
    if "status" not in errors:
        errors.update(check_dates(to_status, new_submitted, new_granted, new_expires, today))
    if errors:
        raise ValidationError(errors)
    before = _to_data(session, obj)
    from_status = obj.status
    obj.status = to_status
    obj.submitted_on, obj.granted_on, obj.expires_on = new_submitted, new_granted, new_expires
    obj.changed_by = user
    session.add(AuthorisationEvent(authorisation_id=obj.id, from_status=from_status, to_status=to_status,
                                   occurred_on=on, comment=comment, changed_by=user))
    session.flush()
    after = _to_data(session, obj)
    old, new = _audit_values(before), _audit_values(after)
    keys = [k for k in new if old.get(k) != new.get(k)]
    audit.record(session, user, "cambiar_estado", "autorizacion", obj.uuid, {k: old[k] for k in keys},
                 {**{k: new[k] for k in keys}, "occurred_on": on, "comment": comment})
    return after


def history(session: Session, authorisation_id: int) -> list[EventData]:
    """Every change of state of a procedure, oldest first."""
    rows = session.scalars(select(AuthorisationEvent).where(AuthorisationEvent.authorisation_id == authorisation_id)
                           .order_by(AuthorisationEvent.id))
    return [EventData(e.from_status.value if e.from_status else None, e.to_status.value, e.occurred_on, e.changed_by,
                      e.comment) for e in rows]


# ---------------------------------------------------------------------------------------------- compliance

def _is_current_item(status: S, expires_on: date | None, as_of: date) -> bool:
    return status in HOLDING and (expires_on is None or expires_on >= as_of)


def compliance_scan(session: Session, state_id: int | None, as_of: date, period_from: date | None = None,
                    period_to: date | None = None) -> tuple[list[ComplianceItem], dict[int, int]]:
    """Every required procedure of the scope (see :func:`compliance_items`) and the state of each establishment,
    read column by column (no ORM objects): ~10× faster than loading entities, so a national report counts 23
    states at once.

    Rules: required by the type's default rule (:func:`default_rule`: level of care, or an active service in the
    type's list), overridden on the establishment-level procedure, implied by a registered procedure, undone when
    all of them are *No aplica* (:func:`_pair_required`)."""
    period_to = period_to or as_of
    e = Establishment.__table__.c
    scope = [e.state_id == state_id] if state_id is not None else []
    ests = session.execute(select(e.id, e.clues, e.name, type_coerce(e.level_of_care, String), e.state_id)
                           .where(e.deleted_at.is_(None), *scope,
                                  e.operating_status.in_(list(ACTIVE_ESTABLISHMENT_STATUSES)))
                           .order_by(e.clues)).all()
    types = [(t.id, t.code, frozenset(_codes(t.required_for_levels)), frozenset(_codes(t.required_for_service_code)))
             for t in session.execute(select(AuthorisationType.id, AuthorisationType.code,
                                             AuthorisationType.required_for_levels,
                                             AuthorisationType.required_for_service_code)
                                      .where(AuthorisationType.deleted_at.is_(None)).order_by(AuthorisationType.id))]
    es, st = EstablishmentService.__table__.c, ServiceType.__table__.c
    services: dict[int, set[str]] = {}
    query = (select(es.establishment_id, st.code).select_from(EstablishmentService.__table__.join(
        ServiceType.__table__, st.id == es.service_type_id)).where(es.deleted_at.is_(None)))
    if state_id is not None:
        query = query.join(Establishment.__table__, e.id == es.establishment_id).where(*scope)
    for est_id, code in session.execute(query):
        services.setdefault(est_id, set()).add(code)
    a = Authorisation.__table__.c
    query = select(a.id, a.establishment_id, a.type_id, a.service_id, type_coerce(a.status, String).label("status"),
                   a.required_override, a.folio, a.granted_on, a.expires_on).where(a.deleted_at.is_(None))
    if state_id is not None:
        query = query.join(Establishment.__table__, e.id == a.establishment_id).where(*scope)
    by_pair: dict[tuple[int, int], list] = {}
    for row in session.execute(query.order_by(a.id)):
        by_pair.setdefault((row.establishment_id, row.type_id), []).append(row)
    items: list[ComplianceItem] = []
    state_of: dict[int, int] = {}
    Item = ComplianceItem
    for est_id, clues, name, level, est_state in ests:
        state_of[est_id] = est_state
        codes = services.get(est_id, ())
        for type_id, code, levels, service_codes in types:
            rows = by_pair.get((est_id, type_id))
            by_default = level in levels or bool(service_codes.intersection(codes))
            if not rows:
                if by_default:
                    items.append(Item(est_id, clues, name, code, None, None, "", None, None, False, False, False, True))
                continue
            main = next((r for r in rows if r.service_id is None and r.required_override is not None), None)
            if main is not None:
                required = bool(main.required_override)
            elif all(r.status == _NO_APLICA for r in rows):
                required = False
            else:
                required = True
            if not required:
                continue
            live = [r for r in rows if r.status != _NO_APLICA and r.required_override is not False]
            if not live:
                items.append(Item(est_id, clues, name, code, None, None, "", None, None, False, False, False, True))
                continue
            for r in live:
                obtained = r.granted_on is not None and r.granted_on <= period_to and (
                    period_from is None or r.granted_on >= period_from)
                current = r.status in _HOLDING and (r.expires_on is None or r.expires_on >= as_of)
                items.append(Item(est_id, clues, name, code, r.id, r.status, r.folio or "", r.granted_on, r.expires_on,
                                  current, r.status in _IN_PROCESS, obtained, r.status in _NOT_STARTED))
    return items, state_of


def compliance_items(session: Session, state_id: int | None, as_of: date | None = None,
                     period_from: date | None = None, period_to: date | None = None) -> list[ComplianceItem]:
    """Every required procedure of the scope, flagged current / in process / obtained in the period / not started.

    The drill-down behind each number of ``summary``: filter these by type and flag.
    """
    return compliance_scan(session, state_id, as_of or date.today(), period_from, period_to)[0]


def summary_table(counts: list[tuple[str, str, int, int, int, int, int]]) -> list[SummaryRow]:
    """Rows (code, label, required, current, in process, obtained, not started) + a computed total row.

    Percentages come from the counts of each row, the total's from the summed counts (never summed %).
    """
    rows = [SummaryRow(code, label, req, cur, proc, obt, ns, percent(obt, req), percent(cur, req))
            for code, label, req, cur, proc, obt, ns in counts]
    total = [sum(getattr(r, name) for r in rows) for name in ("required", "current", "in_process", "obtained",
                                                               "not_started")]
    rows.append(SummaryRow("", "Total", *total, percent(total[3], total[0]), percent(total[1], total[0])))
    return rows


def summary(session: Session, state_id: int | None, as_of: date | None = None, period_from: date | None = None,
            period_to: date | None = None) -> list[SummaryRow]:
    """The compliance table of a state (or all): one row per authorisation type and a total row."""
    return summary_from_items(session, compliance_items(session, state_id, as_of, period_from, period_to))


def summary_from_items(session: Session, items: list[ComplianceItem]) -> list[SummaryRow]:
    """The compliance table counted from items already read (one row per type, and the computed total)."""
    counts = {t.code: [t.name, 0, 0, 0, 0, 0] for t in _types(session)}
    for i in items:
        c = counts.get(i.type_code)
        if c is not None:
            c[1] += 1
            c[2] += i.current
            c[3] += i.in_process
            c[4] += i.obtained
            c[5] += i.not_started
    return summary_table([(code, *c) for code, c in counts.items()])


def alerts(session: Session, state_id: int | None, today: date | None = None,
           windows: tuple[int, ...] = ALERT_WINDOWS, items: list[ComplianceItem] | None = None) -> Alerts:
    """Expiring within each window (today included), expired, required but not started, services without
    a current responsable sanitario. ``items``: the scope's compliance items at ``today`` if already read."""
    today = today or date.today()
    if items is None:
        items = compliance_items(session, state_id, today)
    return alerts_from_items(items, today, services_without_responsable(session, state_id, today), windows)


def alerts_from_items(items: list[ComplianceItem], today: date, without_responsable: list[AlertItem],
                      windows: tuple[int, ...] = ALERT_WINDOWS) -> Alerts:
    """The alert lists of :func:`alerts`, from compliance items already read (no database access)."""
    expiring: dict[int, list[AlertItem]] = {days: [] for days in windows}
    expired, not_started = [], []
    for i in items:
        status = S(i.status) if i.status else None
        if i.not_started:
            not_started.append(AlertItem(i.establishment_id, i.clues, i.establishment_name, i.type_code,
                                         i.authorisation_id, i.status, None, None))
            continue
        if status is None:
            continue
        left = (i.expires_on - today).days if i.expires_on else None
        alert = AlertItem(i.establishment_id, i.clues, i.establishment_name, i.type_code, i.authorisation_id,
                          i.status, i.expires_on, left)
        if status == S.VENCIDA or (status in HOLDING and left is not None and left < 0):
            expired.append(alert)
        elif status in HOLDING and left is not None:
            for days in windows:
                if left <= days:
                    expiring[days].append(alert)
    for days in expiring:
        expiring[days].sort(key=lambda a: (a.expires_on, a.clues))
    return Alerts(expiring, expired, not_started, without_responsable)


def expiring(session: Session, state_id: int | None, days: int, today: date | None = None) -> list[AlertItem]:
    """Held authorisations whose expiry date falls between today and today + ``days`` (both included)."""
    return alerts(session, state_id, today, (days,)).expiring[days]


def services_without_responsable(session: Session, state_id: int | None, today: date | None = None) -> list[AlertItem]:
    """Active services of active establishments with no responsable sanitario on ``today``."""
    today = today or date.today()
    e = Establishment.__table__.c  # columns only: ORM objects for a whole country cost seconds
    scope = select(e.id, e.clues, e.name).where(e.deleted_at.is_(None), e.operating_status.in_(
        list(ACTIVE_ESTABLISHMENT_STATUSES)))
    if state_id is not None:
        scope = scope.where(e.state_id == state_id)
    ests = {row.id: row for row in session.execute(scope)}
    query = (select(EstablishmentService, ServiceType.code).join(ServiceType, ServiceType.id ==
                                                                EstablishmentService.service_type_id)
             .options(selectinload(EstablishmentService.responsables))  # one query, not one per service
             .where(EstablishmentService.deleted_at.is_(None)).order_by(EstablishmentService.id))
    if state_id is not None:
        query = query.join(Establishment, Establishment.id == EstablishmentService.establishment_id).where(
            Establishment.state_id == state_id)
    out = []
    for svc, code in session.execute(query):
        est = ests.get(svc.establishment_id)
        if est is None:
            continue
        if not any(r.deleted_at is None and _is_current(r, today) for r in svc.responsables):
            out.append(AlertItem(est.id, est.clues, est.name, code, None, None, None, None))
    out.sort(key=lambda a: (a.clues, a.what))
    return out

