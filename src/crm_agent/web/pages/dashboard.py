"""The dashboard: pipeline value by stage, deals won and lost per month, open tasks by due date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from crm_agent.api.deps import ServicesDep
from crm_agent.api.services.dashboard import DashboardService
from crm_agent.web import charts
from crm_agent.web.deps import WebUser, redirect, render
from crm_agent.web.templating import money

router = APIRouter()


@router.get("/")
async def root() -> Response:
    return redirect("/app")


@router.get("/app")
async def dashboard(
    request: Request,
    services: ServicesDep,
    _user: WebUser,
    pipeline: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    settings = services.settings
    assert services.crm is not None
    data = await DashboardService(services.crm.sessions, settings.tz).build(settings.current_time(), pipeline)
    currency = settings.default_currency
    stage_chart = charts.horizontal(
        [
            (
                s.label,
                s.amount,
                f"{money(s.amount, currency, short=True)} · {s.count}",
                "bar-closed" if s.closed else "",
            )
            for s in data.stages
        ]
    )
    outcome_chart = charts.grouped(
        [
            (
                m.label.split()[0],
                [(m.won, "bar-won", f"{m.label}: {m.won} won"), (m.lost, "bar-lost", f"{m.label}: {m.lost} lost")],
            )
            for m in data.months
        ]
    )
    task_chart = charts.horizontal(
        [
            (label, count, str(count), {"Overdue": "bar-overdue", "Today": "bar-today"}.get(label, ""))
            for label, count in data.tasks_due
        ]
    )
    return render(
        request,
        "pages/dashboard.html",
        {
            "data": data,
            "currency": currency,
            "stage_chart": stage_chart,
            "outcome_chart": outcome_chart,
            "task_chart": task_chart,
        },
    )
