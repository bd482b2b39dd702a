"""Weekend-opening (7-day care) records of first-level units: schedule, staff, interruptions."""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Time, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Tracked
from models.entities._types import enum_type
from models.enums import ShiftKind, StaffRole


class WeekendRecord(Tracked, Base):
    """One unit's participation in the 7-day programme (``viable``) and since when it opens on weekends."""

    __tablename__ = "weekend_records"

    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), unique=True)
    viable: Mapped[bool] = mapped_column(Boolean, default=True)
    weekend_since: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    shifts: Mapped[list["WeekendShift"]] = relationship(back_populates="record")
    staff: Mapped[list["WeekendStaff"]] = relationship(back_populates="record")
    interruptions: Mapped[list["WeekendInterruption"]] = relationship(back_populates="record")


class WeekendShift(Tracked, Base):
    """A shift on one weekday (0 = Monday … 6 = Sunday) with its hours."""

    __tablename__ = "weekend_shifts"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),)

    record_id: Mapped[int] = mapped_column(ForeignKey("weekend_records.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ShiftKind] = mapped_column(enum_type(ShiftKind, "shift_kind"))
    starts_at: Mapped[time | None] = mapped_column(Time)
    ends_at: Mapped[time | None] = mapped_column(Time)

    record: Mapped[WeekendRecord] = relationship(back_populates="shifts")


class WeekendStaff(Tracked, Base):
    """A person (or a vacancy, when ``full_name`` is empty) assigned to a unit's weekend shifts."""

    __tablename__ = "weekend_staff"

    record_id: Mapped[int] = mapped_column(ForeignKey("weekend_records.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("weekend_shifts.id"))
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole, "staff_role"))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    contract_type: Mapped[str] = mapped_column(String(80), default="")
    hired_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    record: Mapped[WeekendRecord] = relationship(back_populates="staff")

    @property
    def is_vacancy(self) -> bool:
        return not self.full_name.strip()


class WeekendInterruption(Tracked, Base):
    """A period in which the unit did not open on weekends."""

    __tablename__ = "weekend_interruptions"

    record_id: Mapped[int] = mapped_column(ForeignKey("weekend_records.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    record: Mapped[WeekendRecord] = relationship(back_populates="interruptions")
