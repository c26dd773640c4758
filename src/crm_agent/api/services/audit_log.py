"""Reading the audit log: filtered pages of entries, and chain verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.api.schemas import AuditEntryRead, AuditPage, ChainVerification
from crm_agent.audit import AuditEntry, verify_chain
from crm_agent.crm.schemas import Paging


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show; every field given must match."""

    actor: str | None = None
    run_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None


def entry_read(entry: AuditEntry) -> AuditEntryRead:
    """The API form of an entry."""
    return AuditEntryRead(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        runId=entry.run_id,
        step=entry.step,
        action=entry.action,
        objectType=entry.object_type,
        objectId=entry.object_id,
        before=entry.before,
        after=entry.after,
        hash=entry.hash,
        prevHash=entry.prev_hash,
    )


class AuditLog:
    """Queries over the audit log table (newest first)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def page(self, flt: AuditFilter, limit: int = 50, offset: int = 0) -> AuditPage:
        """Entries matching ``flt``, newest first, with the total and the next-page cursor."""
        stmt = select(AuditEntry)
        for column, value in (
            (AuditEntry.actor, flt.actor),
            (AuditEntry.run_id, flt.run_id),
            (AuditEntry.object_type, flt.object_type),
            (AuditEntry.object_id, flt.object_id),
            (AuditEntry.action, flt.action),
        ):
            if value:
                stmt = stmt.where(column == value)
        async with self.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = (await session.scalars(stmt.order_by(AuditEntry.id.desc()).offset(offset).limit(limit))).all()
        following = offset + len(rows)
        paging = Paging(next={"after": str(following)}) if following < total else None
        return AuditPage(results=[entry_read(r) for r in rows], total=total, paging=paging)

    async def for_records(self, object_type: str, object_ids: list[str], limit: int = 200) -> list[AuditEntryRead]:
        """The latest entries about any of these records, newest first."""
        if not object_ids:
            return []
        async with self.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(object_ids))
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
            return [entry_read(r) for r in rows]

    async def verify(self) -> ChainVerification:
        """Recompute the hash chain (see :func:`crm_agent.audit.verify_chain`)."""
        async with self.sessions() as session:
            report = await verify_chain(session)
        return ChainVerification(
            ok=report.ok, entries=report.entries, firstBadId=report.first_bad_id, reason=report.reason
        )
