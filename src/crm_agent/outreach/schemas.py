"""What the outreach service returns: drafts with their checks and edits, quotas, templates."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from crm_agent.outreach.models import DraftEdit, EmailDraft


class Recipient(BaseModel):
    """One recipient: the address, a display name, and the contact it belongs to (if any)."""

    email: str
    name: str = ""
    contact_id: str | None = None


class CheckRead(BaseModel):
    """One validation result."""

    name: str
    level: Literal["pass", "warn", "block"]
    reason: str


def content_text(content: dict[str, Any]) -> list[str]:
    """The lines of a draft's editable content, for diffs."""
    to = ", ".join(r.get("email", "") for r in content.get("recipients", []))
    head = [f"To: {to}", f"Category: {content.get('category', '')}", f"Subject: {content.get('subject', '')}", ""]
    return [*head, *content.get("body", "").splitlines()]


class EditRead(BaseModel):
    """One edit: who, when, the content before and after, and a unified diff of the two."""

    at: datetime
    actor: str
    before: dict[str, Any]
    after: dict[str, Any]
    diff: str

    @classmethod
    def of(cls, row: DraftEdit) -> EditRead:
        diff = "\n".join(
            difflib.unified_diff(content_text(row.before), content_text(row.after), "before", "after", lineterm="", n=2)
        )
        return cls(at=row.at, actor=row.actor, before=row.before, after=row.after, diff=diff)


class DraftRead(BaseModel):
    """A draft as the API, CLI and web app show it."""

    id: int
    status: Literal["pending", "approved", "sending", "sent", "failed", "rejected"]
    category: str
    sender: str
    sender_name: str
    recipients: list[Recipient]
    subject: str
    body: str
    template: str | None
    checks: list[CheckRead]
    blocked: list[str] = Field(description="Reasons that stop approval and sending; empty when it may be sent.")
    warnings: list[str]
    created_by: str
    run_id: str | None
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str | None
    attempts: int
    message_id: str | None
    transport: str | None
    sent_at: datetime | None
    failure_reason: str | None
    retryable: bool
    engagement_id: str | None
    edits: list[EditRead] = Field(default_factory=list)

    @classmethod
    def of(cls, row: EmailDraft, edits: list[DraftEdit] | None = None) -> DraftRead:
        checks = [CheckRead(**c) for c in row.checks or []]
        return cls(
            id=row.id,
            status=row.status,  # type: ignore[arg-type]
            category=row.category,
            sender=row.sender,
            sender_name=row.sender_name,
            recipients=[Recipient(**r) for r in row.recipients],
            subject=row.subject,
            body=row.body,
            template=row.template,
            checks=checks,
            blocked=[f"{c.name}: {c.reason}" for c in checks if c.level == "block"],
            warnings=[f"{c.name}: {c.reason}" for c in checks if c.level == "warn"],
            created_by=row.created_by,
            run_id=row.run_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            reject_reason=row.reject_reason,
            attempts=row.attempts,
            message_id=row.message_id,
            transport=row.transport,
            sent_at=row.sent_at,
            failure_reason=row.failure_reason,
            retryable=row.retryable,
            engagement_id=row.engagement_id or None,
            edits=[EditRead.of(e) for e in edits or []],
        )

    @property
    def to(self) -> str:
        """The recipients' addresses, comma-separated."""
        return ", ".join(r.email for r in self.recipients)


class QuotaRead(BaseModel):
    """What is left of the quotas for one recipient (and the sender), at ``at``."""

    email: str
    sender: str
    at: datetime
    sender_limit: int
    sender_used: int
    sender_left: int
    sender_resets_at: datetime = Field(description="Local midnight, when the sender's daily count starts again.")
    recipient_limit: int
    recipient_used: int
    recipient_left: int
    recipient_exempt: bool = Field(description="Owners (the team) have no per-recipient limit.")
    recipient_next_slot_at: datetime | None = Field(
        description="When the oldest send in the 7-day window stops counting (null when a slot is free)."
    )
    opted_out: bool
    suppressed: bool


class TemplateRead(BaseModel):
    """An email template."""

    name: str
    category: str
    description: str
    needs: list[str]
    source: str


class TransportCheck(BaseModel):
    """Outcome of ``crm-agent email test``: which transport, whether it works, and what failed."""

    transport: str
    ok: bool
    detail: str


class UnsubscribeResult(BaseModel):
    """What following an unsubscribe link did."""

    email: str
    contact_id: str | None
    already: bool
