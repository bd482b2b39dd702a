"""Sanitary authorisations: types, authorities, services, responsables sanitarios, procedures and their history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked, UTCDateTime
from models.entities._types import enum_type
from models.enums import AuthorisationStatus


class Authority(Tracked, Base):
    """Issuing authority (COFEPRIS, a state sanitary agency, CNSNS, …)."""

    __tablename__ = "authorities"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class ServiceType(Tracked, Base):
    """A kind of service a unit may provide (urgencias, cirugía, rayos X, laboratorio, farmacia, …)."""

    __tablename__ = "service_types"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    uses_ionising_radiation: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthorisationType(Tracked, Base):
    """A kind of authorisation and the rule that makes it required by default.

    ``required_for_levels`` is a comma-separated list of levels of care (e.g. ``SEGUNDO,TERCER``);
    ``required_for_service_code`` names a service type whose presence requires it (e.g. X-ray → CNSNS).
    """

    __tablename__ = "authorisation_types"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    required_for_levels: Mapped[str] = mapped_column(String(60), default="")
    required_for_service_code: Mapped[str | None] = mapped_column(String(20))
    expires: Mapped[bool] = mapped_column(Boolean, default=False)


class EstablishmentService(Tracked, Base):
    """A service provided in an establishment."""

    __tablename__ = "establishment_services"

    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_types.id"))
    notes: Mapped[str] = mapped_column(Text, default="")

    responsables: Mapped[list["ResponsableSanitario"]] = relationship(back_populates="service")


class ResponsableSanitario(Tracked, Base):
    """The professional legally responsible for a service during a period."""

    __tablename__ = "responsables_sanitarios"

    service_id: Mapped[int] = mapped_column(ForeignKey("establishment_services.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(120), default="")
    cedula_profesional: Mapped[str] = mapped_column(String(20), default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    service: Mapped[EstablishmentService] = relationship(back_populates="responsables")


class Authorisation(Tracked, Base):
    """One authorisation procedure of an establishment (or of one of its services)."""

    __tablename__ = "authorisations"

    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("establishment_services.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("authorisation_types.id"))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    status: Mapped[AuthorisationStatus] = mapped_column(
        enum_type(AuthorisationStatus, "authorisation_status"), default=AuthorisationStatus.REQUERIDA
    )
    required_override: Mapped[bool | None] = mapped_column(Boolean)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    folio: Mapped[str] = mapped_column(String(60), default="")
    submitted_on: Mapped[date | None] = mapped_column(Date)
    granted_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    events: Mapped[list["AuthorisationEvent"]] = relationship(back_populates="authorisation")
    documents: Mapped[list["AuthorisationDocument"]] = relationship(back_populates="authorisation")


class AuthorisationEvent(Tracked, Base):
    """A change of state of an authorisation procedure, with who, when and why."""

    __tablename__ = "authorisation_events"

    authorisation_id: Mapped[int] = mapped_column(ForeignKey("authorisations.id"), index=True)
    from_status: Mapped[AuthorisationStatus | None] = mapped_column(enum_type(AuthorisationStatus, "authorisation_status"))
    to_status: Mapped[AuthorisationStatus] = mapped_column(enum_type(AuthorisationStatus, "authorisation_status"))
    occurred_on: Mapped[date] = mapped_column(Date)
    comment: Mapped[str] = mapped_column(Text, default="")

    authorisation: Mapped[Authorisation] = relationship(back_populates="events")


class AuthorisationDocument(Tracked, Base):
    """A scanned document attached to an authorisation, copied into the data folder and checksummed."""

    __tablename__ = "authorisation_documents"

    authorisation_id: Mapped[int] = mapped_column(ForeignKey("authorisations.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    authorisation: Mapped[Authorisation] = relationship(back_populates="documents")
