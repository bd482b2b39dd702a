"""Declarative base and the columns every record carries (UUID, timestamps, author, version, soft delete)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator


def _check_subject(constraint, _table) -> str:
    """What a CHECK constraint is named after: the column for an enum's own CHECK (two columns of one enum in a
    table would otherwise share a name, which PostgreSQL refuses), else the constraint's given name."""
    if getattr(constraint, "_type_bound", False):
        from sqlalchemy import Column
        from sqlalchemy.sql.visitors import iterate

        for element in iterate(constraint.sqltext):
            if isinstance(element, Column):
                return element.name
    return constraint.name


NAMING_CONVENTION = {
    # the token's name must contain "constraint_name": SQLAlchemy renames a named constraint only then
    "constraint_name_or_column": _check_subject,
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name_or_column)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SYSTEM_USER = "sistema"


def utcnow() -> datetime:
    """Current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    """A new random UUID as a 36-character string."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Timestamp stored as naive UTC and returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime requires a timezone-aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention (needed for migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Tracked:
    """Mixin: global id, created/updated timestamps, who changed it, version counter, soft delete.

    ``version`` is the ORM's version counter: every ORM flush of a change increments it and an update
    of a stale copy raises ``StaleDataError`` instead of silently overwriting someone else's change.
    ``deleted_at`` set means retired (soft-deleted): the row keeps its history and still travels in
    exchanges with the national office.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    changed_by: Mapped[str] = mapped_column(String(80), default=SYSTEM_USER)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805 - SQLAlchemy declared_attr signature
        return {"version_id_col": cls.version}

    @property
    def is_deleted(self) -> bool:
        """True when the record has been retired (soft-deleted)."""
        return self.deleted_at is not None
