"""Benchmark of the embedded CRM: import generated contacts, then time searches over them.

Generates a HubSpot-format contacts export (Faker, see :mod:`crm_agent.crm.fakes`), imports it
through the importer (``crm-agent import``'s code path, with validation, search tokens and audit
entries for every row) into a fresh database, and times three searches, each repeated:
by email, by owner plus lead status, and by free-text name (``query``). Prints rows/s and
p50/p95 milliseconds per search, and writes them as JSON.

    uv run python benchmarks/crm.py                      # 100,000 rows into SQLite in a temp dir
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python benchmarks/crm.py

With ``DATABASE_URL`` (a PostgreSQL server) the benchmark creates a database of its own on that
server and drops it afterwards. Targets on SQLite (2 cores): import >= 5,000 rows/s, every
search p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from crm_agent.config import Settings
from crm_agent.crm.fakes import add_owners, write_contacts_csv
from crm_agent.crm.importer import import_csv
from crm_agent.crm.schemas import SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.storage.engine import dispose_all

RESULTS = Path(__file__).parent / "results" / "crm.json"
TARGETS = {"import_rows_per_s": 5000, "search_p95_ms": 20.0}


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _timed_searches(crm: LocalCrm, requests: list[SearchRequest]) -> dict[str, Any]:
    timings, hits = [], 0
    for request in requests:
        start = time.perf_counter()
        page = await crm.search("contacts", request)
        timings.append((time.perf_counter() - start) * 1000)
        hits += page.total > 0
    return {
        "runs": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "found": hits,
    }


def _search_requests(csv_path: Path, runs: int, seed: int) -> dict[str, list[SearchRequest]]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(seed)
    sample = [rng.choice(rows) for _ in range(runs)]
    owners = sorted({r["Contact owner"] for r in rows if "@" in r["Contact owner"]})
    statuses = ["New", "Open", "In Progress", "Connected", "Attempted to Contact"]

    def eq(name: str, value: str) -> dict[str, str]:
        return {"propertyName": name, "operator": "EQ", "value": value}

    return {
        "by_email": [SearchRequest(filterGroups=[{"filters": [eq("email", r["Email"])]}]) for r in sample],
        "by_owner_and_status": [
            SearchRequest(
                filterGroups=[
                    {
                        "filters": [
                            eq("hubspot_owner_id", rng.choice(owners)),
                            eq("hs_lead_status", rng.choice(statuses)),
                        ]
                    }
                ]
            )
            for _ in range(runs)
        ],
        "by_name_query": [SearchRequest(query=f"{r['First Name']} {r['Last Name']}") for r in sample],
    }


async def run_benchmark(
    rows: int = 100_000,
    searches: int = 200,
    *,
    database_url: str | None = None,
    workdir: Path | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """Import ``rows`` generated contacts into a fresh database and time ``searches`` of each kind.

    ``database_url`` is a fresh database to use (default: a SQLite file in ``workdir``).
    Returns the figures (also what the command line prints and saves).
    """
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        base = workdir or Path(tmp)
        csv_path = base / "contacts.csv"
        started = time.perf_counter()
        write_contacts_csv(csv_path, rows, seed=seed)
        generated_s = time.perf_counter() - started
        url = database_url or f"sqlite+aiosqlite:///{base / 'bench.db'}"
        settings = Settings(_env_file=None, data_dir=base, database_url=url, now="2026-11-20T09:00:00Z")
        try:
            crm = await LocalCrm.connect(settings)
            await add_owners(crm)
            started = time.perf_counter()
            report = await import_csv(crm, "contacts", csv_path)
            import_s = time.perf_counter() - started
            requests = _search_requests(csv_path, searches, seed)
            results = {kind: await _timed_searches(crm, reqs) for kind, reqs in requests.items()}
        finally:
            await dispose_all()
    backend = settings.resolved_database_url.split(":", 1)[0].split("+", 1)[0]
    return {
        "backend": backend,
        "rows": rows,
        "generate_s": round(generated_s, 2),
        "import": {
            "seconds": round(import_s, 2),
            "rows_per_s": round(rows / import_s),
            "created": report.created,
            "updated": report.updated,
            "failed": report.failed,
        },
        "searches": results,
        "targets": TARGETS,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
    }


async def _with_postgres_database(server_url: str, **kwargs: Any) -> dict[str, Any]:
    """Run the benchmark in a new database on the server of ``server_url``, dropped afterwards."""
    import asyncpg

    admin = server_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        return await run_benchmark(database_url=f"{base}/{name}", **kwargs)
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _print(figures: dict[str, Any]) -> None:
    imp = figures["import"]
    ok = "ok" if imp["rows_per_s"] >= TARGETS["import_rows_per_s"] else "BELOW TARGET"
    print(f"backend {figures['backend']}: {figures['rows']:,} contacts")
    print(
        f"import: {imp['seconds']} s, {imp['rows_per_s']:,} rows/s ({ok}); "
        f"created {imp['created']:,}, updated {imp['updated']:,}, failed {imp['failed']:,}"
    )
    for kind, s in figures["searches"].items():
        ok = "ok" if s["p95_ms"] <= TARGETS["search_p95_ms"] else "ABOVE TARGET"
        print(
            f"search {kind}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms "
            f"over {s['runs']} runs ({ok})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200, help="runs of each kind of search")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON figures")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL server (default: $DATABASE_URL)"
    )
    args = parser.parse_args(argv)
    kwargs = {"rows": args.rows, "searches": args.searches, "seed": args.seed}
    if args.database_url and args.database_url.startswith(("postgres://", "postgresql")):
        figures = asyncio.run(
            _with_postgres_database(args.database_url.replace("postgres://", "postgresql://"), **kwargs)
        )
    else:
        figures = asyncio.run(run_benchmark(database_url=args.database_url, **kwargs))
    _print(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
