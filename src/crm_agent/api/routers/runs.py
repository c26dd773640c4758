"""Agent runs: list, detail (every step with arguments, result, timing), approve, reject, undo."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from crm_agent.agent.views import RunView
from crm_agent.api.deps import RunsDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.routers.agent import error_event
from crm_agent.api.schemas import RejectRequest
from crm_agent.api.streaming import run_streaming
from crm_agent.crm.schemas import Paging

router = APIRouter(prefix="/runs", tags=["runs"], responses=ERROR_RESPONSES)
RunId = Annotated[str, "run id"]


class RunPage(BaseModel):
    results: list[RunView]
    paging: Paging | None = None


@router.get("", response_model=RunPage, summary="Runs, newest first")
async def list_runs(
    runs: RunsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    after: Annotated[str | None, Query(max_length=9, pattern=r"^\d{1,9}$")] = None,
) -> RunPage:
    offset = int(after or 0)
    found = await runs.list(limit=limit + 1, offset=offset)
    paging = Paging(next={"after": str(offset + limit)}) if len(found) > limit else None
    return RunPage(results=found[:limit], paging=paging)


@router.get("/{run_id}", response_model=RunView, summary="One run with every step")
async def get_run(runs: RunsDep, run_id: RunId) -> RunView:
    return await runs.get(run_id)


@router.post("/{run_id}/approve", response_model=RunView, summary="Approve a plan waiting for approval, and run it")
async def approve(runs: RunsDep, run_id: RunId) -> RunView:
    return await runs.approve(run_id)


@router.post(
    "/{run_id}/approve/stream",
    response_class=EventSourceResponse,
    summary="Approve a plan and stream its steps as server-sent events",
)
async def approve_stream(request: Request, runs: RunsDep, run_id: RunId) -> AsyncIterable[ServerSentEvent]:
    async def call(on_step):
        return await runs.approve(run_id, on_step=on_step)

    async for kind, item in run_streaming(call):
        if kind == "error":
            yield error_event(request, item)  # type: ignore[arg-type]
        else:
            yield ServerSentEvent(event=kind, data=item.model_dump(mode="json"))  # type: ignore[union-attr]


@router.post("/{run_id}/reject", response_model=RunView, summary="Reject a plan waiting for approval")
async def reject(runs: RunsDep, run_id: RunId, body: Annotated[RejectRequest | None, Body()] = None) -> RunView:
    return await runs.reject(run_id, reason=body.reason if body else None)


@router.post("/{run_id}/undo", response_model=RunView, summary="Revert a run's writes, newest first")
async def undo(runs: RunsDep, run_id: RunId) -> RunView:
    return await runs.undo(run_id)
