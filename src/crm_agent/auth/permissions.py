"""Who may see and change what: the permission rules, and the one place that enforces them.

The rules (docs/permissions.md explains them for people):

- Everyone signed in may **read** every CRM record, owner, pipeline, property and audit entry,
  and may verify the audit chain.
- Everyone may **create** records (of any owner).
- A **member** may **change** (update, archive, restore) a record only when it is theirs or
  nobody's: its ``hubspot_owner_id`` is empty or is the CRM owner whose email is the member's
  email; and may link or unlink two records when they may change at least one of them (so a
  member can log a note on a colleague's contact). An **admin** may change any record.
- Only an **admin** may create owners, pipelines and custom properties, and manage users.
- Everyone may see every agent run; a **member** may approve, reject or undo only their own
  runs, an **admin** any run.

Every route of the API and the web app reaches the CRM and the runs through :class:`GuardedCrm`
and :class:`RunAccess`, built per request for the signed-in :class:`Principal`; nothing else
checks permissions. A refusal raises :class:`Forbidden` (HTTP 403). The writes a guarded call
makes are recorded in the audit log under the principal's email.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crm_agent import audit
from crm_agent.auth.service import Principal
from crm_agent.crm.schemas import (
    BatchResult,
    CrmRecord,
    OwnerRecord,
    PipelineRecord,
    RecordInput,
    SearchPage,
    SearchRequest,
)
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import NotFound, PolicyDenied

if TYPE_CHECKING:
    from crm_agent.agent.runner import AgentRunner, StepListener
    from crm_agent.agent.views import RunView


class Forbidden(PolicyDenied):
    """The signed-in user may not do this (HTTP 403)."""


# The rules ---------------------------------------------------------------------------------------
def may_change_record(principal: Principal, record_owner_id: str | None, my_owner_id: str | None) -> bool:
    """Whether ``principal`` may update, archive, restore or re-associate a record with this owner."""
    if principal.is_admin:
        return True
    return record_owner_id in (None, "") or (my_owner_id is not None and record_owner_id == my_owner_id)


def may_manage_reference_data(principal: Principal) -> bool:
    """Owners, pipelines and custom properties."""
    return principal.is_admin


def may_manage_users(principal: Principal) -> bool:
    """Listing and adding users, issuing keys for others."""
    return principal.is_admin


def may_act_on_run(principal: Principal, run_actor: str) -> bool:
    """Approve, reject or undo a run."""
    return principal.is_admin or run_actor == principal.email


def require(allowed: bool, message: str) -> None:
    """Raise :class:`Forbidden` with ``message`` unless ``allowed``."""
    if not allowed:
        raise Forbidden(message)


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Record the writes made inside the block in the audit log under ``principal``.

    Inside an agent run (or an undo) the runner has already named the user, run and step; that
    context is kept as it is.
    """
    if audit.current_write_context.get() != audit.WriteContext():
        yield
        return
    token = audit.current_write_context.set(audit.WriteContext(actor=principal.email))
    try:
        yield
    finally:
        audit.current_write_context.reset(token)


