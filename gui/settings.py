"""Every UI setting declared once, with its default. Stored in an INI file in the data folder."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings


@dataclass(frozen=True)
class Setting:
    """A declared setting: key, default and type."""

    key: str
    default: Any
    type: type


WINDOW_GEOMETRY = Setting("ventana/geometria", QByteArray(), QByteArray)
WINDOW_STATE = Setting("ventana/estado", QByteArray(), QByteArray)
LAST_PAGE = Setting("ventana/pagina", 0, int)
EST_HEADER = Setting("establecimientos/encabezado", QByteArray(), QByteArray)
EST_SEARCH = Setting("establecimientos/busqueda", "", str)
EST_LEVEL = Setting("establecimientos/filtro_nivel", "", str)
EST_TYPOLOGY = Setting("establecimientos/filtro_tipologia", "", str)
EST_STATUS = Setting("establecimientos/filtro_estatus", "", str)
EST_REGION = Setting("establecimientos/filtro_region", "", str)
EST_SHOW_RETIRED = Setting("establecimientos/mostrar_bajas", False, bool)
EST_SORT_COLUMN = Setting("establecimientos/orden_columna", 0, int)
EST_SORT_ORDER = Setting("establecimientos/orden_sentido", 0, int)
REG_SPLITTER = Setting("regiones/divisor", QByteArray(), QByteArray)  # tree | consistency panel
REG_LEFT_SPLITTER = Setting("regiones/divisor_arbol", QByteArray(), QByteArray)  # tree / unassigned list
REG_TREE_HEADER = Setting("regiones/encabezado_arbol", QByteArray(), QByteArray)
REG_SEARCH = Setting("regiones/busqueda_sin_zona", "", str)
REG_FAR_KM = Setting("regiones/distancia_lejana_km", 60.0, float)  # referral hospital "far" threshold
REG_TAB = Setting("regiones/pestana", 0, int)
REG_STATE = Setting("regiones/entidad", "", str)  # INEGI code last shown by the national office
IMPORT_DIR = Setting("importacion/carpeta", "", str)  # last folder a file was imported from
EXPORT_DIR = Setting("exportacion/carpeta", "", str)  # last folder a file was written to
BACKUP_DIR = Setting("respaldos/carpeta", "", str)  # empty: <data folder>/respaldos; may be a USB drive
IMPORT_WIZARD_GEOMETRY = Setting("importacion/geometria_asistente", QByteArray(), QByteArray)


class Settings:
    """Typed access to the declared settings."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def get(self, setting: Setting) -> Any:
        value = self._qs.value(setting.key, setting.default)
        if setting.type is bool and isinstance(value, str):
            return value.lower() in ("true", "1")
        if setting.type is QByteArray:
            return value if isinstance(value, QByteArray) else setting.default
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            return setting.default

    def set(self, setting: Setting, value: Any) -> None:
        self._qs.setValue(setting.key, value)

    def sync(self) -> None:
        self._qs.sync()

    @property
    def path(self) -> str:
        return self._qs.fileName()
