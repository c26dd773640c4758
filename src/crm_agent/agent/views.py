"""The API shape of a run and its steps, as the CLI's ``--json``, the HTTP API and the web app show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

StepStatus = Literal["planned", "pending", "succeeded", "failed", "skipped", "rejected"]
RunStatus = Literal[
    "planned", "awaiting_approval", "running", "succeeded", "partial", "failed", "rejected", "answered", "undone"
]
Mode = Literal["auto", "review", "dry-run"]


class StepView(BaseModel):
    """One step of a plan: the tool call, its handle, and its outcome.

    ``status``: planned (not run yet), pending (waits for approval), succeeded, failed (``error`` says why),
    skipped (a step it depends on failed, or it was not approved), rejected. ``duration_ms`` is wall-clock ms.
    """

    position: int
    tool: str
    args: dict[str, Any]
    handle: str | None = None
    depends_on: list[int] = Field(default_factory=list)
    description: str = ""
    risk: str = "write"
    status: StepStatus = "planned"
    result: Any = None
    error: str | None = None
    attempts: int = 0
    duration_ms: float | None = None


class RunView(BaseModel):
    """One request and what became of it (see :mod:`crm_agent.agent.records` for the statuses)."""

    id: str
    conversation_id: str | None
    mode: Mode
    status: RunStatus
    actor: str
    model: str
    request: str
    reply: str
    steps: list[StepView]
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    fallback_reason: str | None = None
    created_at: datetime
    finished_at: datetime | None = None
