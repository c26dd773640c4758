"""Saving and loading runs, their steps and conversations (tables in :mod:`crm_agent.agent.records`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.agent.plan import Plan, Step
from crm_agent.agent.records import Conversation, Run, RunStep
from crm_agent.agent.views import RunView, StepView
from crm_agent.errors import NotFound

_STEP_FIELDS = (
    "position",
    "tool",
    "args",
    "handle",
    "depends_on",
    "description",
    "risk",
    "status",
    "result",
    "error",
    "attempts",
    "duration_ms",
)


def _step_fields(source: Any) -> dict[str, Any]:
    """The persisted fields of a step (a plan Step or a RunStep row)."""
    return {name: getattr(source, name) for name in _STEP_FIELDS}


def step_view(step: Step) -> StepView:
    """The API view of a plan step."""
    return StepView(**_step_fields(step))


class RunStore:
    """Persistence of runs; every method uses its own transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    async def conversation(self, conversation_id: str | None, new_id: str, now: datetime) -> Conversation:
        """The conversation with that id, or a new one (``new_id`` when none is given), not yet stored:
        :meth:`create` stores a new one together with its first run."""
        found = None
        if conversation_id:
            async with self.sessions() as session:
                found = await session.get(Conversation, conversation_id)
        return found or Conversation(id=conversation_id or new_id, created_at=now, context={})

    async def create(self, run: Run, plan: Plan, conversation: Conversation) -> None:
        """Insert a run and its steps, and its conversation if that is new."""
        async with self.sessions.begin() as session:
            if await session.get(Conversation, conversation.id) is None:
                session.add(Conversation(id=conversation.id, created_at=conversation.created_at, context={}))
                await session.flush()
            session.add(run)
            for step in plan.steps:
                session.add(self._row(run.id, step))

    @staticmethod
    def _row(run_id: str, step: Step) -> RunStep:
        return RunStep(run_id=run_id, **_step_fields(step))

    async def save_step(self, run_id: str, step: Step) -> None:
        """Write a step's outcome."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(RunStep)
                .where(RunStep.run_id == run_id, RunStep.position == step.position)
                .values(
                    status=step.status,
                    result=step.result,
                    error=step.error,
                    attempts=step.attempts,
                    duration_ms=step.duration_ms,
                )
            )

    async def finish(self, run_id: str, conversation: tuple[str, dict[str, Any]] | None = None, **fields: Any) -> None:
        """Update a run's columns (status, reply, finished_at, ...) and, in the same transaction, replace
        its conversation's context when ``conversation`` is (id, context)."""
        async with self.sessions.begin() as session:
            updated = await session.execute(update(Run).where(Run.id == run_id).values(**fields))
            if updated.rowcount == 0:
                raise NotFound("run", run_id)
            if conversation is not None:
                await session.execute(
                    update(Conversation).where(Conversation.id == conversation[0]).values(context=conversation[1])
                )

    async def load(self, run_id: str) -> tuple[Run, Plan]:
        """A run and its plan. Raises NotFound."""
        async with self.sessions() as session:
            run = await session.get(Run, run_id)
            if run is None:
                raise NotFound("run", run_id, "see `crm-agent runs list`")
            rows = (
                await session.scalars(select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.position))
            ).all()
        steps = [
            Step(**{**_step_fields(r), "depends_on": list(r.depends_on or [])}, object_type=r.args.get("object_type"))
            for r in rows
        ]
        for step in steps:
            if step.risk == "outbound":  # e-mail runs after the request's writes (see Plan.add)
                step.after = [s.position for s in steps if s.position < step.position and s.risk != "read"]
        plan = Plan(steps=steps)
        return run, plan

    async def list(self, limit: int = 50, offset: int = 0) -> list[Run]:
        """Runs, newest first."""
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(Run).order_by(Run.created_at.desc(), Run.id).offset(offset).limit(limit)
                    )
                ).all()
            )


def run_view(run: Run, plan: Plan) -> RunView:
    """The API view of a run."""
    return RunView(
        id=run.id,
        conversation_id=run.conversation_id,
        mode=run.mode,
        status=run.status,
        actor=run.actor,
        model=run.model,
        request=run.request,
        reply=run.reply,
        steps=[step_view(s) for s in plan.steps],
        llm_calls=run.llm_calls,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        fallback_reason=run.fallback_reason,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )
