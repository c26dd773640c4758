"""Fixtures for outbound email: the service over a test database, and real SMTP servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from outreach_helpers import SmtpServer, free_port, self_signed_cert

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.outreach.service import OutreachService
from crm_agent.storage.engine import dispose_all


@pytest.fixture
async def outreach(settings: Settings) -> AsyncIterator[OutreachService]:
    """The outreach service on a fresh database, sending to the Maildir outbox in the data dir."""
    service = OutreachService(await LocalCrm.connect(settings))
    yield service
    await dispose_all()


@pytest.fixture
def smtp_factory(tmp_path: Path) -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers on demand: ``smtp_factory("starttls")``; all are stopped afterwards."""
    servers: list[SmtpServer] = []
    cert: list[Path] = []

    def make(mode: str = "starttls", start: bool = True) -> SmtpServer:
        if mode != "plain" and not cert:
            cert.append(self_signed_cert(tmp_path)[0])
        server = SmtpServer(mode, free_port(), cert[0] if mode != "plain" else None)
        if start:
            server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
