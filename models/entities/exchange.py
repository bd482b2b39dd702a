"""Bookkeeping of the offline exchange with the national office (models/exchange/FORMAT.md).

These tables never travel themselves: they record what this office sent and received, what each peer
office is known to hold, and the conflicts waiting for a person's decision.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

SENT = "enviado"
RECEIVED = "recibido"
PACKAGE = "paquete"
ACK = "acuse"
OPEN = "abierto"
RESOLVED = "resuelto"


class ExchangePackage(Base):
    """One package or acknowledgement this office wrote (``enviado``) or applied (``recibido``).

    The received rows are the ledger of applied sequence numbers per source office: they are written in
    the same transaction as the package's data, so a package is applied exactly when its row exists.
    ``sent_records`` (sent packages only) is the zlib-compressed JSON list of what travelled, so an
    acknowledgement can mark those records as held by the peer.
    """

    __tablename__ = "exchange_packages"
    __table_args__ = (UniqueConstraint("direction", "package_uuid", name="uq_exchange_packages_direction_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_uuid: Mapped[str] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    source_office: Mapped[str] = mapped_column(String(8))
    source_office_id: Mapped[str] = mapped_column(String(36), index=True)
    target_office: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int | None] = mapped_column(Integer)
    base_ack: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_by: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    records: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    details_json: Mapped[str] = mapped_column(Text, default="")
    sent_records: Mapped[bytes | None] = mapped_column(LargeBinary)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExchangeSync(Base):
    """What this office knows about one record at one peer office (``peer``: state INEGI code or NACIONAL).

    ``recv_version``: the highest version of the record received from the peer (the peer's own counter),
    so an older or repeated copy is recognised. ``common_hash``: content both offices held at the last
    exchange (received from the peer, found equal, or chosen when a conflict was resolved); a local change
    is one that moved away from it. ``known_hash``: the newest content the peer is known to hold (also set
    by its acknowledgements); a record whose content equals it does not travel again. ``known_version``: the
    local version that had that content, so an export skips an unchanged record without hashing it (every
    write of a record bumps its version).
    """

    __tablename__ = "exchange_sync"
    __table_args__ = (Index("ix_exchange_sync_peer_table", "peer", "table_name"),)

    peer: Mapped[str] = mapped_column(String(8), primary_key=True)
    record_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    recv_version: Mapped[int | None] = mapped_column(Integer)
    common_hash: Mapped[str | None] = mapped_column(String(32))
    common_version: Mapped[int | None] = mapped_column(Integer)
    known_hash: Mapped[str | None] = mapped_column(String(32))
    known_version: Mapped[int | None] = mapped_column(Integer)


class ExchangeConflict(Base):
    """A record changed here and at the peer since their last exchange: both versions, until someone decides.

    At most one open conflict per record; a newer incoming copy replaces ``incoming_json`` of the open one.
    """

    __tablename__ = "exchange_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    record_uuid: Mapped[str] = mapped_column(String(36), index=True)
    peer: Mapped[str] = mapped_column(String(8))
    source_office_id: Mapped[str] = mapped_column(String(36))
    package_sequence: Mapped[int] = mapped_column(Integer)
    local_version: Mapped[int] = mapped_column(Integer)
    incoming_version: Mapped[int] = mapped_column(Integer)
    local_json: Mapped[str] = mapped_column(Text)
    incoming_json: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_json: Mapped[str | None] = mapped_column(Text)
