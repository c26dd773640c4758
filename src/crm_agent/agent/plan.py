"""Plans: the steps a request became, with handles for records created in the same request.

Write tools do not write while the model is planning: they add a step and return a **handle**
(``contact#1``, ``deal#2``) that later tool calls may pass wherever a record id is expected. A step
depends on every earlier step whose handle appears in its arguments; the executor resolves handles
to the real ids once the steps they name have run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HANDLE_RE = re.compile(r"^(?P<kind>[a-z_]+)#(?P<n>\d+)$")


@dataclass
class Step:
    """A planned tool call. ``position`` is 1-based; ``risk`` is read, write, outbound or destructive."""

    position: int
    tool: str
    args: dict[str, Any]
    description: str
    risk: str
    object_type: str | None = None
    handle: str | None = None
    label: str = ""
    after: list[int] = field(default_factory=list)
    depends_on: list[int] = field(default_factory=list)
    status: str = "planned"
    result: Any = None
    error: str | None = None
    attempts: int = 0
    duration_ms: float | None = None


def handles_in(value: Any) -> list[str]:
    """Every handle mentioned anywhere in ``value`` (nested dicts and lists)."""
    if isinstance(value, str):
        return [value] if HANDLE_RE.match(value) else []
    if isinstance(value, dict):
        return [h for v in value.values() for h in handles_in(v)]
    if isinstance(value, list):
        return [h for v in value for h in handles_in(v)]
    return []


def substitute(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every handle replaced by the real id in ``ids``."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


@dataclass
class Plan:
    """The ordered steps of one request, built up by the tools while the model plans."""

    steps: list[Step] = field(default_factory=list)
    _counters: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        tool: str,
        args: dict[str, Any],
        description: str,
        risk: str,
        *,
        object_type: str | None = None,
        singular: str | None = None,
        label: str = "",
    ) -> Step:
        """Append a step; a step that creates a record gets a new handle named after ``singular``, and
        an outbound step (an e-mail) runs after every earlier write, whatever their outcome, so that a
        summary sees what the request changed. Also
        ``label`` names that record for later steps ("Sarah Smith").

        Raises ValueError when ``args`` mention a handle that no earlier step created.
        """
        known = {s.handle: s.position for s in self.steps if s.handle}
        depends = []
        for handle in handles_in(args):
            if handle not in known:
                raise ValueError(f"{handle} is not a record created earlier in this request")
            depends.append(known[handle])
        handle = None
        if singular:
            self._counters[singular] = self._counters.get(singular, 0) + 1
            handle = f"{singular}#{self._counters[singular]}"
        step = Step(
            position=len(self.steps) + 1,
            tool=tool,
            args=args,
            description=description,
            risk=risk,
            object_type=object_type,
            handle=handle,
            depends_on=sorted(set(depends)),
            label=label,
            after=[s.position for s in self.steps if s.risk != "read"] if risk == "outbound" else [],
        )
        self.steps.append(step)
        return step

    def writes(self) -> list[Step]:
        """The steps that change something (everything but reads)."""
        return [s for s in self.steps if s.risk != "read"]
