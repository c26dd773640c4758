"""The agent: a plain-language request becomes a run (plan, policy, execution, reply).

``POST /agent/process`` returns the finished run; ``POST /agent/process/stream`` sends the same
run as server-sent events: a ``step`` event as each step finishes, then one ``run`` event with
the whole run (or an ``error`` event).
"""

from __future__ import annotations

from collections.abc import AsyncIterable

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from crm_agent.agent.views import RunView
from crm_agent.api.deps import RunsDep, ServicesDep
from crm_agent.api.errors import ERROR_RESPONSES, error_body
from crm_agent.api.schemas import ProcessRequest
from crm_agent.api.streaming import run_streaming

router = APIRouter(prefix="/agent", tags=["agent"], responses=ERROR_RESPONSES)


@router.post("/process", response_model=RunView, summary="Run a request through the agent")
async def process(runs: RunsDep, services: ServicesDep, body: ProcessRequest) -> RunView:
    run = await runs.start(body.message, mode=body.mode, conversation_id=body.conversationId)
    services.metrics.agent_runs.labels(run.mode, run.status).inc()
    return run


def error_event(request: Request, exc: Exception) -> ServerSentEvent:
    """An ``error`` event in the API's error shape (no stack trace)."""
    return ServerSentEvent(event="error", data=error_body(request, exc).model_dump(mode="json"))


@router.post(
    "/process/stream",
    response_class=EventSourceResponse,
    summary="Run a request, streaming each step as a server-sent event",
)
async def process_stream(
    request: Request, runs: RunsDep, services: ServicesDep, body: ProcessRequest
) -> AsyncIterable[ServerSentEvent]:
    async def call(on_step):
        return await runs.start(body.message, mode=body.mode, conversation_id=body.conversationId, on_step=on_step)

    async for kind, item in run_streaming(call):
        if kind == "error":
            yield error_event(request, item)  # type: ignore[arg-type]
        else:
            if kind == "run":
                services.metrics.agent_runs.labels(item.mode, item.status).inc()  # type: ignore[union-attr]
            yield ServerSentEvent(event=kind, data=item.model_dump(mode="json"))  # type: ignore[union-attr]
