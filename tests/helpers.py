"""Small builders used by several test modules."""
from __future__ import annotations

from models.services import establishments as svc


def new_establishment(factory, state_id: int, clues: str, name: str, level: str = "PRIMER", user: str = "prueba",
                      **extra) -> svc.EstablishmentData:
    """Create one establishment through the service, in its own transaction."""
    with factory.begin() as session:
        return svc.create_establishment(
            session, svc.EstablishmentData(state_id=state_id, clues=clues, name=name, level_of_care=level, **extra), user
        )


def table_dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, for before/after comparisons."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        return {
            name: conn.execute(text(f'SELECT * FROM "{name}" ORDER BY 1')).fetchall()
            for name in sorted(inspect(conn).get_table_names())
        }


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF (pypdf, a test dependency)."""
    import io

    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Whitespace (including line breaks of the PDF layout) collapsed to single spaces."""
    import re

    return re.sub(r"\s+", " ", text)


def sync_id_sequences(session, *entities) -> None:
    """After rows were inserted with explicit ids: on PostgreSQL move each table's id sequence past them (SQLite
    needs nothing), so the next ordinary insert does not collide."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for entity in entities:
        table = entity.__table__.name
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def assert_file_intact(engine) -> None:
    """SQLite's own check of the database file (``PRAGMA integrity_check``). A server database has no file of
    ours to check: there the table comparison the caller makes is the whole check."""
    from sqlalchemy import text

    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
