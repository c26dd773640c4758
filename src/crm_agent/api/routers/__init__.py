"""One router per resource. :data:`ALL` is the order the app includes them in."""

from __future__ import annotations

from fastapi import APIRouter

from crm_agent.api.routers import agent, audit, email, health, owners, pipelines, properties, records, runs, users

ALL: list[APIRouter] = [
    health.router,
    agent.router,
    runs.router,
    *records.ROUTERS,
    owners.router,
    pipelines.router,
    properties.router,
    audit.router,
    users.router,
    *email.ROUTERS,
]
