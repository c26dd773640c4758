"""Small readers of CRM state for agent tests."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_agent.agent.runner import AgentRunner
from crm_agent.audit import AuditEntry
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, SearchRequest


async def find(runner: AgentRunner, object_type: str, prop: str, value: str) -> list[CrmRecord]:
    """Active records whose ``prop`` equals ``value``."""
    request = SearchRequest(
        filterGroups=[FilterGroup(filters=[Filter(propertyName=prop, operator="EQ", value=value)])], limit=100
    )
    return (await runner.crm.search(object_type, request)).results


async def total(runner: AgentRunner, object_type: str) -> int:
    """How many active records of a type exist."""
    return (await runner.crm.search(object_type, SearchRequest(limit=1))).total


async def audit_count(runner: AgentRunner) -> int:
    """How many audit entries exist (each executed write adds at least one)."""
    async with runner.crm.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
