"""What one app instance shares across requests: settings, the CRM, users, the agent runner and
metrics. Opened on first use (or at startup), so the app also works under test clients that do
not run the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text

from crm_agent.api.observability import Metrics
from crm_agent.api.schemas import ComponentHealth
from crm_agent.auth.service import AuthService
from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm

if TYPE_CHECKING:
    from crm_agent.agent.runner import AgentRunner


@dataclass
class Services:
    """The app's long-lived services; :meth:`ready` connects them once."""

    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    crm: LocalCrm | None = None
    auth: AuthService | None = None
    runner: AgentRunner | None = None
    worker_probe: Callable[[], Awaitable[ComponentHealth]] | None = None
    _lock: asyncio.Lock | None = None

    async def ready(self) -> Services:
        """Connect the database (migrating it on first use) and build the services, once."""
        if self.crm is not None:
            return self
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.crm is None:
                crm = await LocalCrm.connect(self.settings)
                self.auth = AuthService(crm.sessions, self.settings)
                self.crm = crm
        return self

    def agent(self) -> AgentRunner:
        """The agent runner on this app's CRM (built on first use)."""
        if self.runner is None:
            from crm_agent.agent.runner import AgentRunner

            assert self.crm is not None, "call ready() first"
            self.runner = AgentRunner(self.crm, self.settings)
        return self.runner

    async def database_ok(self) -> tuple[bool, str]:
        """Whether the database answers, with the error when it does not."""
        try:
            await self.ready()
            assert self.crm is not None
            async with self.crm.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # reported by /health, never raised
            return False, f"{type(exc).__name__}: {str(exc)[:200]}"
        return True, ""

    async def worker_state(self) -> ComponentHealth:
        """The background worker's state, from the probe a worker registers (none by default)."""
        if self.worker_probe is None:
            return ComponentHealth(
                ok=True, state="none", detail="no background worker is registered; requests run in the API process"
            )
        try:
            return await self.worker_probe()
        except Exception as exc:  # reported by /health, never raised
            return ComponentHealth(ok=False, state="unknown", detail=f"{type(exc).__name__}: {str(exc)[:200]}")
