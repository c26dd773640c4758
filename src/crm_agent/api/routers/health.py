"""Liveness and readiness (`/health`) and Prometheus metrics (`/metrics`); neither needs sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import crm_agent
from crm_agent.api.schemas import ComponentHealth, Health
from crm_agent.api.state import Services

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    summary="Database and worker state",
    responses={503: {"model": Health, "description": "The database does not answer."}},
)
async def health(request: Request, response: Response) -> Health:
    request_services: Services = request.app.state.services
    ok, detail = await request_services.database_ok()
    database = ComponentHealth(ok=ok, state="up" if ok else "down", detail=detail)
    worker = await request_services.worker_state()
    if not ok:
        response.status_code = 503
    return Health(
        status="ok" if ok and worker.ok else "degraded",
        version=crm_agent.__version__,
        database=database,
        worker=worker,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.services.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
