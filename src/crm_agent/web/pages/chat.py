"""Chat with the agent: each message becomes a run whose steps appear live (server-sent events);
in review mode the plan waits with Approve and Reject buttons."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from crm_agent.api.deps import ServicesDep
from crm_agent.api.services.conversations import run_ids
from crm_agent.errors import NotFound
from crm_agent.web.deps import WebRuns, render, render_fragment
from crm_agent.web.pages.runs import run_context, stream_events

router = APIRouter()
EXAMPLES = [
    "Create a contact for Ann Lee (ann@example.com) and a deal for her worth $5k",
    "How many open deals does Raj have?",
    "Show deals closing this month",
    "Mark the Acme renewal 2027 deal as won",
]


@router.get("/app/chat")
async def chat(
    request: Request,
    services: ServicesDep,
    runs: WebRuns,
    c: Annotated[str | None, Query(max_length=36, description="Conversation id")] = None,
) -> Response:
    turns = []
    if c:
        assert services.crm is not None
        for run_id in await run_ids(services.crm.sessions, c):
            try:
                run = await runs.get(run_id)
            except NotFound:
                continue
            turns.append(run_context(run, runs, await runs.may_act(run)))
    return render(
        request,
        "pages/chat.html",
        {
            "turns": turns,
            "conversation_id": c or "",
            "examples": EXAMPLES,
            "default_mode": services.settings.mode,
        },
    )


@router.post("/app/chat/send", response_class=EventSourceResponse)
async def send(
    request: Request,
    runs: WebRuns,
    message: Annotated[str, Form(max_length=20_000)],
    mode: Annotated[str, Form(pattern="^(auto|review|dry-run)$")] = "auto",
    conversation_id: Annotated[str, Form(max_length=36)] = "",
) -> AsyncIterable[ServerSentEvent]:
    """Run ``message`` and stream its progress as HTML fragments (see ``static/app.js``)."""
    yield ServerSentEvent(
        event="start",
        data={"html": render_fragment(request, "partials/turn_pending.html", {"message": message, "mode": mode})},
    )

    async def call(on_step):
        return await runs.start(message, mode=mode, conversation_id=conversation_id or None, on_step=on_step)

    async for event in stream_events(request, runs, call):
        yield event
