"""Fixtures for agent tests: a runner on a fresh database loaded with the demo CRM."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crm_agent.agent.runner import AgentRunner
from crm_agent.config import Settings
from crm_agent.demo_data import load_demo
from crm_agent.storage.engine import dispose_all


@pytest.fixture
async def runner(settings: Settings) -> AsyncIterator[AgentRunner]:
    """An AgentRunner (rules model) on the demo CRM, clock fixed at 2026-11-20T09:00:00Z."""
    agent_runner = await AgentRunner.connect(settings)
    await load_demo(agent_runner.crm)
    yield agent_runner
    await dispose_all()


@pytest.fixture
async def empty_runner(settings: Settings) -> AsyncIterator[AgentRunner]:
    """An AgentRunner on an empty CRM."""
    agent_runner = await AgentRunner.connect(settings)
    yield agent_runner
    await dispose_all()