# The enforcement point for CRM data ---------------------------------------------------------------
class GuardedCrm:
    """The CRM as ``principal`` may use it: the same methods as :class:`LocalCrm`, with the rules
    above applied before anything is written, and every write attributed to the principal.

    The agent runs on it too (see :class:`RunAccess`), so a request typed in the chat can change
    no more than the same user could through the API. Reads not listed here pass through.
    """

    _UNGUARDED_WRITES = frozenset({"batch_upsert", "upsert", "_write", "_set_archived"})

    def __init__(self, crm: LocalCrm, principal: Principal):
        self.crm = crm
        self.principal = principal
        self._my_owner: str | bool | None = False  # False: not looked up yet

    def __getattr__(self, name: str) -> Any:
        if name in self._UNGUARDED_WRITES or name in {"crm", "principal", "_my_owner"}:
            raise AttributeError(f"{name} is not available through GuardedCrm")
        return getattr(self.crm, name)  # sessions, settings, now(), count(), ...

    async def my_owner_id(self) -> str | None:
        """The CRM owner id whose email is the principal's email (None if there is none)."""
        if self._my_owner is False:
            owners = await self.crm.list_owners()
            self._my_owner = next((o.id for o in owners if o.email == self.principal.email), None)
        return self._my_owner  # type: ignore[return-value]

    async def _require_change(self, object_type: str, record: CrmRecord) -> None:
        owner = record.properties.get("hubspot_owner_id")
        if not may_change_record(self.principal, owner, await self.my_owner_id()):
            raise Forbidden(
                f"{object_type} {record.id} belongs to owner {owner}; members may change only their own "
                "records and records without an owner (see docs/permissions.md)"
            )

    async def may_change(self, object_type: str, record: CrmRecord) -> bool:
        """Whether the principal may change ``record`` (for showing or hiding edit controls)."""
        return may_change_record(self.principal, record.properties.get("hubspot_owner_id"), await self.my_owner_id())

    # reads
    async def get(self, object_type: str, record_id: str | int, *, archived: bool = False) -> CrmRecord:
        return await self.crm.get(object_type, record_id, archived=archived)

    async def search(self, object_type: str, request: SearchRequest) -> SearchPage:
        return await self.crm.search(object_type, request)

    async def stage_history(self, deal_id: str | int) -> list[dict[str, Any]]:
        return await self.crm.stage_history(deal_id)

    async def list_owners(self) -> list[OwnerRecord]:
        return await self.crm.list_owners()

    async def list_pipelines(self) -> list[PipelineRecord]:
        return await self.crm.list_pipelines()

    async def properties(self, object_type: str):
        return await self.crm.properties(object_type)

    # record writes
    async def create(
        self, object_type: str, properties: dict[str, Any], associations: list[dict[str, Any]] | None = None
    ) -> CrmRecord:
        with acting_as(self.principal):
            return await self.crm.create(object_type, properties, associations)

    async def batch_create(self, object_type: str, inputs: list[RecordInput]) -> BatchResult:
        with acting_as(self.principal):
            return await self.crm.batch_create(object_type, inputs)

    async def update(self, object_type: str, record_id: str | int, properties: dict[str, Any]) -> CrmRecord:
        await self._require_change(object_type, await self.crm.get(object_type, record_id))
        with acting_as(self.principal):
            return await self.crm.update(object_type, record_id, properties)

    async def batch_update(self, object_type: str, inputs: list[RecordInput]) -> BatchResult:
        if not self.principal.is_admin:
            refused = []
            for inp in inputs:
                try:
                    record = await self.crm.get(object_type, inp.id or "")
                except NotFound:
                    continue  # reported per record by the CRM
                if not await self.may_change(object_type, record):
                    refused.append(record.id)
            require(
                not refused,
                f"{object_type} {', '.join(refused)} belong to other owners; members may change only their own "
                "records and records without an owner (see docs/permissions.md)",
            )
        with acting_as(self.principal):
            return await self.crm.batch_update(object_type, inputs)

    async def archive(self, object_type: str, record_id: str | int) -> CrmRecord:
        await self._require_change(object_type, await self.crm.get(object_type, record_id))
        with acting_as(self.principal):
            return await self.crm.archive(object_type, record_id)

    async def restore(self, object_type: str, record_id: str | int) -> CrmRecord:
        await self._require_change(object_type, await self.crm.get(object_type, record_id, archived=True))
        with acting_as(self.principal):
            return await self.crm.restore(object_type, record_id)

    async def _require_either(self, a_type: str, a_id: str | int, b_type: str, b_id: str | int) -> None:
        a, b = await self.crm.get(a_type, a_id), await self.crm.get(b_type, b_id)
        if not (await self.may_change(a_type, a) or await self.may_change(b_type, b)):
            raise Forbidden(
                f"{a_type} {a.id} and {b_type} {b.id} both belong to other owners; members may link or unlink "
                "records only when one of the two is theirs or has no owner (see docs/permissions.md)"
            )

    async def associate(
        self, a_type: str, a_id: str | int, b_type: str, b_id: str | int, *, primary: bool = False
    ) -> None:
        await self._require_either(a_type, a_id, b_type, b_id)
        with acting_as(self.principal):
            await self.crm.associate(a_type, a_id, b_type, b_id, primary=primary)

    async def disassociate(self, a_type: str, a_id: str | int, b_type: str, b_id: str | int) -> bool:
        await self._require_either(a_type, a_id, b_type, b_id)
        with acting_as(self.principal):
            return await self.crm.disassociate(a_type, a_id, b_type, b_id)

    # reference data
    async def create_owner(self, email: str, first_name: str = "", last_name: str = "") -> OwnerRecord:
        require(may_manage_reference_data(self.principal), "only admins may add owners")
        with acting_as(self.principal):
            return await self.crm.create_owner(email, first_name, last_name)

    async def create_pipeline(self, label: str, stages: list[tuple[str, Any, bool]]) -> PipelineRecord:
        require(may_manage_reference_data(self.principal), "only admins may add pipelines")
        with acting_as(self.principal):
            return await self.crm.create_pipeline(label, stages)

    async def create_property(
        self, object_type: str, name: str, label: str, type_: str, options: list[str] | None = None
    ):
        require(may_manage_reference_data(self.principal), "only admins may define custom properties")
        with acting_as(self.principal):
            return await self.crm.create_property(object_type, name, label, type_, options)


