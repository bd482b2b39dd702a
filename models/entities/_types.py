"""Column helpers shared by the entity modules."""
from __future__ import annotations

from sqlalchemy import Enum


def enum_type(enum_cls, name: str) -> Enum:
    """A portable (non-native) enum column type storing the member values, with a CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
    )
