"""A real ``crm-agent`` HTTP server (uvicorn in a subprocess) for end-to-end, fuzz and benchmark
runs: :func:`running_server` prepares a data directory, creates users, starts the server on a
free loopback port and stops it afterwards."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    admin_key: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_async(make: Callable[[], Awaitable[str]]) -> str:
    """Run a coroutine in a thread of its own (the caller's thread may own an event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


async def create_admin(data_dir: Path, database_url: str | None, now: str | None) -> str:
    from crm_agent.auth.service import AuthService
    from crm_agent.config import Settings
    from crm_agent.crm.service import LocalCrm
    from crm_agent.storage.engine import dispose_all

    settings = Settings(_env_file=None, data_dir=data_dir, database_url=database_url, now=now)
    crm = await LocalCrm.connect(settings)
    key = (await AuthService(crm.sessions, settings).create_user("admin@example.com", "admin")).apiKey
    await dispose_all()
    return key


@contextmanager
def running_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    now: str | None = None,
    workers: int = 1,
    log_level: str = "warning",
    extra_env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """A migrated database with an admin, served by uvicorn until the block ends."""
    admin_key = run_async(lambda: create_admin(data_dir, database_url, now))
    port = free_port()
    env = {**os.environ, "CRM_AGENT_DATA_DIR": str(data_dir), "CRM_AGENT_MODEL": "rules", **(extra_env or {})}
    env.pop("CRM_AGENT_DATABASE_URL", None)
    if database_url:
        env["CRM_AGENT_DATABASE_URL"] = database_url
    if now:
        env["CRM_AGENT_NOW"] = now
    log = data_dir / "server.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "crm_agent.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--no-access-log",
        "--workers",
        str(workers),
        "--timeout-worker-healthcheck",
        "60",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield LiveServer(url, data_dir, admin_key, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
