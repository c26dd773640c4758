"""The one flow every request goes through: plan with a model, apply policy, execute, report, persist.

:class:`AgentRunner` is what the CLI, the HTTP API, schedules and event handlers call. The model is
the offline rules planner or an LLM (with the rules planner as fallback when the LLM fails); both
drive the same tools. See ARCHITECTURE.md, "The one flow everything goes through".
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from pydantic_ai import Agent, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.exceptions import AgentRunError, UserError
from pydantic_ai.messages import ModelMessagesTypeAdapter
from pydantic_ai.usage import UsageLimits
from pydantic_core import to_jsonable_python

from crm_agent import audit
from crm_agent.agent import llm, policy
from crm_agent.agent.executor import execute
from crm_agent.agent.names import remembered_lookups
from crm_agent.agent.plan import Plan, Step
from crm_agent.agent.planner.model import PLAN_ONLY, RulesPlanner
from crm_agent.agent.records import Run
from crm_agent.agent.reply import compose, run_status
from crm_agent.agent.resolve import label
from crm_agent.agent.store import RunStore, run_view, step_view
from crm_agent.agent.tools import AgentDeps, toolset
from crm_agent.agent.undo import undo_run
from crm_agent.agent.views import RunView, StepView
from crm_agent.config import Settings
from crm_agent.crm.directory import reference_snapshot
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import FieldError, NotFound, ValidationFailed

log = structlog.get_logger("crm_agent.agent")

MAX_MESSAGE_CHARS = 20_000
PLANNER_ERROR = (
    "The offline planner failed on this request ({error}), so nothing was run. The error is in the log; "
    "please report it, and try a simpler wording meanwhile."
)
MODES = ("auto", "review", "dry-run")
StepListener = Callable[[StepView], Awaitable[None]]
LLM_FAILURES = (AgentRunError, UserError, TimeoutError, ConnectionError)


class AgentRunner:
    """Runs requests against one CRM. Safe to share across requests; holds no per-request state."""

    def __init__(self, crm: LocalCrm, settings: Settings):
        self.crm = crm
        self.settings = settings
        self.store = RunStore(crm.sessions)
        # one agent for every request: the model (rules planner or LLM) is given per run
        self.agent: Agent[AgentDeps, str] = Agent(
            deps_type=AgentDeps, toolsets=[toolset], output_type=str, retries={"tools": 2}
        )

    @classmethod
    async def connect(cls, settings: Settings) -> AgentRunner:
        """A runner on the database named by ``settings``."""
        return cls(await LocalCrm.connect(settings), settings)

    async def run(
        self,
        message: str,
        *,
        actor: str,
        mode: str | None = None,
        conversation_id: str | None = None,
        on_step: StepListener | None = None,
    ) -> RunView:
        """Plan ``message``, apply policy, execute what may run now, and return the persisted run.

        Raises ValidationFailed for an unknown mode. Bad messages (empty, over 20,000 characters) get a
        clear reply and no steps, not an exception. The run reads the CRM's reference data (owners,
        pipelines, properties) once, as a snapshot (:func:`crm_agent.crm.directory.reference_snapshot`).
        """
        with reference_snapshot():
            return await self._run(message, actor, mode, conversation_id, on_step)

    async def _run(
        self, message: str, actor: str, mode: str | None, conversation_id: str | None, on_step: StepListener | None
    ) -> RunView:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ValidationFailed([FieldError("mode", mode, "use auto, review or dry-run")])
        now = self.settings.current_time()
        run_id = str(uuid.uuid4())
        conversation = await self.store.conversation(conversation_id, str(uuid.uuid4()), now)
        context = dict(conversation.context or {})
        deps = AgentDeps(crm=self.crm, plan=Plan(), now=now, remembered=list(context.get("entities", [])))
        text = message.strip()
        model_name, usage, fallback, answer = self.settings.model, (0, 0, 0), None, ""
        if not text:
            answer = (
                'I didn\'t get a request. Try for example: "Create a contact for Ann Lee (ann@acme.com)" '
                'or "How many open deals does Raj have?"'
            )
        elif len(message) > MAX_MESSAGE_CHARS:
            answer = (
                f"Your message is {len(message):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}. "
                "Split it into smaller requests."
            )
        else:
            with remembered_lookups():  # planning writes nothing, so a name's lookup can be reused
                answer, usage, fallback, deps, context = await self._plan(text, deps, context)
            model_name = "rules" if fallback or self.settings.model == "rules" else self.settings.model
        policy.decide(deps.plan.steps, mode)
        run = Run(
            id=run_id,
            conversation_id=conversation.id,
            actor=actor,
            mode=mode,
            model=model_name,
            request=message,
            status="running",
            reply="",
            llm_calls=usage[0],
            input_tokens=usage[1],
            output_tokens=usage[2],
            fallback_reason=fallback,
            created_at=now,
        )
        await self.store.create(run, deps.plan, conversation)
        if mode == "auto":
            await self._execute(run_id, deps.plan, actor, on_step, approved=False)
        extra = [q for q in deps.questions if q not in answer]
        reply = compose(deps.plan.steps, mode, "\n".join([*extra, answer]), run_id)
        run.status, run.reply = run_status(deps.plan.steps, mode), reply
        run.finished_at = self.settings.current_time()
        context["entities"] = _remember(context.get("entities", []), deps)
        context["last_group"] = _last_group(deps) or context.get("last_group")
        nothing_written = not any(s.status == "succeeded" for s in deps.plan.writes())
        context["pending"] = {**deps.pending, "message": text} if deps.pending and nothing_written else None
        await self.store.finish(
            run_id, status=run.status, reply=reply, finished_at=run.finished_at, conversation=(conversation.id, context)
        )
        return run_view(run, deps.plan)

    async def _plan(
        self, text: str, deps: AgentDeps, context: dict[str, Any]
    ) -> tuple[str, tuple[int, int, int], str | None, AgentDeps, dict[str, Any]]:
        if self.settings.model == "rules":
            answer = await self._run_rules(text, deps, context)
            return answer, (0, 0, 0), None, deps, context
        try:
            model = llm.build_model(self.settings)
            history = ModelMessagesTypeAdapter.validate_python(context.get("messages", []))
            result = await self.agent.run(
                text,
                model=model,
                deps=deps,
                message_history=history,
                instructions=await self._instructions(),
                model_settings=llm.model_settings(self.settings),
                usage_limits=UsageLimits(request_limit=12, tool_calls_limit=60),
            )
            context["messages"] = to_jsonable_python(result.all_messages())[-60:]
            used = result.usage
            return str(result.output), (used.requests, used.input_tokens, used.output_tokens), None, deps, context
        except (*LLM_FAILURES, UnexpectedModelBehavior, UsageLimitExceeded, ExceptionGroup) as exc:
            reason = f"{type(exc).__name__}: {str(exc)[:300]}"
            fresh = AgentDeps(crm=self.crm, plan=Plan(), now=deps.now, remembered=deps.remembered)
            answer = await self._run_rules(text, fresh, context)
            return answer, (0, 0, 0), reason, fresh, context

    async def _run_rules(self, text: str, deps: AgentDeps, context: dict[str, Any]) -> str:
        planner = await RulesPlanner.create(self.crm, self.settings, context)
        try:
            result = await self.agent.run(text, model=planner.model(), deps=deps)
        except Exception as exc:  # a defect in the planner must not lose the request nor run half a plan
            log.exception("rules_planner_failed", request=text[:500])
            deps.plan, deps.questions, deps.pending = Plan(), [], None
            return PLANNER_ERROR.format(error=type(exc).__name__)
        return "" if result.output == PLAN_ONLY else str(result.output)

    async def _instructions(self) -> str:
        types = ("contacts", "companies", "deals", "tasks", "notes")
        props = {t: await self.crm.properties(t) for t in types}
        return llm.instructions(self.settings, await self.crm.list_owners(), await self.crm.list_pipelines(), props)

    async def _execute(self, run_id: str, plan: Plan, actor: str, on_step: StepListener | None, approved: bool) -> None:
        async def persist(step: Step) -> None:
            await self.store.save_step(run_id, step)
            if on_step:
                await on_step(step_view(step))

        await execute(
            self.crm, plan, audit.WriteContext(actor=actor, run_id=run_id), on_step=persist, approved=approved
        )
        for step in plan.steps:
            if step.status in {"failed", "skipped"} and step.attempts == 0:
                await self.store.save_step(run_id, step)

    async def approve(self, run_id: str, *, actor: str, on_step: StepListener | None = None) -> RunView:
        """Run a plan's steps that wait for approval. Raises NotFound, or ValidationFailed when the run
        has nothing waiting."""
        run, plan = await self.store.load(run_id)
        if run.status != "awaiting_approval":
            raise ValidationFailed(
                [FieldError("run", run_id, f"is {run.status}; only runs awaiting approval can be approved")]
            )
        await self.store.finish(run_id, status="running")
        with reference_snapshot():
            await self._execute(run_id, plan, actor, on_step, approved=True)
        answer = run.reply.split("\n")[-1] if not plan.writes() else ""
        reply = compose(plan.steps, run.mode, answer, run_id) + f"\nApproved by {actor}."
        await self.store.finish(
            run_id, status=run_status(plan.steps, "auto"), reply=reply, finished_at=self.settings.current_time()
        )
        return await self.get_run(run_id)

    async def reject(self, run_id: str, *, actor: str, reason: str | None = None) -> RunView:
        """Reject a plan's waiting steps; nothing of them runs. Raises NotFound or ValidationFailed."""
        run, plan = await self.store.load(run_id)
        if run.status != "awaiting_approval":
            raise ValidationFailed(
                [FieldError("run", run_id, f"is {run.status}; only runs awaiting approval can be rejected")]
            )
        for step in plan.steps:
            if step.status == "pending":
                step.status, step.error = "rejected", reason or f"rejected by {actor}"
                await self.store.save_step(run_id, step)
        reply = (
            compose(plan.steps, run.mode, "", run_id) + f"\nRejected by {actor}" + (f": {reason}" if reason else ".")
        )
        await self.store.finish(
            run_id, status=run_status(plan.steps, "auto"), reply=reply, finished_at=self.settings.current_time()
        )
        return await self.get_run(run_id)

    async def undo(self, run_id: str, *, actor: str) -> RunView:
        """Revert a run's writes in reverse order (see :mod:`crm_agent.agent.undo`). Raises UndoRefused
        naming the record when a later change would be overwritten, NotFound for an unknown run."""
        run, _ = await self.store.load(run_id)
        if run.status == "undone":
            raise ValidationFailed([FieldError("run", run_id, "was already undone")])
        reverted = await undo_run(self.crm, run_id, actor)
        await self.store.finish(
            run_id,
            status="undone",
            undone=True,
            reply=run.reply + f"\nUndone by {actor}: {reverted} change(s) reverted.",
        )
        return await self.get_run(run_id)

    async def get_run(self, run_id: str) -> RunView:
        """A run with its steps. Raises NotFound."""
        run, plan = await self.store.load(run_id)
        return run_view(run, plan)

    async def list_runs(self, limit: int = 50, offset: int = 0) -> list[RunView]:
        """Runs, newest first (steps included)."""
        return [await self.get_run(r.id) for r in await self.store.list(limit, offset)]


