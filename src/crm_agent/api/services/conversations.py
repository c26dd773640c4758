"""The runs of a conversation, oldest first (the chat page shows them as its history)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.agent.records import Run


async def run_ids(sessions: async_sessionmaker[AsyncSession], conversation_id: str, limit: int = 50) -> list[str]:
    """Ids of the last ``limit`` runs of a conversation, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Run.id).where(Run.conversation_id == conversation_id).order_by(Run.created_at.desc()).limit(limit)
        )
        return list(reversed(rows.all()))
