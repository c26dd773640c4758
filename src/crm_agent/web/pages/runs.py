"""Agent runs: the list, one run's detail (steps, arguments, results, timings, tokens), and the
approve / reject / undo actions (plain forms, HTMX, or streamed for the chat page)."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from crm_agent.agent.views import RunView
from crm_agent.api.errors import error_body
from crm_agent.api.streaming import run_streaming
from crm_agent.auth.permissions import RunAccess
from crm_agent.web.deps import WebRuns, redirect, render, render_fragment

router = APIRouter()
RunId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,36}$")]
PAGE = 25


def run_context(run: RunView, runs: RunAccess, may_act: bool) -> dict:
    writes = [s for s in run.steps if s.risk != "read"]
    undoable = may_act and run.status in {"succeeded", "partial"} and any(s.status == "succeeded" for s in writes)
    return {"run": run, "may_act": may_act, "undoable": undoable}


@router.get("/app/runs")
async def runs_list(request: Request, runs: WebRuns, page: Annotated[int, Query(ge=1, le=100000)] = 1) -> Response:
    found = await runs.list(limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render(request, "pages/runs.html", {"runs": found[:PAGE], "page": page, "more": len(found) > PAGE})


@router.get("/app/runs/{run_id}")
async def run_detail(request: Request, runs: WebRuns, run_id: RunId) -> Response:
    run = await runs.get(run_id)
    return render(request, "pages/run.html", run_context(run, runs, await runs.may_act(run)))


async def _turn_or_redirect(request: Request, runs: RunAccess, run: RunView, message: str) -> Response:
    if request.headers.get("HX-Request"):
        return render(request, "partials/turn.html", run_context(run, runs, await runs.may_act(run)))
    return redirect(f"/app/runs/{run.id}", message)


@router.post("/app/runs/{run_id}/approve")
async def approve(request: Request, runs: WebRuns, run_id: RunId) -> Response:
    run = await runs.approve(run_id)
    return await _turn_or_redirect(request, runs, run, "Plan approved and run.")


@router.post("/app/runs/{run_id}/reject")
async def reject(
    request: Request, runs: WebRuns, run_id: RunId, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    run = await runs.reject(run_id, reason or None)
    return await _turn_or_redirect(request, runs, run, "Plan rejected; nothing was written.")


@router.post("/app/runs/{run_id}/undo")
async def undo(request: Request, runs: WebRuns, run_id: RunId) -> Response:
    run = await runs.undo(run_id)
    return await _turn_or_redirect(request, runs, run, "Run undone: its changes were reverted.")


async def stream_events(request: Request, runs: RunAccess, call) -> AsyncIterable[ServerSentEvent]:
    """Turn a run's progress into HTML fragments: ``step`` per finished step, then ``done``."""
    async for kind, item in run_streaming(call):
        if kind == "step":
            yield ServerSentEvent(
                event="step",
                data={
                    "position": item.position,  # type: ignore[union-attr]
                    "html": render_fragment(request, "partials/step.html", {"step": item}),
                },
            )
        elif kind == "run":
            context = run_context(item, runs, await runs.may_act(item))  # type: ignore[arg-type]
            yield ServerSentEvent(
                event="done",
                data={
                    "run": item.id,  # type: ignore[union-attr]
                    "conversation": item.conversation_id,  # type: ignore[union-attr]
                    "html": render_fragment(request, "partials/turn.html", context),
                },
            )
        else:
            body = error_body(request, item)  # type: ignore[arg-type]
            html = render_fragment(
                request, "partials/alert.html", {"kind": "error", "message": body.message, "problems": body.errors}
            )
            yield ServerSentEvent(event="error", data={"html": html})


@router.post("/app/runs/{run_id}/approve/stream", response_class=EventSourceResponse)
async def approve_stream(request: Request, runs: WebRuns, run_id: RunId) -> AsyncIterable[ServerSentEvent]:
    async def call(on_step):
        return await runs.approve(run_id, on_step=on_step)

    async for event in stream_events(request, runs, call):
        yield event
