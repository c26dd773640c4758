"""Sending quotas, counted from the ``email_quota_uses`` ledger.

* per sender: emails (drafts) sent since local midnight, at most ``email_quota_sender_per_day``;
* per recipient: emails received in the last 7 days (rolling), at most
  ``email_quota_contact_per_week``; owners (the team) are exempt.

A send reserves its rows when it is claimed, under :func:`lock` (a transaction-level advisory
lock on PostgreSQL; on SQLite the claim's first statement already holds the database's write
lock), so two sends racing for the last slot are counted one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent.config import Settings
from crm_agent.outreach.models import EmailDraft, QuotaUse
from crm_agent.outreach.values import day_bounds

WEEK = timedelta(days=7)
_LOCK_KEY = 0x6372_6D71  # "crmq"


@dataclass(frozen=True)
class Usage:
    """What one sender and one recipient have used at ``now``."""

    sender_used: int
    recipient_used: int
    oldest: datetime | None  # the oldest counted send to the recipient in the 7-day window
    day_end: datetime  # when the sender's daily count starts again


async def lock(s: AsyncSession) -> None:
    """Serialize quota checks until the end of the transaction (PostgreSQL)."""
    if s.bind.dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


async def usage(s: AsyncSession, settings: Settings, sender: str, recipient: str, now: datetime) -> Usage:
    """The counts of ``sender`` today and of ``recipient`` in the last 7 days."""
    start, end = day_bounds(now, settings)
    sender_used = await s.scalar(
        select(func.count(func.distinct(QuotaUse.draft_id))).where(QuotaUse.sender == sender, QuotaUse.at >= start)
    )
    used, oldest = (
        await s.execute(
            select(func.count(), func.min(QuotaUse.at)).where(
                QuotaUse.recipient == recipient, QuotaUse.counts_for_recipient.is_(True), QuotaUse.at > now - WEEK
            )
        )
    ).one()
    if isinstance(oldest, str):  # SQLite may return the aggregate as text (naive UTC)
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return Usage(sender_used or 0, used or 0, oldest, end.astimezone(UTC))


async def problem(
    s: AsyncSession, settings: Settings, draft: EmailDraft, internal: set[str], now: datetime
) -> str | None:
    """Why sending ``draft`` now would exceed a quota, or None. Call it under :func:`lock`."""
    sender_limit = settings.email_quota_sender_per_day
    recipient_limit = settings.email_quota_contact_per_week
    problems = []
    for i, r in enumerate(draft.recipients):
        used = await usage(s, settings, draft.sender, r["email"], now)
        if i == 0 and used.sender_used >= sender_limit:
            problems.append(
                f"{draft.sender} has sent {used.sender_used} of {sender_limit} emails allowed today "
                f"(more from {used.day_end:%Y-%m-%d %H:%M} UTC)"
            )
        if r["email"] not in internal and used.recipient_used >= recipient_limit:
            when = f" (a slot frees at {used.oldest + WEEK:%Y-%m-%d %H:%M} UTC)" if used.oldest else ""
            problems.append(
                f"{r['email']} has received {used.recipient_used} of {recipient_limit} emails allowed per week{when}"
            )
    return "quota exceeded: " + "; ".join(problems) if problems else None


def reserve(s: AsyncSession, draft: EmailDraft, internal: set[str], now: datetime) -> None:
    """Count this attempt of ``draft`` against the quotas (one row per recipient)."""
    for r in draft.recipients:
        s.add(
            QuotaUse(
                draft_id=draft.id,
                attempt=draft.attempts,
                sender=draft.sender,
                recipient=r["email"],
                counts_for_recipient=r["email"] not in internal,
                at=now,
            )
        )
