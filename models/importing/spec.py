"""What each kind of importable data looks like: fields, Spanish headers, the aliases a file may use.

The wizard, the CLI, the templates and the per-kind planners all read these, so a new kind (regions,
weekend schedules, authorisations) adds one ``ImportKind`` and a planner, and gets the rest for free.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models.importing.cells import header_key


@dataclass(frozen=True)
class FieldSpec:
    """One importable field: its key, the header the template uses, other headers it is known by."""

    key: str
    header: str
    description: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    allowed: tuple[str, ...] = ()
    example: str = ""

    def keys(self) -> set[str]:
        return {header_key(self.header), *(header_key(a) for a in self.aliases)}


@dataclass(frozen=True)
class ImportKind:
    """A kind of data the app imports. ``plan``/``apply`` are set by the kind's module."""

    key: str
    title: str
    fields: tuple[FieldSpec, ...]
    instructions: tuple[str, ...] = ()
    planner: Callable[..., Any] | None = field(default=None, compare=False)
    applier: Callable[..., Any] | None = field(default=None, compare=False)

    def known_headers(self) -> set[str]:
        return set().union(*(f.keys() for f in self.fields))

    def field(self, key: str) -> FieldSpec:
        return next(f for f in self.fields if f.key == key)

    def labels(self) -> dict[str, str]:
        return {f.key: f.header for f in self.fields}


Mapping = dict[str, int | None]  # field key → column index in the sheet (None: not imported)


def guess_mapping(kind: ImportKind, headers: list[str]) -> Mapping:
    """Map each field to the column whose header names it (case-, accent- and spacing-insensitive)."""
    keys = [header_key(h) for h in headers]
    mapping: Mapping = {}
    taken: set[int] = set()
    for spec in kind.fields:  # exact template header first, then aliases in order
        candidates = [header_key(spec.header), *(header_key(a) for a in spec.aliases)]
        mapping[spec.key] = None
        for candidate in candidates:
            for i, key in enumerate(keys):
                if key == candidate and i not in taken:
                    mapping[spec.key] = i
                    taken.add(i)
                    break
            if mapping[spec.key] is not None:
                break
    return mapping


def missing_required(kind: ImportKind, mapping: Mapping) -> list[str]:
    """Headers of required fields that no column provides."""
    return [f.header for f in kind.fields if f.required and mapping.get(f.key) is None]


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> ImportKind:
    """A registered kind (importing the per-kind modules registers them)."""
    import models.importing.equivalences  # noqa: F401
    import models.importing.establishments  # noqa: F401
    import models.importing.regions  # noqa: F401
    import models.importing.weekend  # noqa: F401
    import models.importing.authorisations  # noqa: F401

    try:
        return KINDS[key]
    except KeyError:
        raise KeyError(f"No se conoce el tipo de datos «{key}» (hay: {', '.join(sorted(KINDS))}).") from None


def all_kinds() -> list[ImportKind]:
    get_kind("establishments")
    return list(KINDS.values())
