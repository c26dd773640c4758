"""Outbound email: the approvals queue (``/drafts``), quotas, templates, sending and the SMTP check
(``/email``), and the public unsubscribe link (``/unsubscribe/{token}``).

Every signed-in user may review drafts; decisions are recorded (and audited) under the user's
email. Validation, the suppression list and the quotas are enforced by the outreach service at
send time, whatever the caller asked (docs/email.md).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from crm_agent.api.deps import PrincipalDep, ServicesDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.errors import FieldError, ValidationFailed
from crm_agent.outreach.schemas import DraftRead, QuotaRead, TemplateRead, TransportCheck
from crm_agent.outreach.service import OutreachService

Category = Literal["transactional", "notification", "sales", "marketing"]
DraftId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_outreach(request: Request, services: ServicesDep) -> OutreachService:
    """The app's outreach service (one per app, built on first use)."""
    service = getattr(request.app.state, "outreach", None)
    if service is None:
        assert services.crm is not None
        service = request.app.state.outreach = OutreachService(services.crm)
    return service


OutreachDep = Annotated[OutreachService, Depends(get_outreach)]


class EmailRequest(BaseModel):
    """A new email: written out (``subject`` and ``body``) or from a ``template``. It becomes a
    pending draft; with ``send`` the caller approves it and it is sent at once, within the
    validation rules and quotas."""

    to: list[str] | str | None = Field(
        default=None, description="Addresses or contact ids; templates default to the contact or the team address."
    )
    subject: str | None = None
    body: str | None = Field(default=None, description="Plain text; HTML is converted to text.")
    category: Category | None = None
    template: str | None = Field(default=None, description="A name from GET /email/templates.")
    contact_id: str | None = None
    deal_id: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict, description="Extra template values.")
    send: bool = Field(default=False, description="Approve as the caller and send now.")


class DraftChange(BaseModel):
    """An edit of a draft: only the fields given change."""

    to: list[str] | None = None
    subject: str | None = None
    body: str | None = None
    category: Category | None = None


class ApproveRequest(BaseModel):
    send: bool = Field(default=True, description="Send right after approving.")


class RejectRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why; kept with the draft and audited.")


class SendRequest(BaseModel):
    force: bool = Field(
        default=False,
        description="Also resend a draft an SMTP server may already have (after an interrupted send).",
    )


router = APIRouter(tags=["email"], responses=ERROR_RESPONSES)


@router.get("/drafts/pending", response_model=list[DraftRead], summary="Drafts waiting for approval")
async def pending(outreach: OutreachDep, _user: PrincipalDep) -> list[DraftRead]:
    return await outreach.pending()


