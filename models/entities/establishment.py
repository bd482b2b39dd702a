"""Health establishment (identified by its CLUES)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked
from models.entities._types import enum_type
from models.entities.catalog import State, Typology
from models.enums import LevelOfCare, OperatingStatus


class Establishment(Tracked, Base):
    """A health establishment of a state's network.

    ``clues`` is unique across the database, retired records included (a CLUES is never reissued).
    ``previous_clues`` is the old Secretaría de Salud key it was transferred from (equivalence table).
    """

    __tablename__ = "establishments"
    __table_args__ = (Index("ix_establishments_state_deleted", "state_id", "deleted_at"),)

    clues: Mapped[str] = mapped_column(String(11), unique=True)
    previous_clues: Mapped[str | None] = mapped_column(String(11), index=True)
    name: Mapped[str] = mapped_column(String(250))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    institution_code: Mapped[str] = mapped_column(String(3), default="IMB")
    establishment_type: Mapped[str] = mapped_column(String(120), default="")
    typology_id: Mapped[int | None] = mapped_column(ForeignKey("typologies.id"))
    subtypology: Mapped[str] = mapped_column(String(200), default="")
    level_of_care: Mapped[LevelOfCare] = mapped_column(enum_type(LevelOfCare, "level_of_care"))
    municipality_code: Mapped[str] = mapped_column(String(3), default="")
    municipality: Mapped[str] = mapped_column(String(120), default="")
    locality_code: Mapped[str] = mapped_column(String(4), default="")
    locality: Mapped[str] = mapped_column(String(200), default="")
    jurisdiction: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    operating_status: Mapped[OperatingStatus] = mapped_column(
        enum_type(OperatingStatus, "operating_status"), default=OperatingStatus.EN_OPERACION
    )
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    operation_started_on: Mapped[date | None] = mapped_column(Date)
    retirement_reason: Mapped[str] = mapped_column(Text, default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    referral_establishment_id: Mapped[int | None] = mapped_column(ForeignKey("establishments.id"))
    notes: Mapped[str] = mapped_column(Text, default="")

    state: Mapped[State] = relationship()
    typology: Mapped[Typology | None] = relationship()
    region: Mapped["Region | None"] = relationship(foreign_keys=[region_id])  # noqa: F821
    zone: Mapped["Zone | None"] = relationship(foreign_keys=[zone_id])  # noqa: F821
    referral_establishment: Mapped["Establishment | None"] = relationship(remote_side="Establishment.id")
