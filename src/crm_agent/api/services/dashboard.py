"""The dashboard's figures: pipeline value by stage, deals won and lost per month, open tasks by
due date, and record counts. Amounts are summed per currency-less value (the CRM's default
currency); archived records are left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.crm import directory
from crm_agent.crm.models import Company, Contact, Deal, Task
from crm_agent.crm.schemas import PipelineRecord


@dataclass
class StageValue:
    stage_id: str
    label: str
    count: int
    amount: Decimal
    probability: Decimal
    closed: bool


@dataclass
class MonthOutcome:
    month: str  # YYYY-MM
    label: str  # "Nov 2026"
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal(0)
    lost_amount: Decimal = Decimal(0)


@dataclass
class Dashboard:
    pipeline: PipelineRecord | None
    pipelines: list[PipelineRecord]
    stages: list[StageValue]
    months: list[MonthOutcome]
    tasks_due: list[tuple[str, int]]
    counts: dict[str, int] = field(default_factory=dict)
    open_value: Decimal = Decimal(0)
    weighted_value: Decimal = Decimal(0)


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_back(start: datetime, count: int) -> list[datetime]:
    months = [start]
    for _ in range(count - 1):
        months.insert(0, _month_start(months[0] - timedelta(days=1)))
    return months


class DashboardService:
    """Aggregate queries for the dashboard."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tz: ZoneInfo):
        self.sessions = sessions
        self.tz = tz

    async def build(self, now: datetime, pipeline_id: str | None = None, months: int = 6) -> Dashboard:
        """All figures for the pipeline ``pipeline_id`` (default: the first) as of ``now``."""
        async with self.sessions() as session:
            pipelines = await directory.list_pipelines(session)
            pipeline = next((p for p in pipelines if p.id == pipeline_id), pipelines[0] if pipelines else None)
            stages = await self._stages(session, pipeline) if pipeline else []
            outcomes = await self._outcomes(session, pipelines, now, months)
            tasks = await self._tasks(session, now)
            counts = {
                "contacts": await self._count(session, Contact),
                "companies": await self._count(session, Company),
                "deals": await self._count(session, Deal),
                "open tasks": sum(n for _, n in tasks),
            }
        open_stages = [s for s in stages if not s.closed]
        return Dashboard(
            pipeline=pipeline,
            pipelines=pipelines,
            stages=stages,
            months=outcomes,
            tasks_due=tasks,
            counts=counts,
            open_value=sum((s.amount for s in open_stages), Decimal(0)),
            weighted_value=sum((s.amount * s.probability for s in open_stages), Decimal(0)),
        )

    @staticmethod
    async def _count(session: AsyncSession, model: type) -> int:
        return await session.scalar(select(func.count()).select_from(model).where(model.archived.is_(False))) or 0

    @staticmethod
    async def _stages(session: AsyncSession, pipeline: PipelineRecord) -> list[StageValue]:
        rows = await session.execute(
            select(Deal.dealstage, func.count(), func.coalesce(func.sum(Deal.amount), 0))
            .where(Deal.archived.is_(False), Deal.pipeline == pipeline.id)
            .group_by(Deal.dealstage)
        )
        by_stage = {stage: (count, Decimal(str(total))) for stage, count, total in rows}
        return [
            StageValue(
                stage_id=s.id,
                label=s.label,
                count=by_stage.get(s.id, (0, Decimal(0)))[0],
                amount=by_stage.get(s.id, (0, Decimal(0)))[1],
                probability=Decimal(s.metadata["probability"]),
                closed=s.metadata["isClosed"] == "true",
            )
            for s in pipeline.stages
        ]

    async def _outcomes(
        self, session: AsyncSession, pipelines: list[PipelineRecord], now: datetime, count: int
    ) -> list[MonthOutcome]:
        won = {
            s.id
            for p in pipelines
            for s in p.stages
            if s.metadata["isClosed"] == "true" and Decimal(s.metadata["probability"]) >= 1
        }
        lost = {s.id for p in pipelines for s in p.stages if s.metadata["isClosed"] == "true" and s.id not in won}
        local_now = now.astimezone(self.tz)
        starts = _months_back(_month_start(local_now), count)
        result = {m.strftime("%Y-%m"): MonthOutcome(m.strftime("%Y-%m"), m.strftime("%b %Y")) for m in starts}
        if not won | lost:
            return list(result.values())
        rows = await session.execute(
            select(Deal.dealstage, Deal.closedate, Deal.amount).where(
                Deal.archived.is_(False),
                Deal.dealstage.in_(won | lost),
                Deal.closedate.is_not(None),
                Deal.closedate >= starts[0],
            )
        )
        for stage, closed_at, amount in rows:
            key = closed_at.astimezone(self.tz).strftime("%Y-%m")
            bucket = result.get(key)
            if bucket is None:
                continue
            if stage in won:
                bucket.won += 1
                bucket.won_amount += amount or 0
            else:
                bucket.lost += 1
                bucket.lost_amount += amount or 0
        return list(result.values())

    async def _tasks(self, session: AsyncSession, now: datetime) -> list[tuple[str, int]]:
        local = now.astimezone(self.tz)
        today = local.replace(hour=0, minute=0, second=0, microsecond=0)
        tomorrow = today + timedelta(days=1)
        week = today + timedelta(days=8)
        rows = await session.scalars(
            select(Task.hs_timestamp).where(
                Task.archived.is_(False),
                (Task.hs_task_status.is_(None)) | (Task.hs_task_status != "COMPLETED"),
            )
        )
        buckets = {"Overdue": 0, "Today": 0, "Next 7 days": 0, "Later": 0, "No due date": 0}
        for due in rows:
            if due is None:
                buckets["No due date"] += 1
            elif due < today:
                buckets["Overdue"] += 1
            elif due < tomorrow:
                buckets["Today"] += 1
            elif due < week:
                buckets["Next 7 days"] += 1
            else:
                buckets["Later"] += 1
        return list(buckets.items())
