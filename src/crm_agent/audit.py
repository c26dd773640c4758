"""Append-only, hash-chained audit log of every executed write.

Each entry records who (actor), why (run id and step), what (action, object type and id) and
the before- and after-image of the record. ``hash`` is SHA-256 over the entry's canonical JSON
plus the previous entry's hash, so editing or deleting any entry breaks every later link and
:func:`verify_chain` reports the first broken one.

Writers call :func:`append` inside their own transaction, so an entry exists exactly when the
write it describes committed. On PostgreSQL appends are serialized with a transaction-level
advisory lock; SQLite serializes writers by itself.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import JSON, Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from crm_agent.storage.base import Base, UTCDateTime
from crm_agent.storage.bulk import insert_rows

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x6372_6D61  # "crma"
_IMAGES = ("before", "after")  # columns that chain() gives as JSON text already


@dataclass(frozen=True)
class WriteContext:
    """Who is writing and on behalf of which run step; recorded on every audit entry."""

    actor: str = "system"
    run_id: str | None = None
    step: int | None = None


current_write_context: ContextVar[WriteContext] = ContextVar("current_write_context", default=WriteContext())  # noqa: B039 - frozen


class AuditEntry(Base):
    """One executed write. Never updated or deleted by the product."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# The canonical JSON of an entry is ``json.dumps(body, sort_keys=True, default=str)`` of its column
# values (``prev_hash`` as ``prev``, without ``hash``); these encoders write exactly that.
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def _json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, default=str)``; text and null without building an encoder."""
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring_ascii(value)
    return _CANONICAL.encode(value)


def _digest(entry: AuditEntry) -> str:
    return _hash(
        entry.id,
        _json(entry.at.isoformat()),
        entry.actor,
        entry.run_id,
        entry.step,
        entry.action,
        entry.object_type,
        entry.object_id,
        _json(entry.before),
        _json(entry.after),
        entry.prev_hash,
    )


def _hash(
    id_: int,
    at_json: str,
    actor: str,
    run_id: str | None,
    step: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before_json: str,
    after_json: str,
    prev: str,
) -> str:
    """SHA-256 (hex) of an entry's canonical JSON; the time (ISO 8601) and the images are given
    as canonical JSON already.

    The body is spelled out key by key in sorted order, so that each image (most of an entry)
    is encoded once: the same text is hashed and stored.
    """
    body = (
        f'{{"action": {_json(action)}, "actor": {_json(actor)}, "after": {after_json}, "at": {at_json}, '
        f'"before": {before_json}, "id": {_json(id_)}, "object_id": {_json(object_id)}, '
        f'"object_type": {_json(object_type)}, "prev": {_json(prev)}, "run_id": {_json(run_id)}, '
        f'"step": {_json(step)}}}'
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class _Pending:
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def append_many(session: AsyncSession, at: datetime, items: list[_Pending]) -> None:
    """Chain ``items`` onto the log in order, within the caller's transaction."""
    if not items:
        return
    await insert_entries(session, chain(await chain_end(session), at, items))


async def chain_end(session: AsyncSession) -> tuple[int, str]:
    """The id and the previous hash of the next entry. On PostgreSQL this first takes the log's
    transaction-level lock, which serializes appends until the caller's transaction ends."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    last = (
        await session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    ).first()
    return (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)


def chain(end: tuple[int, str], at: datetime, items: list[_Pending]) -> list[dict[str, Any]]:
    """The rows of ``items`` chained after ``end`` (from :func:`chain_end`), hashes computed.

    Each row maps column names to values; ``before`` and ``after`` are already the JSON text to
    store (see :func:`insert_entries`)."""
    next_id, prev = end
    ctx = current_write_context.get()
    at_json = _json(at.isoformat())
    rows = []
    for item in items:
        before, after = _json(item.before), _json(item.after)
        digest = _hash(
            next_id,
            at_json,
            ctx.actor,
            ctx.run_id,
            ctx.step,
            item.action,
            item.object_type,
            item.object_id,
            before,
            after,
            prev,
        )
        rows.append(
            {
                "id": next_id,
                "at": at,
                "actor": ctx.actor,
                "run_id": ctx.run_id,
                "step": ctx.step,
                "action": item.action,
                "object_type": item.object_type,
                "object_id": item.object_id,
                "before": before,
                "after": after,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev, next_id = digest, next_id + 1
    return rows


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert rows made by :func:`chain`, in one bulk statement (an import appends thousands)."""
    if rows:
        await insert_rows(
            session, AuditEntry.__table__, list(rows[0]), [list(r.values()) for r in rows], encoded=_IMAGES
        )


async def append(
    session: AsyncSession,
    at: datetime,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Append one entry (see :func:`append_many`)."""
    await append_many(session, at, [_Pending(action, object_type, object_id, before, after)])


def pending(
    action: str, object_type: str, object_id: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> _Pending:
    """An entry to hand to :func:`append_many`."""
    return _Pending(action, object_type, object_id, before, after)


@dataclass(frozen=True)
class ChainReport:
    """Result of :func:`verify_chain`: ``ok``, entries checked, and the first bad entry id."""

    ok: bool
    entries: int
    first_bad_id: int | None = None
    reason: str = ""


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Recompute every hash in id order; report the first entry whose link or content changed."""
    prev, count, expected_id = GENESIS_HASH, 0, 1
    rows = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
    async for entry in rows:
        count += 1
        if entry.id != expected_id:
            return ChainReport(False, count, expected_id, f"entry {expected_id} is missing")
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.id, "link to the previous entry is broken")
        if _digest(entry) != entry.hash:
            return ChainReport(False, count, entry.id, "content does not match its hash")
        prev, expected_id = entry.hash, expected_id + 1
    return ChainReport(True, count)
