"""The demo dataset: Brightline, a small B2B reseller with four salespeople, in the fixture format.

``demo_data.yaml`` ships inside the package, so ``crm-agent demo`` works from an installed wheel.
It is deterministic and meant to be read with the clock at :data:`DEMO_NOW` (a Friday): four
owners, ten companies, thirty contacts (customers last contacted more than three weeks ago, two
Gregs, accented names), sixteen deals across every stage of the default pipeline (five of them
open and closing in November 2026), notes and tasks. The evals in ``evals/`` use it as their
``demo`` fixture and compute their expected answers from it.
"""

from __future__ import annotations

from typing import Any

from crm_agent.crm.service import LocalCrm
from crm_agent.fixtures import FixtureIds, load_fixture, packaged_demo

DEMO_NOW = "2026-11-20T09:00:00Z"


def demo_fixture() -> dict[str, Any]:
    """The demo dataset as a fixture dict (a fresh copy on every call)."""
    return packaged_demo()


async def load_demo(crm: LocalCrm) -> FixtureIds:
    """Load the demo dataset into ``crm`` (which should be empty) and return the new ids."""
    return await load_fixture(crm, demo_fixture())
