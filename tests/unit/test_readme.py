"""The README documents what the code has: every setting, and the Quickstart's two commands."""

from __future__ import annotations

from pathlib import Path

from crm_agent.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name in Settings.model_fields if f"`CRM_AGENT_{name.upper()}`" not in README]
    assert missing == []


def test_quickstart_has_the_demo_and_the_test_command() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("## ", 1)[0]
    assert "uv run crm-agent demo" in quickstart
    assert "uv run pytest" in quickstart
