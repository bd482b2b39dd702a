"""Operating regions, medical service zones (ZSM) and zonal supervision teams (ESZ)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked
from models.entities.catalog import State


class Region(Tracked, Base):
    """Región Operativa: replaces the old sanitary jurisdictions; groups zones."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("state_id", "name", name="uq_regions_state_name"),)

    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")

    state: Mapped[State] = relationship()
    zones: Mapped[list["Zone"]] = relationship(back_populates="region")


class Zone(Tracked, Base):
    """Zona de Servicios Médicos (ZSM), led by one coordinating hospital."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_zones_region_name"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(120))
    coordinating_establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishments.id", use_alter=True), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")

    region: Mapped[Region] = relationship(back_populates="zones")


class SupervisionTeam(Tracked, Base):
    """Equipo de Supervisión Zonal (ESZ) of a region."""

    __tablename__ = "supervision_teams"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_supervision_teams_region_name"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list["SupervisionTeamMember"]] = relationship(back_populates="team")


class SupervisionTeamMember(Tracked, Base):
    """A person in a supervision team."""

    __tablename__ = "supervision_team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("supervision_teams.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    team: Mapped[SupervisionTeam] = relationship(back_populates="members")


class SupervisionAssignment(Tracked, Base):
    """An establishment supervised by a team."""

    __tablename__ = "supervision_assignments"
    __table_args__ = (
        UniqueConstraint("team_id", "establishment_id", name="uq_supervision_assignments_team_establishment"),
    )

    team_id: Mapped[int] = mapped_column(ForeignKey("supervision_teams.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), index=True)
