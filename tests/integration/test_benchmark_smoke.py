"""The CRM benchmark's code runs (on 500 rows; the real run is ``uv run python benchmarks/crm.py``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "crm.py"


def load_benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("crm_benchmark", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_benchmark_runs_on_a_small_import(tmp_path: Path) -> None:
    figures = await load_benchmark().run_benchmark(rows=500, searches=5, workdir=tmp_path)
    assert figures["backend"] == "sqlite"
    assert figures["import"]["created"] == 500 and figures["import"]["failed"] == 0
    assert figures["import"]["rows_per_s"] > 0
    for kind in ("by_email", "by_owner_and_status", "by_name_query"):
        search = figures["searches"][kind]
        assert search["runs"] == 5 and 0 < search["p50_ms"] <= search["p95_ms"]
    assert figures["searches"]["by_email"]["found"] == 5
    assert figures["searches"]["by_name_query"]["found"] == 5


def test_benchmark_command_writes_json(tmp_path: Path) -> None:
    output = tmp_path / "crm.json"
    load_benchmark().main(["--rows", "200", "--searches", "3", "--output", str(output), "--database-url", ""])
    figures = json.loads(output.read_text())
    assert figures["rows"] == 200 and set(figures["searches"]) == {"by_email", "by_owner_and_status", "by_name_query"}
