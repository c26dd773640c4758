"""Policy is code, not prompt: each tool has a risk class, and the class decides what a run may do.

- ``read``: always runs while planning (it changes nothing).
- ``write``: CRM creates and updates; run at once in ``auto`` mode.
- ``destructive``: archives (HubSpot's delete) and bulk changes over more than ``BULK_APPROVAL_THRESHOLD``
  records; wait for an operator's approval even in ``auto`` mode (ARCHITECTURE.md: "Deletes are archives
  and need approval by default").
- ``outbound``: e-mail. In ``auto`` mode the step runs at once, but all it does is put a draft in the
  approvals inbox (:mod:`crm_agent.outreach`): sending always needs an operator (or a playbook allowed
  to send within quotas), and compliance, suppression and quotas are checked again at send time.

``review`` mode holds every write for one approval of the whole plan; ``dry-run`` never writes.
Nothing the model says (or text found in CRM data) changes these rules.
"""

from __future__ import annotations

from crm_agent.agent.plan import Step

BULK_APPROVAL_THRESHOLD = 10


def needs_approval(step: Step, mode: str) -> bool:
    """Whether ``step`` must wait for an operator before it runs in ``mode``."""
    if step.risk == "read":
        return False
    if mode == "review":
        return True
    return step.risk == "destructive"


def decide(steps: list[Step], mode: str) -> None:
    """Mark each write step ``pending`` (needs approval) or leave it ``planned`` (may run now).

    In ``dry-run`` every write stays ``planned`` and nothing will run it.
    """
    if mode == "dry-run":
        return
    waiting: set[int] = set()
    for step in steps:
        if step.status != "planned" or step.risk == "read":
            continue
        if needs_approval(step, mode) or any(d in waiting for d in step.depends_on):
            step.status = "pending"
            waiting.add(step.position)