# The enforcement point for agent runs -------------------------------------------------------------
class RunAccess:
    """Agent runs as ``principal`` may use them: runs start under the principal's email and write
    through the principal's :class:`GuardedCrm` (so the agent is held to the same rules as the
    API), and only the run's own user or an admin may approve, reject or undo a run."""

    def __init__(self, runner: AgentRunner, principal: Principal):
        self.runner = runner
        self.principal = principal

    async def _require_act(self, run_id: str, verb: str) -> None:
        run = await self.runner.get_run(run_id)
        require(
            may_act_on_run(self.principal, run.actor),
            f"run {run_id} was started by {run.actor}; members may {verb} only their own runs",
        )

    def _guarded_runner(self) -> AgentRunner:
        """A runner whose CRM writes go through the principal's :class:`GuardedCrm`."""
        return type(self.runner)(GuardedCrm(self.runner.crm, self.principal), self.runner.settings)  # type: ignore[arg-type]

    async def start(
        self,
        message: str,
        *,
        mode: str | None = None,
        conversation_id: str | None = None,
        on_step: StepListener | None = None,
    ) -> RunView:
        return await self._guarded_runner().run(
            message, actor=self.principal.email, mode=mode, conversation_id=conversation_id, on_step=on_step
        )

    async def get(self, run_id: str) -> RunView:
        return await self.runner.get_run(run_id)

    async def list(self, limit: int = 50, offset: int = 0) -> list[RunView]:
        return await self.runner.list_runs(limit, offset)

    async def may_act(self, run: RunView) -> bool:
        """Whether the principal may approve, reject or undo ``run`` (for showing buttons)."""
        return may_act_on_run(self.principal, run.actor)

    async def approve(self, run_id: str, on_step: StepListener | None = None) -> RunView:
        await self._require_act(run_id, "approve")
        return await self._guarded_runner().approve(run_id, actor=self.principal.email, on_step=on_step)

    async def reject(self, run_id: str, reason: str | None = None) -> RunView:
        await self._require_act(run_id, "reject")
        return await self.runner.reject(run_id, actor=self.principal.email, reason=reason)

    async def undo(self, run_id: str) -> RunView:
        await self._require_act(run_id, "undo")
        return await self._guarded_runner().undo(run_id, actor=self.principal.email)
