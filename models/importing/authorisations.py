"""Import the offices' spreadsheets of sanitary authorisations (licences, notices, permits).

``plan_import`` validates every row against the database without writing; ``apply_import`` writes the plan
inside the caller's transaction (all or nothing: a crash or a cancellation rolls everything back). Rules:

- the establishment is found by CLUES (registered and not retired); rows of another state (by the
  establishment's state, or by the CLUES prefix when it is not registered) are skipped and counted, unless
  the office is the national one;
- the type (and the authority, the service) may be given by catalogue code or by name; the status by its
  label (``En trámite``) or its code (``EN_TRAMITE``); blank status on a new procedure: *Requerida*;
- a row matches an existing procedure of the same establishment and type by folio; a row without folio
  (or whose folio no procedure has yet) matches the pair's only procedure without folio; a row without
  folio when the pair has several procedures is rejected (the folio must say which one);
- dates follow the same rules as the screens (``authorisations.check_dates``), applied to the values the
  procedure will have after the import;
- a blank cell never erases what the database has; a changed status leaves an event in the history (the
  spreadsheet states the situation as it is, so the import does not walk ``TRANSITIONS``);
- SERVICIO links the procedure to that service of the establishment (added if the establishment lacks it);
  RESPONSABLE SANITARIO / CEDULA PROFESIONAL register the service's responsable when it has none current,
  and reject the row when it names a different person than the current one (that change is done on the
  service's page, closing the previous period).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
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
    State,
)
from models.enums import AuthorisationStatus as S
from models.importing.cells import CellError, to_date, to_text
from models.importing.plan import NO_PROGRESS, ImportPlan, PlannedRow, PlannedUpdate, Progress
from models.importing.reader import SheetData
from models.importing.spec import FieldSpec, ImportKind, Mapping, register
from models.services import audit
from models.services.authorisations import (
    ConcurrencyError,
    ResponsableData,
    _is_current,
    check_dates,
    check_responsable,
)
from models.text import fold, tidy
from models.validation import normalize_clues, validate_optional_text
from models.services import users

IMPORT_MARK = " (importación)"
PROGRESS_EVERY = 50
STAGE_CHECK = "Validando filas"
STAGE_SAVE = "Guardando"

F = FieldSpec
_FIELDS = (
    F("clues", "CLUES", "CLUES del establecimiento (debe estar registrado).", ("CLAVE CLUES", "CLUES IMB", "CLUES NUEVA"),
      required=True, example="BCIMB000355"),
    F("type", "TIPO DE AUTORIZACION", "Tipo de autorización: clave o nombre del catálogo.",
      ("TIPO", "TIPO AUTORIZACION", "AUTORIZACION", "TRAMITE", "TIPO DE TRAMITE"), required=True,
      example="LIC_SAN"),
    F("authority", "AUTORIDAD", "Autoridad que emite (clave o nombre). Vacío: la del tipo de autorización.",
      ("AUTORIDAD SANITARIA", "AUTORIDAD QUE EMITE", "EMISOR"), example="COFEPRIS"),
    F("folio", "FOLIO", "Folio del trámite o número de la licencia.", ("NUMERO DE FOLIO", "NO DE FOLIO",
                                                                        "NUMERO DE LICENCIA"), example="2402001234"),
    F("status", "ESTATUS", "Estado del trámite. Vacío en un trámite nuevo: Requerida.",
      ("ESTADO", "ESTATUS DEL TRAMITE", "ESTADO DEL TRAMITE", "SITUACION"),
      allowed=tuple(m.label for m in S), example="Vigente"),
    F("submitted_on", "FECHA DE INGRESO", "Fecha en que se ingresó el trámite.",
      ("FECHA INGRESO", "FECHA DE SOLICITUD", "FECHA DE PRESENTACION"), example="10/01/2024"),
    F("granted_on", "FECHA DE OTORGAMIENTO", "Fecha en que se otorgó.",
      ("FECHA OTORGAMIENTO", "FECHA DE EMISION", "FECHA DE EXPEDICION"), example="15/03/2024"),
    F("expires_on", "FECHA DE VENCIMIENTO", "Fecha de vencimiento; vacío si no vence.",
      ("FECHA VENCIMIENTO", "VENCIMIENTO", "VIGENCIA", "FECHA DE VIGENCIA"), example="15/03/2029"),
    F("service", "SERVICIO", "Servicio al que corresponde (clave o nombre del catálogo), si aplica.",
      ("AREA", "SERVICIO O AREA"), example="RX"),
    F("responsable", "RESPONSABLE SANITARIO", "Nombre del responsable sanitario del servicio.",
      ("RESPONSABLE", "NOMBRE DEL RESPONSABLE SANITARIO"), example="DRA. ANA LÓPEZ PÉREZ"),
    F("cedula", "CEDULA PROFESIONAL", "Cédula profesional del responsable sanitario (sólo dígitos).",
      ("CEDULA", "NO DE CEDULA", "NUMERO DE CEDULA", "CEDULA PROFESIONAL DEL RESPONSABLE"), example="1234567"),
)
_INSTRUCTIONS = (
    "Una fila por trámite; la primera fila con datos lleva los encabezados (pueden ir títulos arriba).",
    "CLUES y TIPO DE AUTORIZACION son obligatorios; el tipo, la autoridad y el servicio se escriben con su clave "
    "o su nombre del catálogo.",
    "Si el establecimiento ya tiene un trámite de ese tipo con el mismo folio (o uno solo sin folio), se actualiza; "
    "si no, se registra uno nuevo.",
    "Las fechas se revisan igual que en la captura: el otorgamiento no puede ser anterior al ingreso y el "
    "vencimiento debe ser posterior al otorgamiento.",
    "Una celda vacía no borra el dato que ya existe en la base.",
    "La importación se aplica completa o no se aplica; las filas con errores se informan con su número y columna "
    "y no se guardan.",
)
KIND = register(ImportKind("authorisations", "Autorizaciones sanitarias", _FIELDS, _INSTRUCTIONS))

_DATES = ("submitted_on", "granted_on", "expires_on")
_DATE_WORDS = {"submitted_on": "ingreso", "granted_on": "otorgamiento", "expires_on": "vencimiento"}
_COMPARED = ("authority_id", "folio", "status", "submitted_on", "granted_on", "expires_on", "service_type_id")


def _status_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for m in S:
        names[fold(m.label)] = m.value
        names[fold(m.value.replace("_", " "))] = m.value
    names.update({"tramite": "EN_TRAMITE", "en proceso": "EN_TRAMITE", "ingresado": "INGRESADA",
                  "otorgado": "OTORGADA", "vencido": "VENCIDA", "revocado": "REVOCADA", "n/a": "NO_APLICA",
                  "na": "NO_APLICA", "integrando": "INTEGRANDO_EXPEDIENTE", "en integracion": "INTEGRANDO_EXPEDIENTE"})
    return names


_STATUS_NAMES = _status_names()


class _Catalogue:
    """A catalogue table read once, found by code or by name."""

    def __init__(self, rows):
        self.by_text: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.codes: dict[int, str] = {}
        for id_, code, name in rows:
            self.names[id_] = name
            self.codes[id_] = code
            self.by_text.setdefault(fold(name), id_)
        for id_, code in self.codes.items():  # codes win over names
            self.by_text[fold(code)] = id_

    def find(self, text: str) -> int | None:
        return self.by_text.get(fold(text))

    def code_list(self) -> str:
        return ", ".join(sorted(self.codes.values()))


class _Lookups:
    def __init__(self, session: Session):
        self.establishments: dict[str, tuple[int, int, str]] = {
            clues: (id_, state_id, name)
            for id_, clues, state_id, name in session.execute(
                select(Establishment.id, Establishment.clues, Establishment.state_id, Establishment.name)
                .where(Establishment.deleted_at.is_(None)))
        }
        self.types = _Catalogue(session.execute(select(AuthorisationType.id, AuthorisationType.code,
                                                       AuthorisationType.name)
                                                .where(AuthorisationType.deleted_at.is_(None))))
        self.type_authority = {id_: authority_id for id_, authority_id in session.execute(
            select(AuthorisationType.id, AuthorisationType.default_authority_id))}
        self.authorities = _Catalogue(session.execute(select(Authority.id, Authority.code, Authority.name)
                                                      .where(Authority.deleted_at.is_(None))))
        self.service_types = _Catalogue(session.execute(select(ServiceType.id, ServiceType.code, ServiceType.name)
                                                        .where(ServiceType.deleted_at.is_(None))))
        self.procedures: dict[tuple[int, int], list[Authorisation]] = {}
        for row in session.scalars(select(Authorisation).where(Authorisation.deleted_at.is_(None))
                                   .order_by(Authorisation.id)):
            self.procedures.setdefault((row.establishment_id, row.type_id), []).append(row)
        self.services: dict[tuple[int, int], int] = {}
        self.service_type_of: dict[int, int] = {}
        for id_, est_id, st_id in session.execute(
                select(EstablishmentService.id, EstablishmentService.establishment_id,
                       EstablishmentService.service_type_id).where(EstablishmentService.deleted_at.is_(None))):
            self.services.setdefault((est_id, st_id), id_)
            self.service_type_of[id_] = st_id
        self.responsables: dict[int, list[ResponsableSanitario]] = {}
        for r in session.scalars(select(ResponsableSanitario).where(ResponsableSanitario.deleted_at.is_(None))
                                 .order_by(ResponsableSanitario.id)):
            self.responsables.setdefault(r.service_id, []).append(r)


def _cell(row: list[Any], mapping: Mapping, key: str) -> Any:
    at = mapping.get(key)
    return row[at] if at is not None and at < len(row) else None


def _same_person(name: str, cedula: str, r: ResponsableSanitario) -> bool:
    return fold(name) == fold(r.full_name) and (not cedula or not r.cedula_profesional or cedula == r.cedula_profesional)


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None = None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS,
                today: date | None = None) -> ImportPlan:
    """What importing ``sheet`` would do; writes nothing."""
    today = today or date.today()
    kind = KIND
    look = _Lookups(session)
    plan = ImportPlan(kind="authorisations", source=sheet.source, headers=list(sheet.headers),
                      total_rows=len(sheet.rows), field_labels=kind.labels())
    plan.field_labels.update(authority_id="AUTORIDAD", service_type_id="SERVICIO", type_id="TIPO DE AUTORIZACION",
                             responsable="RESPONSABLE SANITARIO")
    plan.value_names = {"authority_id": dict(look.authorities.names), "type_id": dict(look.types.names),
                        "service_type_id": dict(look.service_types.names),
                        "status": {m.value: m.label for m in S}}

    def column_label(key: str) -> str:
        at = mapping.get(key)
        if at is not None and at < len(sheet.headers) and sheet.headers[at]:
            return sheet.headers[at]
        return kind.field(key).header

    office_prefix = (session.scalar(select(State.clues_prefix).where(State.id == office_state_id))
                     if office_state_id is not None else None)
    seen_keys: dict[tuple, int] = {}
    planned_people: dict[tuple[int, int], tuple[str, str, int]] = {}  # (est, service type) → (name, cédula, row)
    total = len(sheet.rows)
    for n, row in enumerate(sheet.rows):
        if n % PROGRESS_EVERY == 0:
            progress.report(n, total, STAGE_CHECK)
        row_no = sheet.row_numbers[n]
        errors: list[tuple[str, str]] = []

        # --- cells
        clues = normalize_clues(to_text(_cell(row, mapping, "clues")))
        est = None
        if not clues:
            errors.append(("clues", "La CLUES es obligatoria."))
        else:
            est = look.establishments.get(clues)
            if office_prefix and (est[1] != office_state_id if est else clues[:2] != office_prefix):
                plan.skipped_other_state += 1  # a unit of another state (registered here or not)
                continue
            if est is None:
                errors.append(("clues", f"La CLUES {clues} no está registrada (o el establecimiento está dado de baja)."))
        type_text = to_text(_cell(row, mapping, "type"))
        type_id = None
        if not type_text:
            errors.append(("type", "El tipo de autorización es obligatorio."))
        else:
            type_id = look.types.find(type_text)
            if type_id is None:
                errors.append(("type", f"«{type_text}» no es un tipo de autorización del catálogo "
                                       f"({look.types.code_list()})."))
        authority_text = to_text(_cell(row, mapping, "authority"))
        authority_id = None
        if authority_text:
            authority_id = look.authorities.find(authority_text)
            if authority_id is None:
                errors.append(("authority", f"«{authority_text}» no es una autoridad del catálogo "
                                            f"({look.authorities.code_list()})."))
        folio = tidy(to_text(_cell(row, mapping, "folio")))
        message = validate_optional_text(folio, "El folio", 60)
        if message:
            errors.append(("folio", message))
        status_text = to_text(_cell(row, mapping, "status"))
        status = None
        if status_text:
            status = _STATUS_NAMES.get(fold(status_text))
            if status is None:
                errors.append(("status", f"«{status_text}» no es un estado del trámite "
                                         f"({', '.join(m.label for m in S)})."))
        dates: dict[str, date | None] = {}
        for key in _DATES:
            try:
                dates[key] = to_date(_cell(row, mapping, key))
            except CellError as exc:
                errors.append((key, f"Fecha de {_DATE_WORDS[key]}: {exc}"))
                dates[key] = None
        service_text = to_text(_cell(row, mapping, "service"))
        service_type_id = None
        if service_text:
            service_type_id = look.service_types.find(service_text)
            if service_type_id is None:
                errors.append(("service", f"«{service_text}» no es un servicio del catálogo "
                                          f"({look.service_types.code_list()})."))
        person = tidy(to_text(_cell(row, mapping, "responsable")))
        cedula = to_text(_cell(row, mapping, "cedula")).replace(" ", "")
        if (person or cedula) and not service_text:
            errors.append(("service", "Indique el servicio del que es responsable sanitario "
                                      f"{person or 'la cédula ' + cedula}."))
        if cedula and not person:
            errors.append(("responsable", f"Falta el nombre del responsable sanitario de la cédula {cedula}."))
        if person:
            problems = check_responsable(session, ResponsableData(-1, person, "", cedula))
            if "full_name" in problems:
                errors.append(("responsable", problems["full_name"]))
            if "cedula_profesional" in problems:
                errors.append(("cedula", problems["cedula_profesional"]))

        # --- match against the database
        record: Authorisation | None = None
        if est is not None and type_id is not None:
            candidates = look.procedures.get((est[0], type_id), [])
            type_name = look.types.names[type_id]
            if folio:
                record = next((p for p in candidates if p.folio == folio), None)
                if record is None:
                    blanks = [p for p in candidates if not p.folio]
                    record = blanks[0] if len(blanks) == 1 else None
            elif len(candidates) == 1:
                record = candidates[0]
            elif len(candidates) > 1:
                errors.append(("folio", f"{clues} tiene {len(candidates)} trámites de «{type_name}»; indique el folio "
                                        "para saber cuál actualizar."))
            key = ("id", record.id) if record is not None else ("new", est[0], type_id, folio)
            first = seen_keys.get(key)
            if first is not None:
                errors.append(("folio" if folio else "type",
                               f"La fila {first} ya se refiere a este mismo trámite ({clues}, «{type_name}»"
                               f"{', folio ' + folio if folio else ''})."))
            else:
                seen_keys[key] = row_no

        # --- the values after the import (a blank cell keeps what the record has)
        if record is not None:
            final = {"authority_id": authority_id or record.authority_id, "folio": folio or record.folio,
                     "status": status or record.status.value,
                     **{k: dates[k] or getattr(record, k) for k in _DATES},
                     "service_type_id": service_type_id or look.service_type_of.get(record.service_id)}
        else:
            final = {"authority_id": authority_id or (look.type_authority.get(type_id) if type_id else None),
                     "folio": folio, "status": status or S.REQUERIDA.value, **dates,
                     "service_type_id": service_type_id}
        if not any(k in ("status",) + _DATES for k, _r in errors):
            for key, reason in check_dates(final["status"], final["submitted_on"], final["granted_on"],
                                           final["expires_on"], today).items():
                errors.append((key, reason))

        # --- the responsable sanitario of the service
        add_person = None
        if person and est is not None and service_type_id is not None and not any(
                k in ("responsable", "cedula") for k, _r in errors):
            pair = (est[0], service_type_id)
            service_id = look.services.get(pair)
            people = look.responsables.get(service_id, []) if service_id is not None else []
            planned = planned_people.get(pair)
            service_name = look.service_types.names[service_type_id]
            if any(_same_person(person, cedula, r) for r in people):
                pass
            elif planned is not None:
                if fold(planned[0]) != fold(person) or (cedula and planned[1] and cedula != planned[1]):
                    errors.append(("responsable", f"La fila {planned[2]} indica a {planned[0]} como responsable "
                                                  f"sanitario de {service_name} en {clues}."))
            else:
                current = next((r for r in reversed(people) if _is_current(r, today)), None)
                if current is not None:
                    errors.append(("responsable", f"El servicio {service_name} de {clues} tiene como responsable "
                                                  f"sanitario vigente a {current.full_name}; registre el cambio en "
                                                  "la ficha del servicio (cerrando el periodo anterior)."))
                else:
                    add_person = (person, cedula)
                    planned_people[pair] = (person, cedula, row_no)

        if errors:
            cells = list(row)
            for key, reason in errors:
                plan.reject(row_no, column_label(key), reason, cells)
            continue

        label = f"{clues} {look.types.codes[type_id]}" + (f" {final['folio']}" if final["folio"] else "")
        if record is None:
            plan.new.append(PlannedRow(row_no, label, {"establishment_id": est[0], "type_id": type_id, **final,
                                                       "responsable": add_person}))
            continue
        old = {"authority_id": record.authority_id, "folio": record.folio, "status": record.status.value,
               **{k: getattr(record, k) for k in _DATES},
               "service_type_id": look.service_type_of.get(record.service_id)}
        changes = {k: (old[k], final[k]) for k in _COMPARED if old[k] != final[k]}
        if add_person is not None:
            changes["responsable"] = (None, add_person)
        if not changes:
            plan.unchanged.append(label)
            continue
        plan.updated.append(PlannedUpdate(row_no, label, record.id, record.version, changes))
    progress.report(total, total, STAGE_CHECK)
    return plan


def apply_import(session: Session, plan: ImportPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Write the plan in the caller's transaction. Refuses if a procedure changed since the plan was made."""
    users.require(session, user, users.IMPORT)
    updates = [u for u in plan.updated if u.changes]
    counts = {"nuevos": len(plan.new), "actualizados": len(updates), "sin_cambios": len(plan.unchanged),
              "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state}
    total = len(plan.new) + len(updates)
    progress.report(0, total, STAGE_SAVE)
    if not total:
        return counts  # nothing to write: the database (audit trail included) stays exactly as it was
    records: dict[int, Authorisation] = {}
    for u in updates:
        obj = session.get(Authorisation, u.record_id)
        if obj is None or obj.deleted_at is not None or obj.version != u.version:
            raise ConcurrencyError(f"El trámite {u.key} se modificó después de validar el archivo. "
                                   "Vuelva a validar la importación.")
        records[u.record_id] = obj
    who = user + IMPORT_MARK
    today = date.today()
    comment = f"Importado de «{plan.source}»"
    services: dict[tuple[int, int], int] = {}

    def service_for(establishment_id: int, service_type_id: int | None) -> int | None:
        if service_type_id is None:
            return None
        pair = (establishment_id, service_type_id)
        if pair not in services:
            found = session.scalars(select(EstablishmentService.id).where(
                EstablishmentService.establishment_id == establishment_id,
                EstablishmentService.service_type_id == service_type_id,
                EstablishmentService.deleted_at.is_(None)).order_by(EstablishmentService.id)).first()
            if found is None:
                svc = EstablishmentService(establishment_id=establishment_id, service_type_id=service_type_id,
                                           notes="", changed_by=who)
                session.add(svc)
                session.flush()
                found = svc.id
            services[pair] = found
        return services[pair]

    def add_person(service_id: int, person: tuple[str, str]) -> None:
        session.add(ResponsableSanitario(service_id=service_id, full_name=person[0], profession="",
                                         cedula_profesional=person[1], changed_by=who))

    done = 0
    for planned in plan.new:
        v = planned.values
        service_id = service_for(v["establishment_id"], v["service_type_id"])
        obj = Authorisation(establishment_id=v["establishment_id"], type_id=v["type_id"], service_id=service_id,
                            authority_id=v["authority_id"], status=S(v["status"]), folio=v["folio"],
                            submitted_on=v["submitted_on"], granted_on=v["granted_on"], expires_on=v["expires_on"],
                            changed_by=who)
        session.add(obj)
        session.flush()
        session.add(AuthorisationEvent(authorisation_id=obj.id, from_status=None, to_status=obj.status,
                                       occurred_on=today, comment=f"{comment} (fila {planned.row})", changed_by=who))
        if v["responsable"] is not None:
            add_person(service_id, v["responsable"])
        done += 1
        progress.report(done, total, STAGE_SAVE)
    for u in updates:
        obj = records[u.record_id]
        from_status = obj.status
        for key, (_old, new) in u.changes.items():
            if key == "status":
                obj.status = S(new)
            elif key == "service_type_id":
                obj.service_id = service_for(obj.establishment_id, new)
            elif key != "responsable":
                setattr(obj, key, new)
        if "responsable" in u.changes:
            service_type_id = u.changes.get("service_type_id", (None, None))[1] or (
                session.get(EstablishmentService, obj.service_id).service_type_id)
            add_person(service_for(obj.establishment_id, service_type_id), u.changes["responsable"][1])
        if session.is_modified(obj):
            obj.changed_by = who
        if obj.status != from_status:
            session.add(AuthorisationEvent(authorisation_id=obj.id, from_status=from_status, to_status=obj.status,
                                           occurred_on=today, comment=f"{comment} (fila {u.row})", changed_by=who))
        session.flush()
        done += 1
        progress.report(done, total, STAGE_SAVE)
    audit.record(session, user, "importar", "autorizaciones", None, None, {"archivo": plan.source, **counts})
    session.flush()
    progress.report(total, total, STAGE_SAVE)  # last chance to cancel before the caller commits
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))
