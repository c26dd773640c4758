"""Runs a plan's steps: dependency order, independent steps in parallel, transient errors retried
with backoff, every write read back and verified, and a failed step's dependents skipped with the reason.

A step runs once every step it depends on has finished. If any of them did not succeed, the step is
skipped ("depends on the failed step 3"). Each write runs under a
:class:`~crm_agent.audit.WriteContext` naming the actor, run and step, so its audit entry says who
and why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from crm_agent import audit
from crm_agent.agent.plan import Plan, Step, substitute
from crm_agent.agent.tools import RecordSet
from crm_agent.crm.schemas import CrmRecord, FilterGroup, RecordInput, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import CrmAgentError
from crm_agent.outreach.service import OutreachService

TRANSIENT = (OperationalError, DBAPIError, ConnectionError, TimeoutError)
StepCallback = Callable[[Step], Awaitable[None]]


class VerificationFailed(CrmAgentError):
    """A write reported success but reading the record back shows something else."""


def _verify(written: CrmRecord, fresh: CrmRecord, properties: dict[str, Any]) -> None:
    for name in properties:
        if written.properties.get(name) != fresh.properties.get(name):
            raise VerificationFailed(
                f"read-back of {name} gave {fresh.properties.get(name)!r}, wrote {written.properties.get(name)!r}"
            )


async def _create(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    links = [
        {"to": {"id": a["id"]}, "objectType": a["objectType"], "primary": a.get("primary", False)}
        for a in args.get("associations", [])
    ]
    record = await crm.create(args["object_type"], args["properties"], links)
    fresh = await crm.get(args["object_type"], record.id)
    _verify(record, fresh, args["properties"])
    missing = [
        a
        for a in links
        if a["to"]["id"] not in {x.id for x in fresh.associations.get(a["objectType"], _NoLinks()).results}
    ]
    if missing:
        raise VerificationFailed(f"associations missing after create: {missing}")
    return {"id": record.id, "properties": {k: v for k, v in fresh.properties.items() if v is not None}}


class _NoLinks:
    results: list[Any] = []


async def _update(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    record = await crm.update(args["object_type"], args["id"], args["properties"])
    fresh = await crm.get(args["object_type"], record.id)
    _verify(record, fresh, args["properties"])
    return {"id": record.id, "properties": {k: fresh.properties.get(k) for k in args["properties"]}}


async def _archive(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    await crm.archive(args["object_type"], args["id"])
    fresh = await crm.get(args["object_type"], args["id"], archived=True)
    if not fresh.archived:
        raise VerificationFailed("record is still active after archiving")
    return {"id": args["id"], "archived": True}


async def _associate(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    await crm.associate(
        args["object_type"], args["id"], args["to_object_type"], args["to_id"], primary=args.get("primary", False)
    )
    fresh = await crm.get(args["object_type"], args["id"])
    linked = {a.id for a in fresh.associations.get(args["to_object_type"], _NoLinks()).results}
    if str(args["to_id"]) not in linked:
        raise VerificationFailed("association missing after linking")
    return {"id": args["id"], "to_id": args["to_id"]}


async def _update_many(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    ids, done, errors = args["ids"], [], []
    for start in range(0, len(ids), 100):
        chunk = [RecordInput(id=i, properties=args["properties"]) for i in ids[start : start + 100]]
        result = await crm.batch_update(args["object_type"], chunk)
        done += [r.id for r in result.results]
        errors += [f"{ids[start + e.index]}: {e.message}" for e in result.errors]
    if errors and not done:
        raise CrmAgentError("; ".join(errors[:5]))
    return {"updated": len(done), "ids": done, "errors": errors}


async def _archive_many(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    done, errors = [], []
    for record_id in args["ids"]:
        try:
            await crm.archive(args["object_type"], record_id)
            done.append(record_id)
        except CrmAgentError as exc:
            errors.append(f"{record_id}: {exc}")
    if errors and not done:
        raise CrmAgentError("; ".join(errors[:5]))
    return {"archived": len(done), "ids": done, "errors": errors}


async def _email(crm: LocalCrm, args: dict[str, Any]) -> dict[str, Any]:
    outreach = OutreachService(crm)
    actor = audit.current_write_context.get().actor
    if args.get("records"):
        request = SearchRequest(
            filterGroups=[
                FilterGroup(filters=[f.to_filter() for f in group])
                for group in RecordSet(**args["records"]).filter_groups
                if group
            ]
        )
        draft = await outreach.summary_of_search(
            args["records"]["object_type"], request, title=args.get("title"), to=args.get("to") or None, actor=actor
        )
    elif args.get("template"):
        draft = await outreach.draft_from_template(
            args["template"],
            to=args.get("to") or None,
            contact_id=args.get("contact_id"),
            deal_id=args.get("deal_id"),
            variables=args.get("variables"),
            actor=actor,
        )
    else:
        draft = await outreach.create_draft(
            args["to"], args["subject"], args["body"], args.get("category", "sales"), actor=actor
        )
    return {
        "id": str(draft.id),
        "draft_id": draft.id,
        "status": draft.status,
        "subject": draft.subject,
        "to": [r.email for r in draft.recipients],
        "blocked": draft.blocked,
    }


HANDLERS: dict[str, Callable[[LocalCrm, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "create_record": _create,
    "update_record": _update,
    "archive_record": _archive,
    "associate_records": _associate,
    "update_records": _update_many,
    "archive_records": _archive_many,
    "draft_email": _email,
}


async def _run_step(crm: LocalCrm, step: Step, args: dict[str, Any], context: audit.WriteContext) -> None:
    audit.current_write_context.set(audit.WriteContext(context.actor, context.run_id, step.position))
    started = time.perf_counter()
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT),
            stop=stop_after_attempt(3),
            wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
            reraise=True,
        ):
            with attempt:
                step.attempts += 1
                step.result = await HANDLERS[step.tool](crm, args)
        step.status = "succeeded"
    except CrmAgentError as exc:
        step.status, step.error = "failed", str(exc)
    except TRANSIENT as exc:
        step.status, step.error = "failed", f"database unavailable after {step.attempts} attempts: {exc}"
    finally:
        step.duration_ms = round((time.perf_counter() - started) * 1000, 2)


async def execute(
    crm: LocalCrm,
    plan: Plan,
    context: audit.WriteContext,
    *,
    on_step: StepCallback | None = None,
    approved: bool = False,
) -> None:
    """Run every runnable write step of ``plan`` (``planned``; also ``pending`` when ``approved``).

    Mutates the steps' status, result, error, attempts and duration. Never raises for a step's failure.
    """
    runnable_states = {"planned", "pending"} if approved else {"planned"}
    by_pos = {s.position: s for s in plan.steps}
    ids: dict[str, str] = {
        s.handle: str(s.result["id"])
        for s in plan.steps
        if s.handle and s.status == "succeeded" and isinstance(s.result, dict)
    }
    todo = [s for s in plan.steps if s.risk != "read" and s.status in runnable_states]
    waiting = {s.position for s in todo}
    while todo:
        ready = [s for s in todo if not any(d in waiting for d in [*s.depends_on, *s.after])]
        for step in ready:
            bad = [d for d in step.depends_on if by_pos[d].status != "succeeded"]
            if bad:
                dep = by_pos[bad[0]]
                reason = "failed" if dep.status in {"failed", "skipped"} else "not approved"
                step.status, step.error = "skipped", f"depends on the {reason} step {dep.position}"
        runs = [s for s in ready if s.status != "skipped"]
        await asyncio.gather(*(_run_step(crm, s, substitute(s.args, ids), context) for s in runs))
        for step in ready:
            if step.handle and step.status == "succeeded":
                ids[step.handle] = str(step.result["id"])
            waiting.discard(step.position)
            if on_step:
                await on_step(step)
        todo = [s for s in todo if s.position in waiting]
