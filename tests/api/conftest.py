"""API test fixtures: the app over a fresh database (SQLite and PostgreSQL, from the root
conftest's ``settings``), users of each role, and HTTP clients signed in as them.

Users: ``admin``; ``member`` (Mia, who is also CRM owner ``mia@example.com``); ``other`` (Oscar,
owner ``oscar@example.com``), a second member whose records Mia may not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from crm_agent.api.app import create_app
from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.storage.engine import dispose_all


@dataclass
class User:
    email: str
    key: str
    owner_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Team:
    admin: User
    member: User
    other: User


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    await application.state.services.ready()
    yield application
    await dispose_all()


@pytest.fixture
def local_crm(app: FastAPI) -> LocalCrm:
    """The app's CRM without permission checks (for arranging test data)."""
    return app.state.services.crm


@pytest.fixture
async def team(app: FastAPI, local_crm: LocalCrm) -> Team:
    auth = app.state.services.auth
    admin = await auth.create_user("admin@example.com", "admin", "Ada Admin")
    member = await auth.create_user("mia@example.com", "member", "Mia Member")
    other = await auth.create_user("oscar@example.com", "member", "Oscar Other")
    mia = await local_crm.create_owner("mia@example.com", "Mia", "Member")
    oscar = await local_crm.create_owner("oscar@example.com", "Oscar", "Other")
    return Team(
        admin=User("admin@example.com", admin.apiKey),
        member=User("mia@example.com", member.apiKey, mia.id),
        other=User("oscar@example.com", other.apiKey, oscar.id),
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client; pass ``headers=user.headers`` to act as someone."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def admin(client: httpx.AsyncClient, team: Team) -> httpx.AsyncClient:
    client.headers.update(team.admin.headers)
    return client


def as_user(app: FastAPI, user: User) -> httpx.AsyncClient:
    """A client signed in as ``user`` (use as ``async with``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=user.headers)
