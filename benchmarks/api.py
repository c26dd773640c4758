"""HTTP API throughput and latency: requests/s and p50/p95/p99 latency with N concurrent clients on
loopback, for ``GET /contacts?limit=50`` and ``POST /agent/process`` (rules model), on SQLite and
on PostgreSQL. Prints JSON.

    uv run python benchmarks/api.py                      # both databases, 50 clients, 15 s per case
    uv run python benchmarks/api.py --db sqlite --duration 5 --output benchmarks/results/api.json

The server is a real ``uvicorn`` process (``--workers`` replicas) on a database holding the demo
dataset plus ``--contacts`` generated contacts; the clients are ``httpx`` in this process.
PostgreSQL is the server named by CRM_AGENT_TEST_POSTGRES_URL (default: the local one); a scratch
database is created and dropped. Both sides share the machine's cores, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import run_async, running_server  # noqa: E402

NOW = "2026-11-20T09:00:00Z"
PG_ADMIN = os.environ.get("CRM_AGENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AGENT_MESSAGE = "How many open deals does Raj have?"


async def seed(data_dir: Path, database_url: str | None, contacts: int) -> None:
    """The demo dataset plus ``contacts`` generated contacts."""
    from crm_agent.config import Settings
    from crm_agent.crm.schemas import RecordInput
    from crm_agent.crm.service import LocalCrm
    from crm_agent.demo_data import load_demo
    from crm_agent.storage.engine import dispose_all

    crm = await LocalCrm.connect(Settings(_env_file=None, data_dir=data_dir, database_url=database_url, now=NOW))
    await load_demo(crm)
    for start in range(0, contacts, 100):
        batch = [
            RecordInput(
                properties={
                    "email": f"bench{i}@example.com",
                    "firstname": f"Bench{i}",
                    "lastname": "User",
                    "lifecyclestage": "lead",
                }
            )
            for i in range(start, min(start + 100, contacts))
        ]
        await crm.batch_create("contacts", batch)
    await dispose_all()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def load(
    url: str, key: str, method: str, path: str, body: dict | None, clients: int, duration: float, warmup: float
) -> dict[str, Any]:
    """``clients`` loops sending the request back to back; latencies are kept after ``warmup`` s."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + duration

        async def worker() -> None:
            nonlocal errors
            while True:
                sent = time.perf_counter()
                if sent >= stop:
                    return
                try:
                    response = await http.request(method, path, json=body)
                    code = response.status_code
                except httpx.HTTPError:
                    code = -1
                done = time.perf_counter()
                if sent >= measure_from:
                    latencies.append(done - sent)
                    statuses[code] = statuses.get(code, 0) + 1
                    if code < 0 or code >= 400:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - measure_from
    ms = [v * 1000 for v in latencies]
    return {
        "request": f"{method} {path}",
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(ms),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requests_per_second": round(len(ms) / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms": {
            "p50": round(statistics.median(ms), 1) if ms else None,
            "p95": round(percentile(ms, 95), 1) if ms else None,
            "p99": round(percentile(ms, 99), 1) if ms else None,
            "max": round(max(ms), 1) if ms else None,
        },
    }


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"crm-bench-{kind}-") as tmp:
        data_dir = Path(tmp)
        database_url = None
        pg_name = None
        if kind == "postgres":
            pg_name = f"crm_bench_{uuid.uuid4().hex[:10]}"
            asyncio.run(pg_admin(f'CREATE DATABASE "{pg_name}"'))
            database_url = (
                PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + pg_name
            )
        try:
            run_async(lambda: seed(data_dir, database_url, args.contacts))
            with running_server(data_dir, database_url=database_url, now=NOW, workers=args.workers) as server:
                cases = [
                    ("GET", "/contacts?limit=50", None),
                    ("POST", "/agent/process", {"message": args.agent_message, "mode": "auto"}),
                ]
                results = [
                    asyncio.run(
                        load(server.url, server.admin_key, method, path, body, args.clients, args.duration, args.warmup)
                    )
                    for method, path, body in cases
                ]
                log_tail = server.log.read_text()[-4000:] if any(r["errors"] for r in results) else ""
        finally:
            if pg_name:
                asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    report: dict[str, Any] = {"database": kind, "results": results}
    if log_tail:
        report["server_log_tail"] = log_tail  # why requests failed
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--contacts", type=int, default=1000, help="generated contacts besides the demo data")
    parser.add_argument("--agent-message", default=AGENT_MESSAGE)
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {
        "benchmark": "api",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": {
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "workers": args.workers,
            "contacts": args.contacts + 30,
            "agent_message": args.agent_message,
        },
        "databases": [bench_database(kind, args) for kind in kinds],
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
