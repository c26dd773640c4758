"""The agent's own time per request with the rules model on the embedded CRM (SQLite).

Measures AgentRunner.run end to end (plan, policy, execute with read-back verification, persist the
run) for a one-intent request and a ten-step multi-intent request, on the demo CRM with the clock
fixed. Prints p50/p95 in ms and writes benchmarks/results/agent.json.
Target (issue 3): p50 <= 30 ms for one intent.

    uv run python benchmarks/agent.py [--runs 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from crm_agent.agent.runner import AgentRunner
from crm_agent.config import Settings
from crm_agent.demo_data import DEMO_NOW, load_demo
from crm_agent.storage.engine import dispose_all

ONE_INTENT = "Update Quinn's phone to 555-010-{n:04d}"
READ_INTENT = "How many open deals does Raj have?"
TEN_STEPS = (
    "Create contacts for Ann Lee (ann{n}@lee.com), Ben Ode (ben{n}@ode.com), Cal Fry (cal{n}@fry.com) "
    "and Dee Ray (dee{n}@ray.com), then create deals for all four worth $2,500 each, "
    "then update Quinn's phone to 555-020-{n:04d} and mark the Initech deal as won"
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(runs: int) -> dict[str, dict[str, float]]:
    """Per scenario: p50 and p95 in ms over ``runs`` requests (after 3 warm-up requests)."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runner = await AgentRunner.connect(Settings(_env_file=None, data_dir=Path(tmp), now=DEMO_NOW))
        await load_demo(runner.crm)
        for name, template in (
            ("one_intent_update", ONE_INTENT),
            ("one_intent_question", READ_INTENT),
            ("ten_step_multi_intent", TEN_STEPS),
        ):
            times, steps = [], 0
            for n in range(runs + 3):
                started = time.perf_counter()
                view = await runner.run(template.format(n=n), actor="bench")
                elapsed = (time.perf_counter() - started) * 1000
                if view.status not in {"succeeded", "answered"}:
                    raise SystemExit(f"{name} run {n} ended {view.status}: {view.reply}")
                steps = len([s for s in view.steps if s.risk != "read"])
                if n >= 3:
                    times.append(elapsed)
            out[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(_percentile(times, 0.95), 2),
                "runs": runs,
                "write_steps": steps,
            }
        await dispose_all()
    return out


def main() -> None:
    """Run the benchmark, print the figures and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "agent.json")
    args = parser.parse_args()
    results = asyncio.run(measure(args.runs))
    for name, figures in results.items():
        print(
            f"{name:24} p50 {figures['p50_ms']:8.2f} ms   p95 {figures['p95_ms']:8.2f} ms   "
            f"({figures['write_steps']} write steps)"
        )
    target = results["one_intent_update"]["p50_ms"] <= 30
    print(f"target p50 <= 30 ms for one intent: {'met' if target else 'NOT met'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "agent",
                "database": "sqlite",
                "results": results,
                "target_one_intent_p50_ms": 30,
                "target_met": target,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
