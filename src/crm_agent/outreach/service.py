"""The outreach service: drafts, approval, quotas, suppression and exactly-once sending.

Use it from the agent, the API, the CLI or a playbook::

    outreach = OutreachService(crm)                    # crm: a LocalCrm
    draft = await outreach.create_draft("ann@acme.com", "Hello", "...", category="sales")
    draft = await outreach.draft_from_template("contact_created", contact_id="7", to="me@acme.com")
    draft = await outreach.summary_of_search("deals", SearchRequest(...), to="me@acme.com")
    draft = await outreach.approve(draft.id, actor="ann")     # approves and sends

A draft is ``pending`` until an operator approves (``approved``) or rejects it (``rejected``,
with a reason). Sending moves it ``approved -> sending -> sent`` or to ``failed`` (with the reason
and whether a retry may send it). Every decision writes an audit entry in the same transaction
as the state change. Validation (:mod:`crm_agent.outreach.compliance`), the suppression list and
the quotas are enforced again when the send is claimed, whatever was decided before.

Exactly once (docs/email.md): a send is keyed by the draft. Claiming it is one transaction that
moves the draft to ``sending``, re-validates, checks and reserves the quotas under a lock, and
audits. The message's Message-ID is derived from the draft's key, so the transport's own log
can say whether this very draft was delivered: after an interruption :meth:`resume_interrupted`
(or ``send`` on a stale ``sending`` draft) asks the transport before sending again, and never
re-sends a message an SMTP server may already have accepted.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent import audit
from crm_agent.crm.models import Contact
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import Conflict, FieldError, NotFound, PolicyDenied, ValidationFailed
from crm_agent.outreach import compliance, content, quotas
from crm_agent.outreach import recipients as recipients_mod
from crm_agent.outreach.models import CATEGORIES, DraftEdit, EmailDraft, QuotaUse, Suppression
from crm_agent.outreach.recipients import ToInput
from crm_agent.outreach.schemas import (
    DraftRead,
    QuotaRead,
    Recipient,
    TemplateRead,
    TransportCheck,
    UnsubscribeResult,
)
from crm_agent.outreach.templates import Templates
from crm_agent.outreach.transports import (
    MaildirOutbox,
    OutboxMessage,
    Transport,
    TransportError,
    outbox_dir,
    transport_for,
)
from crm_agent.outreach.unsubscribe import BadToken, make_token, read_token, signing_key, unsubscribe_url
from crm_agent.outreach.values import TemplateValues, render_fitting

SEND_LEASE = timedelta(minutes=10)  # a "sending" draft older than this was interrupted
EDITABLE = ("pending", "approved", "failed")


@contextlib.contextmanager
def acting_as(actor: str | None) -> Any:
    """Record ``actor`` on the audit entries written inside the block (keeps the run and step)."""
    if not actor:
        yield
        return
    token = audit.current_write_context.set(replace(audit.current_write_context.get(), actor=actor))
    try:
        yield
    finally:
        audit.current_write_context.reset(token)


def _image(d: EmailDraft) -> dict[str, Any]:
    """A draft's audit image."""
    return {
        "status": d.status,
        "category": d.category,
        "sender": d.sender,
        "to": [r["email"] for r in d.recipients],
        "subject": d.subject,
        "body": d.body,
        "template": d.template,
        "blocked": compliance.blocked(d.checks or []),
        "reject_reason": d.reject_reason,
        "attempts": d.attempts,
        "message_id": d.message_id,
        "failure_reason": d.failure_reason,
        "retryable": d.retryable,
    }


def _content(d: EmailDraft) -> dict[str, Any]:
    """The editable fields of a draft (what an edit records before and after)."""
    return {"recipients": [dict(r) for r in d.recipients], "category": d.category, "subject": d.subject, "body": d.body}