def _remember(entities: list[dict[str, Any]], deps: AgentDeps) -> list[dict[str, Any]]:
    """Records this run created or named, most recent last, for later turns ("update Sarah's phone")."""
    found = list(entities)
    for step in deps.plan.steps:
        if step.tool == "create_record" and step.status == "succeeded" and step.object_type:
            props = step.args["properties"]
            found.append(
                {
                    "type": step.object_type,
                    "id": str(step.result["id"]),
                    "name": label(step.object_type, props),
                    "first": props.get("firstname"),
                    "email": props.get("email"),
                }
            )
    for ref in deps.mentioned:
        if not ref.id.isdigit():
            continue
        found.append(
            {
                "type": ref.object_type,
                "id": ref.id,
                "name": ref.label,
                "first": ref.label.split()[0] if ref.object_type == "contacts" else None,
            }
        )
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for item in found:
        unique.pop((item["type"], item["id"]), None)
        unique[(item["type"], item["id"])] = item
    return list(unique.values())[-50:]


def _last_group(deps: AgentDeps) -> dict[str, Any] | None:
    """The contacts (else companies, deals) this run created or named, else the records it listed, for
    "all three" and "them"."""
    for type_name in ("contacts", "companies", "deals"):
        ids = [
            str(s.result["id"])
            for s in deps.plan.steps
            if s.tool == "create_record" and s.object_type == type_name and s.status == "succeeded"
        ]
        ids += [r.id for r in deps.mentioned if r.object_type == type_name and r.id.isdigit() and r.id not in ids]
        if ids:
            return {"type": type_name, "ids": ids}
    if deps.listed and deps.listed[1]:
        return {"type": deps.listed[0], "ids": deps.listed[1]}
    return None


__all__ = ["AgentRunner", "NotFound"]
