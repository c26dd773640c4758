"""Running an agent call in the background and streaming its steps as server-sent events.

The call runs as its own task, so a client that disconnects does not stop a run half-way: the
run finishes and is persisted, and can be read at ``GET /runs/{id}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog

from crm_agent.agent.views import RunView, StepView
from crm_agent.errors import CrmAgentError

log = structlog.get_logger("crm_agent.api.streaming")
_background: set[asyncio.Task[Any]] = set()
StepCallback = Callable[[StepView], Awaitable[None]]


async def run_streaming(
    call: Callable[[StepCallback], Awaitable[RunView]],
) -> AsyncIterator[tuple[str, StepView | RunView | CrmAgentError | Exception]]:
    """Yield ``("step", StepView)`` for each step as it finishes, then ``("run", RunView)`` or
    ``("error", exception)``."""
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def on_step(step: StepView) -> None:
        await queue.put(("step", step))

    async def work() -> None:
        try:
            await queue.put(("run", await call(on_step)))
        except CrmAgentError as exc:
            await queue.put(("error", exc))
        except Exception as exc:
            log.exception("agent run failed")
            await queue.put(("error", exc))

    task = asyncio.create_task(work())
    _background.add(task)
    task.add_done_callback(_background.discard)
    while True:
        kind, item = await queue.get()
        yield kind, item
        if kind in {"run", "error"}:
            return