class OutreachService:
    """Drafts, approvals and sending over the CRM's database. One instance per process is fine:
    each method runs its own transactions, and nothing is kept in memory that another process
    needs (the signing key lives in the database)."""

    def __init__(self, crm: LocalCrm, transport: Transport | None = None):
        self.crm = crm
        self.settings = crm.settings
        self.sessions = crm.sessions
        self.transport: Transport = transport or transport_for(self.settings)
        self.templates = Templates(self.settings.data_dir, self.settings.tz)
        self.values = TemplateValues(crm)
        self._key: bytes | None = None

    @classmethod
    async def connect(cls, settings: Any, transport: Transport | None = None) -> OutreachService:
        """The service over the database named by ``settings`` (a :class:`crm_agent.config.Settings`)."""
        return cls(await LocalCrm.connect(settings), transport)

    def now(self) -> datetime:
        return self.settings.current_time()

    # ---------------------------------------------------------------- drafting
    async def create_draft(
        self,
        to: ToInput,
        subject: str,
        body: str,
        category: str = "notification",
        *,
        sender: str | None = None,
        template: str | None = None,
        actor: str | None = None,
        send_now: bool = False,
    ) -> DraftRead:
        """Create a draft (status ``pending``) and validate it.

        ``to``: one recipient or a list; each a contact id (``7``, ``"7"``, ``"contact:7"``), an
        address (``"ann@acme.com"``, ``"Ann Lee <ann@acme.com>"``) or a :class:`Recipient`.
        ``category``: transactional, notification, sales or marketing. Sales and marketing drafts
        get the recipient's unsubscribe link appended. HTML bodies are converted to text.

        Raises ValidationFailed for header injection (a line break in the subject or an address),
        a body over 100,000 characters, an unknown category or contact; an address that is merely
        invalid is kept and blocks the draft with the reason. ``send_now=True`` approves it as
        ``actor`` and sends it at once (still subject to validation, suppression and quotas).
        """
        if category not in CATEGORIES:
            raise ValidationFailed([FieldError("category", category, f"use one of {', '.join(CATEGORIES)}")])
        subject = content.single_line(subject, "subject")
        body = content.clean_body(body)
        sender_name, sender_address = self._sender(sender)
        ctx = audit.current_write_context.get()
        with acting_as(actor):
            key = await self._signing_key()
            now = self.now()
            async with self.sessions.begin() as s:
                recipients = await recipients_mod.resolve(s, to)
                if category in compliance.NEEDS_UNSUBSCRIBE and len(recipients) == 1:
                    body = await self._with_unsubscribe(s, body, recipients[0]["email"], key)
                draft = EmailDraft(
                    key=uuid.uuid4().hex,
                    status="pending",
                    category=category,
                    sender=sender_address,
                    sender_name=sender_name,
                    recipients=recipients,
                    subject=subject,
                    body=body,
                    template=template,
                    checks=[],
                    created_by=audit.current_write_context.get().actor,
                    run_id=ctx.run_id,
                    created_at=now,
                    updated_at=now,
                    attempts=0,
                    retryable=False,
                )
                s.add(draft)
                await s.flush()
                await self._validate(s, draft, key)
                await audit.append(s, now, "draft", "email_drafts", str(draft.id), None, _image(draft))
            if send_now:
                return await self.approve(draft.id, send=True)
        return await self.get(draft.id)

    async def draft_from_template(
        self,
        template: str,
        *,
        to: ToInput | None = None,
        contact_id: str | int | None = None,
        deal_id: str | int | None = None,
        variables: dict[str, Any] | None = None,
        category: str | None = None,
        sender: str | None = None,
        actor: str | None = None,
        send_now: bool = False,
    ) -> DraftRead:
        """Render template ``template`` (see ``GET /email/templates``) into a draft.

        The service fills in what the template needs from the CRM: ``contact`` from
        ``contact_id`` (or from the one recipient when it is a contact), ``deal`` (with its
        stage, pipeline and contacts) from ``deal_id``, the day's lists for ``daily_summary`` and
        ``deals_created_today``, proposed times for ``meeting_request``. ``variables`` add or
        override values (e.g. ``{"topic": "the renewal"}``). Recipients default to the contact for
        sales templates and to ``CRM_AGENT_EMAIL_NOTIFY_TO`` otherwise.

        Raises NotFound for an unknown template or record, ValidationFailed when a needed value
        is missing.
        """
        info = self.templates.info(template)
        sender_name, sender_address = self._sender(sender)
        recipients: list[dict[str, Any]] = []
        if to is not None:
            async with self.sessions() as s:
                recipients = await recipients_mod.resolve(s, to)
            if contact_id is None and "contact" in info.needs and len(recipients) == 1:
                contact_id = recipients[0]["contact_id"]
        values = await self.values.for_template(template, info.needs, contact_id, deal_id, variables or {})
        if to is None:
            async with self.sessions() as s:
                recipients = await recipients_mod.resolve(s, self._default_to(info.category, values))
        first = recipients[0] if recipients else {"email": "", "name": ""}
        base = {
            "sender_name": sender_name,
            "sender": sender_address,
            "recipient": {"name": first.get("name", ""), "email": first.get("email", "")},
            "today": self.now().astimezone(self.settings.tz).date().isoformat(),
            "topic": None,
            "deal": None,
        }
        rendered = render_fitting(self.templates, template, {**base, **values})
        return await self.create_draft(
            [Recipient(**r) for r in recipients],
            rendered.subject,
            rendered.body,
            category or rendered.category,
            sender=sender,
            template=template,
            actor=actor,
            send_now=send_now,
        )

    async def summary_of_search(
        self,
        object_type: str,
        request: SearchRequest | None = None,
        *,
        title: str | None = None,
        to: ToInput | None = None,
        actor: str | None = None,
        send_now: bool = False,
    ) -> DraftRead:
        """Draft an email summarizing what a CRM search finds (``search_summary`` template).

        ``request`` is a HubSpot-style search body (None: every record of the type). The email
        lists the first records (as many as fit in 2,000 characters), the total, and for deals the
        total amount per currency. Recipients default to ``CRM_AGENT_EMAIL_NOTIFY_TO``.
        """
        summary = await self.values.summary(object_type, request or SearchRequest())
        return await self.draft_from_template(
            "search_summary",
            to=to,
            variables={"title": title or f"Search of {object_type}", "summary": summary},
            actor=actor,
            send_now=send_now,
        )

    async def deals_created_today(self, *, to: ToInput | None = None, actor: str | None = None) -> DraftRead:
        """Draft "a summary of all deals created today" (template ``deals_created_today``)."""
        return await self.draft_from_template("deals_created_today", to=to, actor=actor)

    # ---------------------------------------------------------------- reading
    async def get(self, draft_id: int | str) -> DraftRead:
        """One draft with its checks and edit history. Raises NotFound."""
        async with self.sessions() as s:
            draft = await s.get(EmailDraft, _draft_id(draft_id))
            if draft is None:
                raise NotFound("draft", draft_id)
            edits = (
                await s.scalars(select(DraftEdit).where(DraftEdit.draft_id == draft.id).order_by(DraftEdit.id))
            ).all()
            return DraftRead.of(draft, list(edits))

    async def list(self, status: str | None = None, limit: int = 50) -> list[DraftRead]:
        """Drafts, newest first; ``status`` narrows to one state (e.g. ``pending``)."""
        stmt = select(EmailDraft).order_by(EmailDraft.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(EmailDraft.status == status)
        async with self.sessions() as s:
            drafts = (await s.scalars(stmt)).all()
            ids = [d.id for d in drafts]
            edits: dict[int, list[DraftEdit]] = {}
            if ids:
                for e in await s.scalars(select(DraftEdit).where(DraftEdit.draft_id.in_(ids)).order_by(DraftEdit.id)):
                    edits.setdefault(e.draft_id, []).append(e)
            return [DraftRead.of(d, edits.get(d.id)) for d in drafts]

    async def pending(self, limit: int = 100) -> list[DraftRead]:
        """Drafts waiting for an operator, newest first."""
        return await self.list("pending", limit)

    def template_list(self) -> list[TemplateRead]:
        """The templates available (built-in and from the data directory)."""
        return [TemplateRead(**vars(t)) for t in self.templates.all()]

    def outbox(self) -> list[OutboxMessage]:
        """Messages in the local Maildir outbox, newest first."""
        box = self.transport if isinstance(self.transport, MaildirOutbox) else MaildirOutbox(outbox_dir(self.settings))
        return box.list()

    # ---------------------------------------------------------------- decisions
    async def edit(
        self,
        draft_id: int | str,
        *,
        subject: str | None = None,
        body: str | None = None,
        to: ToInput | None = None,
        category: str | None = None,
        actor: str | None = None,
    ) -> DraftRead:
        """Change a pending, approved or failed draft; records the edit (before and after),
        re-validates, and puts the draft back to ``pending`` for a fresh approval."""
        if category is not None and category not in CATEGORIES:
            raise ValidationFailed([FieldError("category", category, f"use one of {', '.join(CATEGORIES)}")])
        new_subject = content.single_line(subject, "subject") if subject is not None else None
        new_body = content.clean_body(body) if body is not None else None
        with acting_as(actor):
            key = await self._signing_key()
            now = self.now()
            async with self.sessions.begin() as s:
                draft = await self._lock(s, draft_id)
                if draft.status not in EDITABLE:
                    raise PolicyDenied(
                        f"draft {draft.id} is {draft.status}; only pending, approved or failed drafts can be edited"
                    )
                before_image, before = _image(draft), _content(draft)
                old_urls = {r["email"]: self._unsub_url(key, r["email"]) for r in draft.recipients}
                if to is not None:
                    draft.recipients = await recipients_mod.resolve(s, to)
                if new_subject is not None:
                    draft.subject = new_subject
                if new_body is not None:
                    draft.body = new_body
                if category is not None:
                    draft.category = category
                if draft.category in compliance.NEEDS_UNSUBSCRIBE and len(draft.recipients) == 1:
                    address = draft.recipients[0]["email"]
                    new_url = self._unsub_url(key, address)
                    for old in old_urls.values():
                        draft.body = draft.body.replace(old, new_url)
                    if to is not None or category is not None:
                        draft.body = await self._with_unsubscribe(s, draft.body, address, key)
                after = _content(draft)
                if after == before:
                    return await self._read(s, draft)
                draft.status = "pending"
                draft.decided_by = draft.decided_at = draft.failure_reason = None
                draft.retryable = False
                draft.updated_at = now
                await self._validate(s, draft, key)
                s.add(
                    DraftEdit(
                        draft_id=draft.id,
                        at=now,
                        actor=audit.current_write_context.get().actor,
                        before=before,
                        after=after,
                    )
                )
                await audit.append(s, now, "edit", "email_drafts", str(draft.id), before_image, _image(draft))
                return await self._read(s, draft)

    async def approve(self, draft_id: int | str, *, actor: str | None = None, send: bool = True) -> DraftRead:
        """Approve a pending draft (re-validated first: any ``block`` refuses with the reasons) and,
        unless ``send=False``, send it at once. Approving an approved draft is a no-op."""
        with acting_as(actor):
            key = await self._signing_key()
            now = self.now()
            async with self.sessions.begin() as s:
                draft = await self._lock(s, draft_id)
                if draft.status == "pending":
                    before = _image(draft)
                    await self._validate(s, draft, key)
                    reasons = compliance.blocked(draft.checks)
                    if reasons:
                        raise PolicyDenied(f"draft {draft.id} cannot be approved: " + "; ".join(reasons))
                    draft.status = "approved"
                    draft.decided_by = audit.current_write_context.get().actor
                    draft.decided_at = now
                    await audit.append(s, now, "approve", "email_drafts", str(draft.id), before, _image(draft))
                elif draft.status != "approved":
                    raise PolicyDenied(f"draft {draft.id} is {draft.status}; only pending drafts can be approved")
            if send:
                return await self.send(draft.id)
        return await self.get(draft.id)

    async def reject(self, draft_id: int | str, reason: str, *, actor: str | None = None) -> DraftRead:
        """Reject a pending, approved or failed draft; ``reason`` is required."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed([FieldError("reason", reason, "say why the draft is rejected")])
        with acting_as(actor):
            now = self.now()
            async with self.sessions.begin() as s:
                draft = await self._lock(s, draft_id)
                if draft.status not in EDITABLE:
                    raise PolicyDenied(
                        f"draft {draft.id} is {draft.status}; only pending, approved or failed drafts can be rejected"
                    )
                before = _image(draft)
                draft.status = "rejected"
                draft.reject_reason = reason
                draft.decided_by = audit.current_write_context.get().actor
                draft.decided_at = draft.updated_at = now
                await audit.append(s, now, "reject", "email_drafts", str(draft.id), before, _image(draft))
        return await self.get(draft.id)

    # ---------------------------------------------------------------- sending
    async def send(
        self, draft_id: int | str, *, actor: str | None = None, force: bool = False, stale_after: timedelta = SEND_LEASE
    ) -> DraftRead:
        """Send an approved draft, retry a failed one that may be retried, or finish one whose send
        was interrupted (``sending`` for longer than ``stale_after``). Sending a sent draft does
        nothing. ``force`` also resends a draft that an SMTP server may already have accepted and
        takes over a ``sending`` draft at once; it never bypasses validation or quotas.

        Returns the draft: ``sent``, or ``failed`` with ``failure_reason`` and ``retryable``.
        Raises PolicyDenied for a draft that is not approved, Conflict while another process is
        sending it.
        """
        with acting_as(actor):
            claimed = await self._claim(draft_id, force, timedelta(0) if force else stale_after)
            if claimed is not None:
                await self._deliver(claimed, force)
        return await self.get(draft_id)

    async def resume_interrupted(self, stale_after: timedelta = SEND_LEASE) -> list[DraftRead]:
        """Finish sends that were interrupted (a crash or a lost database between ``sending`` and
        ``sent``) without sending anything twice, and log any missing timeline engagements.
        Run by workers at start-up and by ``crm-agent drafts resume``."""
        cutoff = self.now() - stale_after
        async with self.sessions() as s:
            stuck = (
                await s.scalars(
                    select(EmailDraft.id).where(EmailDraft.status == "sending", EmailDraft.sending_since <= cutoff)
                )
            ).all()
            unlogged = (
                await s.scalars(
                    select(EmailDraft.id).where(EmailDraft.status == "sent", EmailDraft.engagement_id.is_(None))
                )
            ).all()
        out = []
        for draft_id in stuck:
            with contextlib.suppress(Conflict):
                out.append(await self.send(draft_id, stale_after=stale_after))
        for draft_id in unlogged:
            await self._log_engagement(draft_id)
        return out

    async def _claim(self, draft_id: int | str, force: bool, stale_after: timedelta) -> EmailDraft | None:
        key = await self._signing_key()
        now = self.now()
        async with self.sessions.begin() as s:
            draft = await self._lock(s, draft_id)
            before = _image(draft)
            if draft.status == "sent":
                return None
            if draft.status == "sending":
                if draft.sending_since and draft.sending_since > now - stale_after:
                    raise Conflict(
                        f"draft {draft.id} is being sent (since {draft.sending_since:%Y-%m-%d %H:%M:%S} UTC); "
                        "if that process died, `crm-agent drafts send --force` takes over"
                    )
                draft.sending_since = now
                draft.attempts += 1
                await audit.append(s, now, "send_resume", "email_drafts", str(draft.id), before, _image(draft))
                return draft
            if draft.status == "failed" and not (draft.retryable or force):
                raise PolicyDenied(
                    f"draft {draft.id} failed and is not retried automatically: {draft.failure_reason}. "
                    "Edit it, or send with --force if you are sure it was not delivered"
                )
            if draft.status not in ("approved", "failed"):
                raise PolicyDenied(f"draft {draft.id} is {draft.status}; approve it before sending")
            await quotas.lock(s)
            draft.status = "sending"
            draft.sending_since = now
            draft.attempts += 1
            draft.handed_off_at = None
            draft.failure_reason = None
            draft.retryable = False
            await self._validate(s, draft, key)
            reasons = compliance.blocked(draft.checks)
            problem = "blocked at send time: " + "; ".join(reasons) if reasons else None
            internal = await recipients_mod.owners(s, [r["email"] for r in draft.recipients])
            if problem is None:
                problem = await quotas.problem(s, self.settings, draft, internal, now)
                retryable = True
            else:
                retryable = False
            if problem:
                draft.status = "failed"
                draft.failure_reason = problem
                draft.retryable = retryable
                draft.sending_since = None
                await audit.append(s, now, "send_refused", "email_drafts", str(draft.id), before, _image(draft))
                return None
            quotas.reserve(s, draft, internal, now)
            await audit.append(s, now, "send", "email_drafts", str(draft.id), before, _image(draft))
            return draft

    async def _deliver(self, draft: EmailDraft, force: bool) -> None:
        message = self._message(draft, await self._signing_key())
        message_id = str(message["Message-ID"])
        try:
            found = await self.transport.find(message_id)
            if found:
                await self._finish(
                    draft, message_id, "found in the transport's log after an interruption; not sent again"
                )
                return
            if found is None and draft.handed_off_at is not None and not force:
                raise TransportError(
                    f"the send was interrupted after the message was handed to the {self.transport.name} server, "
                    f"which may have accepted it (Message-ID {message_id}); not sent again automatically",
                    retryable=False,
                    maybe_sent=True,
                )
            detail = await self.transport.deliver(message, lambda: self._handed_off(draft.id))
        except TransportError as exc:
            await self._fail(draft, exc)
            return
        await self._finish(draft, message_id, detail)

    async def _handed_off(self, draft_id: int) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                update(EmailDraft)
                .where(EmailDraft.id == draft_id, EmailDraft.status == "sending")
                .values(handed_off_at=self.now())
            )

    async def _finish(self, claimed: EmailDraft, message_id: str, detail: str) -> None:
        now = self.now()
        async with self.sessions.begin() as s:
            draft = await self._lock(s, claimed.id)
            if draft.status != "sending":
                return
            before = _image(draft)
            draft.status = "sent"
            draft.sent_at = now
            draft.message_id = message_id
            draft.transport = self.transport.name
            draft.sending_since = None
            draft.updated_at = now
            image = _image(draft) | {"detail": detail}
            await audit.append(s, now, "sent", "email_drafts", str(draft.id), before, image)
        await self._log_engagement(claimed.id)

    async def _fail(self, claimed: EmailDraft, error: TransportError) -> None:
        now = self.now()
        async with self.sessions.begin() as s:
            draft = await self._lock(s, claimed.id)
            if draft.status != "sending":
                return
            before = _image(draft)
            draft.status = "failed"
            draft.failure_reason = error.reason + (
                ""
                if not error.maybe_sent
                else "; check the recipient's inbox, then edit the draft or send with --force"
            )
            draft.retryable = error.retryable and not error.maybe_sent
            draft.transport = self.transport.name
            draft.sending_since = None
            draft.updated_at = now
            if not error.maybe_sent:  # certainly not delivered: give the quota back
                await s.execute(
                    delete(QuotaUse).where(QuotaUse.draft_id == draft.id, QuotaUse.attempt == draft.attempts)
                )
            await audit.append(s, now, "send_failed", "email_drafts", str(draft.id), before, _image(draft))

    def _message(self, draft: EmailDraft, key: bytes) -> EmailMessage:
        """The message of a draft. Its Message-ID is derived from the draft's key, so every
        attempt to send the draft produces the same Message-ID (docs/email.md)."""
        msg = EmailMessage(policy=SMTP)
        msg["From"] = formataddr((draft.sender_name, draft.sender))
        msg["To"] = ", ".join(formataddr((r.get("name") or "", r["email"])) for r in draft.recipients)
        msg["Subject"] = draft.subject
        msg["Date"] = format_datetime(self.now())
        msg["Message-ID"] = message_id_of(draft.key, draft.sender)
        msg["X-CRM-Agent-Draft"] = str(draft.id)
        if draft.category in compliance.NEEDS_UNSUBSCRIBE and len(draft.recipients) == 1:
            msg["List-Unsubscribe"] = f"<{self._unsub_url(key, draft.recipients[0]['email'])}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(draft.body)
        return msg

    async def _log_engagement(self, draft_id: int) -> None:
        """Put a sent draft on each recipient contact's timeline as one email engagement."""
        async with self.sessions() as s:
            draft = await s.get(EmailDraft, draft_id)
            if draft is None or draft.status != "sent" or draft.engagement_id is not None or draft.sent_at is None:
                return
            ids = [int(r["contact_id"]) for r in draft.recipients if r.get("contact_id")]
            live = (
                (await s.scalars(select(Contact.id).where(Contact.id.in_(ids), Contact.archived.is_(False)))).all()
                if ids
                else []
            )
        if not live:  # no contact among the recipients: nothing to log ("" marks it done)
            await self._set_engagement(draft_id, "")
            return
        record = await self._existing_engagement(draft)
        if record is None:
            record = await self.crm.create(
                "emails",
                {
                    "hs_email_subject": draft.subject,
                    "hs_email_text": draft.body,
                    "hs_email_direction": "EMAIL",
                    "hs_email_status": "SENT",
                    "hs_email_from_email": draft.sender,
                    "hs_email_to_email": "; ".join(r["email"] for r in draft.recipients),
                    "hs_timestamp": draft.sent_at,
                },
                [{"to": {"id": str(cid)}, "objectType": "contacts"} for cid in live],
            )
        await self._set_engagement(draft_id, record.id)

    async def _set_engagement(self, draft_id: int, engagement_id: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(
                update(EmailDraft)
                .where(EmailDraft.id == draft_id, EmailDraft.engagement_id.is_(None))
                .values(engagement_id=engagement_id)
            )

    async def _existing_engagement(self, draft: EmailDraft) -> CrmRecord | None:
        """The engagement an interrupted earlier logging of this draft created, if any."""
        page = await self.crm.search(
            "emails",
            SearchRequest(
                filterGroups=[
                    FilterGroup(
                        filters=[
                            Filter(propertyName="hs_timestamp", operator="EQ", value=draft.sent_at),
                            Filter(propertyName="hs_email_from_email", operator="EQ", value=draft.sender),
                        ]
                    )
                ],
                limit=20,
            ),
        )
        for record in page.results:
            if record.properties.get("hs_email_subject") == draft.subject:
                return record
        return None

    # ---------------------------------------------------------------- quotas, suppression
    async def quota(self, email: str, sender: str | None = None) -> QuotaRead:
        """What is left of the daily sender quota and the weekly recipient quota for ``email``."""
        _, address = content.split_address(email, "email")
        if problem := compliance.address_problem(address):
            raise ValidationFailed([FieldError("email", email, problem)])
        sender_address = self._sender(sender)[1]
        now = self.now()
        async with self.sessions() as s:
            usage = await quotas.usage(s, self.settings, sender_address, address, now)
            facts = (await recipients_mod.facts(s, [address]))[0]
        sender_limit = self.settings.email_quota_sender_per_day
        recipient_limit = self.settings.email_quota_contact_per_week
        left = max(0, recipient_limit - usage.recipient_used)
        return QuotaRead(
            email=address,
            sender=sender_address,
            at=now,
            sender_limit=sender_limit,
            sender_used=usage.sender_used,
            sender_left=max(0, sender_limit - usage.sender_used),
            sender_resets_at=usage.day_end,
            recipient_limit=recipient_limit,
            recipient_used=usage.recipient_used,
            recipient_left=left,
            recipient_exempt=facts.internal,
            recipient_next_slot_at=usage.oldest + timedelta(days=7) if usage.oldest and not left else None,
            opted_out=facts.opted_out,
            suppressed=facts.suppressed,
        )

    async def suppress(self, email: str, reason: str = "added by an operator", *, actor: str | None = None) -> bool:
        """Put an address on the suppression list; returns False if it already was."""
        _, address = content.split_address(email, "email")
        with acting_as(actor):
            now = self.now()
            async with self.sessions.begin() as s:
                if await s.get(Suppression, address):
                    return False
                s.add(Suppression(email=address, reason=reason, created_at=now))
                await audit.append(s, now, "suppress", "email_suppressions", address[:64], None, {"reason": reason})
                return True

    async def unsubscribe(self, token: str) -> UnsubscribeResult:
        """Follow an unsubscribe link: opt the contact out (``hs_email_optout``) and suppress the
        address, at once. Raises ValidationFailed for a forged, altered or malformed token."""
        try:
            address = read_token(await self._signing_key(), token)
        except BadToken as exc:
            raise ValidationFailed([FieldError("token", token[:80], str(exc))]) from None
        with acting_as("unsubscribe-link"):
            async with self.sessions() as s:
                contact = await s.scalar(select(Contact).where(Contact.email == address, Contact.archived.is_(False)))
            already = True
            if contact is not None and not contact.hs_email_optout:
                await self.crm.update("contacts", contact.id, {"hs_email_optout": True})
                already = False
            if await self.suppress(address, "unsubscribed by link"):
                already = False
        return UnsubscribeResult(email=address, contact_id=str(contact.id) if contact else None, already=already)

    async def test_connection(self) -> TransportCheck:
        """Whether the configured transport works, and if not, what failed (``crm-agent email test``)."""
        try:
            detail = await self.transport.check()
        except TransportError as exc:
            return TransportCheck(transport=self.transport.name, ok=False, detail=exc.reason)
        return TransportCheck(transport=self.transport.name, ok=True, detail=detail)

    # ---------------------------------------------------------------- internals
    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = await signing_key(self.sessions, self.settings, self.now())
        return self._key

    def _unsub_url(self, key: bytes, email: str) -> str:
        return unsubscribe_url(self.settings.public_url, make_token(key, email))

    async def _with_unsubscribe(self, s: AsyncSession, body: str, address: str, key: bytes) -> str:
        """The body with the recipient's unsubscribe link appended (unless it is already there or
        the recipient is one of the team)."""
        url = self._unsub_url(key, address)
        if url in body or address in await recipients_mod.owners(s, [address]):
            return body
        return body.rstrip("\n") + "\n\n" + compliance.unsubscribe_footer(self.settings.email_from_name, url)

    def _sender(self, sender: str | None) -> tuple[str, str]:
        raw = sender or self.settings.email_from
        name, address = content.split_address(raw, "sender")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):  # configuration: local domains are fine
            raise ValidationFailed([FieldError("sender", raw, "expected an address such as sales@example.com")])
        return name or self.settings.email_from_name, address

    async def _lock(self, s: AsyncSession, draft_id: int | str) -> EmailDraft:
        """The draft, locked for this transaction. The first statement is a write (a no-op
        update), which takes SQLite's write lock before anything is read and locks the row on
        PostgreSQL; concurrent decisions on the same draft therefore run one after the other."""
        did = _draft_id(draft_id)
        await s.execute(update(EmailDraft).where(EmailDraft.id == did).values(attempts=EmailDraft.attempts))
        draft = await s.get(EmailDraft, did, populate_existing=True)
        if draft is None:
            raise NotFound("draft", draft_id)
        return draft

    async def _read(self, s: AsyncSession, draft: EmailDraft) -> DraftRead:
        await s.flush()
        edits = (await s.scalars(select(DraftEdit).where(DraftEdit.draft_id == draft.id).order_by(DraftEdit.id))).all()
        return DraftRead.of(draft, list(edits))

    async def _validate(self, s: AsyncSession, draft: EmailDraft, key: bytes) -> list[compliance.Check]:
        emails = [r["email"] for r in draft.recipients]
        checks = compliance.validate(
            category=draft.category,
            subject=draft.subject,
            body=draft.body,
            recipients=await recipients_mod.facts(s, emails),
            prohibited_terms=self.settings.email_prohibited_terms,
            unsubscribe_urls={e: self._unsub_url(key, e) for e in emails},
        )
        draft.checks = [c.as_dict() for c in checks]
        return checks

    # ---------------------------------------------------------------- template values
    def _default_to(self, category: str, values: dict[str, Any]) -> ToInput:
        if category in compliance.NEEDS_UNSUBSCRIBE and values.get("contact"):
            return str(values["contact"]["id"])
        if self.settings.email_notify_to:
            return self.settings.email_notify_to
        raise ValidationFailed(
            [FieldError("to", None, "name a recipient, or set CRM_AGENT_EMAIL_NOTIFY_TO for notifications")]
        )


def _draft_id(draft_id: int | str) -> int:
    try:
        return int(str(draft_id).strip().lstrip("#"))
    except ValueError:
        raise NotFound("draft", draft_id, "draft ids are numbers such as 12") from None


def message_id_of(key: str, sender: str) -> str:
    """The Message-ID of the draft with ``key``: ``<crm-agent.KEY@sender-domain>``."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<crm-agent.{key}@{domain}>"
