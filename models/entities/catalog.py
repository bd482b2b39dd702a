"""Reference catalogue shipped with the app: states, blocks, targets, published figures, institutions, typologies."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked
from models.entities._types import enum_type
from models.enums import LevelOfCare


class AppMeta(Base):
    """Key/value facts about this database: schema version, catalogue version, the office's state."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class State(Tracked, Base):
    """One of the 32 federal entities (INEGI codes 01–32); ``adhered`` marks the IMSS-BIENESTAR states."""

    __tablename__ = "states"

    inegi_code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    short_name: Mapped[str] = mapped_column(String(40))
    clues_prefix: Mapped[str] = mapped_column(String(2), unique=True)
    adhered: Mapped[bool] = mapped_column(Boolean, default=False)
    adhered_on: Mapped[date | None] = mapped_column(Date)
    weekend_block_id: Mapped[int | None] = mapped_column(ForeignKey("weekend_blocks.id"))

    weekend_block: Mapped["WeekendBlock | None"] = relationship(back_populates="states")


class WeekendBlock(Tracked, Base):
    """A block of states in the weekend-opening (7-day care) rollout."""

    __tablename__ = "weekend_blocks"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(40))

    states: Mapped[list[State]] = relationship(back_populates="weekend_block")


class WeekendTarget(Tracked, Base):
    """A state's target of units open 7 days, effective from a date; the latest one is in force (history kept)."""

    __tablename__ = "weekend_targets"
    __table_args__ = (UniqueConstraint("state_id", "effective_from", name="uq_weekend_targets_state_date"),)

    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    units_target: Mapped[int] = mapped_column(Integer)
    doctors_target: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    state: Mapped[State] = relationship()


class PublishedRegionFigures(Tracked, Base):
    """Per-state regionalisation figures as published by the national office for a period."""

    __tablename__ = "published_region_figures"
    __table_args__ = (UniqueConstraint("state_id", "period_end", name="uq_published_region_figures_state_period"),)

    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    regions: Mapped[int] = mapped_column(Integer)
    zones: Mapped[int] = mapped_column(Integer)
    coordinating_hospitals: Mapped[int] = mapped_column(Integer)
    other_hospitals: Mapped[int] = mapped_column(Integer)
    supervision_teams: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")

    state: Mapped[State] = relationship()


class Institution(Tracked, Base):
    """Institution code used in CLUES keys (IMB, SSA, IMS, IST, …); configurable."""

    __tablename__ = "institutions"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Typology(Tracked, Base):
    """Type of unit (Centro de Salud, Hospital General, UMM, …) with its usual level of care."""

    __tablename__ = "typologies"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    default_level: Mapped[LevelOfCare | None] = mapped_column(enum_type(LevelOfCare, "level_of_care"))
    is_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
