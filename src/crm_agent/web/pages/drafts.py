"""The approvals inbox: drafts waiting for an operator, with their validation results and the diff
of every edit; approve (and send), edit, reject with a reason, or retry a failed send.

Decisions go through :class:`crm_agent.outreach.service.OutreachService` under the signed-in
user's email, so they are audited like any other write.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from crm_agent.api.routers.email import OutreachDep
from crm_agent.web.deps import WebUser, redirect, render
from crm_agent.web.nav import NavItem, register

router = APIRouter()
register(NavItem("Approvals", "/app/drafts", "/app/drafts"), before="Runs")
DraftId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Status = Literal["pending", "approved", "sending", "sent", "failed", "rejected", "all"]
TABS = ["pending", "failed", "approved", "sent", "rejected", "all"]


@router.get("/app/drafts")
async def inbox(
    request: Request, outreach: OutreachDep, _user: WebUser, status: Annotated[Status, Query()] = "pending"
) -> Response:
    drafts = await outreach.list(None if status == "all" else status, limit=100)
    return render(request, "pages/drafts.html", {"drafts": drafts, "status": status, "tabs": TABS})


@router.get("/app/drafts/{draft_id}")
async def detail(request: Request, outreach: OutreachDep, _user: WebUser, draft_id: DraftId) -> Response:
    return render(request, "pages/draft.html", {"draft": await outreach.get(draft_id)})


def _back(request: Request, draft_id: int, message: str) -> Response:
    """Back to where the form was (the inbox or the draft's page) with a message."""
    referer = request.headers.get("referer", "")
    target = f"/app/drafts/{draft_id}" if f"/app/drafts/{draft_id}" in referer else "/app/drafts"
    return redirect(target, message, request)


@router.post("/app/drafts/{draft_id}/approve")
async def approve(request: Request, outreach: OutreachDep, user: WebUser, draft_id: DraftId) -> Response:
    draft = await outreach.approve(draft_id, actor=user.email)
    if draft.status == "sent":
        return _back(request, draft_id, f"Draft {draft_id} approved and sent to {draft.to}.")
    return _back(request, draft_id, f"Draft {draft_id} approved, but not sent: {draft.failure_reason}")


@router.post("/app/drafts/{draft_id}/send")
async def send(request: Request, outreach: OutreachDep, user: WebUser, draft_id: DraftId) -> Response:
    draft = await outreach.send(draft_id, actor=user.email)
    if draft.status == "sent":
        return _back(request, draft_id, f"Draft {draft_id} sent to {draft.to}.")
    return _back(request, draft_id, f"Draft {draft_id} was not sent: {draft.failure_reason}")


@router.post("/app/drafts/{draft_id}/reject")
async def reject(
    request: Request,
    outreach: OutreachDep,
    user: WebUser,
    draft_id: DraftId,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await outreach.reject(draft_id, reason, actor=user.email)
    return _back(request, draft_id, f"Draft {draft_id} rejected.")


@router.post("/app/drafts/{draft_id}/edit")
async def edit(
    request: Request,
    outreach: OutreachDep,
    user: WebUser,
    draft_id: DraftId,
    to: Annotated[str, Form(max_length=20_000)],
    subject: Annotated[str, Form(max_length=1000)],
    body: Annotated[str, Form(max_length=100_000)],
) -> Response:
    recipients = [part.strip() for part in to.replace(";", ",").split(",") if part.strip()]
    draft = await outreach.edit(draft_id, to=recipients, subject=subject, body=body, actor=user.email)
    note = " It has problems to fix before it can be approved." if draft.blocked else " It needs approval again."
    return redirect(f"/app/drafts/{draft_id}", f"Draft {draft_id} saved.{note}", request)
