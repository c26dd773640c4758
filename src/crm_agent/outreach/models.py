"""Tables of outbound email: drafts, their edits, the quota ledger, the suppression list and the
signing key of unsubscribe links.

A draft moves ``pending -> approved -> sending -> sent``; ``rejected`` (with a reason) and
``failed`` (with a reason, and whether a retry may send it) end other paths. ``key`` is fixed at
creation and names the message everywhere: its Message-ID is ``<key@sender-domain>`` and the
Maildir outbox file is named after it (see docs/email.md, "Exactly once").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_agent.storage.base import Base, UTCDateTime

STATUSES = ("pending", "approved", "sending", "sent", "failed", "rejected")
CATEGORIES = ("transactional", "notification", "sales", "marketing")


class EmailDraft(Base):
    """One outbound email, from its drafting to its sending.

    ``recipients`` is a list of ``{"email", "name", "contact_id"}``; ``checks`` the latest
    validation results (``{"name", "level", "reason"}``, level ``pass``/``warn``/``block``).
    ``handed_off_at`` is set just before an SMTP server is given the message, so recovery knows
    whether a send may have happened (docs/email.md). ``engagement_id`` is the email engagement on
    the recipients' timelines once logged ("" when no recipient is a contact).
    """

    __tablename__ = "email_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    category: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(100), nullable=True)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transport: Mapped[str | None] = mapped_column(String(20), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(400), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    engagement_id: Mapped[str | None] = mapped_column(String(20), nullable=True)


class DraftEdit(Base):
    """One edit of a draft by an operator (or the agent): who, when, and the fields before and after."""

    __tablename__ = "email_draft_edits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("email_drafts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class QuotaUse(Base):
    """One recipient of one send, counted against the quotas from the moment the send is claimed.

    A send that certainly did not happen (the transport refused before hand-off) gives its rows
    back; a sent or possibly-sent message keeps them.
    """

    __tablename__ = "email_quota_uses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("email_drafts.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    counts_for_recipient: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_email_quota_uses_sender_at", "sender", "at"),
        Index("ix_email_quota_uses_recipient_at", "recipient", "at"),
    )


class Suppression(Base):
    """An address that must never be emailed (unsubscribed, bounced or added by hand)."""

    __tablename__ = "email_suppressions"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SigningKey(Base):
    """A random key generated on first use (e.g. for unsubscribe links), shared by every replica."""

    __tablename__ = "signing_keys"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