@router.get("/drafts", response_model=list[DraftRead], summary="Drafts, newest first")
async def list_drafts(
    outreach: OutreachDep,
    _user: PrincipalDep,
    status: Annotated[Literal["pending", "approved", "sending", "sent", "failed", "rejected"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DraftRead]:
    return await outreach.list(status, limit)


@router.get("/drafts/{draft_id}", response_model=DraftRead, summary="One draft with its checks and edits")
async def get_draft(outreach: OutreachDep, _user: PrincipalDep, draft_id: DraftId) -> DraftRead:
    return await outreach.get(draft_id)


@router.patch("/drafts/{draft_id}", response_model=DraftRead, summary="Edit a draft (it needs approval again)")
async def edit_draft(outreach: OutreachDep, user: PrincipalDep, draft_id: DraftId, change: DraftChange) -> DraftRead:
    return await outreach.edit(
        draft_id, subject=change.subject, body=change.body, to=change.to, category=change.category, actor=user.email
    )


@router.post("/drafts/{draft_id}/approve", response_model=DraftRead, summary="Approve a draft (and send it)")
async def approve(
    outreach: OutreachDep,
    user: PrincipalDep,
    draft_id: DraftId,
    body: Annotated[ApproveRequest | None, Body()] = None,
) -> DraftRead:
    return await outreach.approve(draft_id, actor=user.email, send=body.send if body else True)


@router.post("/drafts/{draft_id}/reject", response_model=DraftRead, summary="Reject a draft with a reason")
async def reject(outreach: OutreachDep, user: PrincipalDep, draft_id: DraftId, body: RejectRequest) -> DraftRead:
    return await outreach.reject(draft_id, body.reason, actor=user.email)


@router.post("/drafts/{draft_id}/send", response_model=DraftRead, summary="Send an approved draft, or retry")
async def send(
    outreach: OutreachDep,
    user: PrincipalDep,
    draft_id: DraftId,
    body: Annotated[SendRequest | None, Body()] = None,
) -> DraftRead:
    return await outreach.send(draft_id, actor=user.email, force=bool(body and body.force))


@router.get("/email/quota/{contact_email}", response_model=QuotaRead, summary="What is left of the quotas")
async def quota(
    outreach: OutreachDep,
    _user: PrincipalDep,
    contact_email: Annotated[str, Path(max_length=320)],
    sender: Annotated[str | None, Query(max_length=320)] = None,
) -> QuotaRead:
    return await outreach.quota(contact_email, sender)


@router.get("/email/templates", response_model=list[TemplateRead], summary="Email templates")
async def templates(outreach: OutreachDep, _user: PrincipalDep) -> list[TemplateRead]:
    return outreach.template_list()


@router.post("/email/send", response_model=DraftRead, status_code=201, summary="Draft an email, or send it")
async def send_email(outreach: OutreachDep, user: PrincipalDep, email: EmailRequest) -> DraftRead:
    if email.template:
        return await outreach.draft_from_template(
            email.template,
            to=email.to,
            contact_id=email.contact_id,
            deal_id=email.deal_id,
            variables=email.variables,
            category=email.category,
            actor=user.email,
            send_now=email.send,
        )
    missing = [name for name in ("to", "subject", "body") if not getattr(email, name)]
    if missing:
        raise ValidationFailed([FieldError(n, None, "is required unless a template is given") for n in missing])
    return await outreach.create_draft(
        email.to,  # type: ignore[arg-type]
        email.subject or "",
        email.body or "",
        email.category or "notification",
        actor=user.email,
        send_now=email.send,
    )


@router.post("/email/test", response_model=TransportCheck, summary="Check the SMTP connection (or the outbox)")
async def test_transport(outreach: OutreachDep, _user: PrincipalDep) -> TransportCheck:
    return await outreach.test_connection()


# ------------------------------------------------------------------------------ public unsubscribe
public = APIRouter(tags=["email"])
Token = Annotated[str, Path(max_length=800)]
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main"><div class="card"><h1>{title}</h1><p>{text}</p></div></main></body></html>"""


def _page(title: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), text=escape(text)), status_code=status)


async def _unsubscribe(outreach: OutreachService, token: str) -> HTMLResponse:
    try:
        result = await outreach.unsubscribe(token)
    except ValidationFailed as exc:
        return _page("This link is not valid", f"{exc.errors[0].message}. Nothing was changed.", 400)
    text = (
        f"{result.email} was already unsubscribed."
        if result.already
        else f"{result.email} will receive no more emails from us."
    )
    return _page("You are unsubscribed", text, 200)


@public.get("/unsubscribe/{token}", response_class=HTMLResponse, summary="Follow an unsubscribe link")
async def unsubscribe(outreach: OutreachDep, token: Token) -> HTMLResponse:
    return await _unsubscribe(outreach, token)


@public.post("/unsubscribe/{token}", response_class=HTMLResponse, summary="One-click unsubscribe (RFC 8058)")
async def unsubscribe_one_click(outreach: OutreachDep, token: Token) -> HTMLResponse:
    return await _unsubscribe(outreach, token)


ROUTERS = [router, public]
