"""The reply to a request: one line per step saying what happened, then the model's answers and
questions. Example lines: ``created contact Eve Johnson``, ``failed contact Grace Davis: email: invalid
email address``, ``skipped deal for Grace Davis: depends on the failed step 3``."""

from __future__ import annotations

from crm_agent.agent.plan import Step

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_PAST = {"draft": "drafted", "create": "created", "update": "updated", "archive": "archived", "associate": "associated"}


def _verb_rest(description: str) -> tuple[str, str]:
    verb, _, rest = description.partition(" ")
    return verb, rest


def step_line(step: Step, mode: str) -> str:
    """One step as a sentence for its status."""
    verb, rest = _verb_rest(step.description)
    if step.status == "succeeded":
        extra = ""
        if step.tool == "draft_email" and isinstance(step.result, dict):
            blocked = step.result.get("blocked") or []
            extra = (
                f" (draft {step.result['draft_id']}, blocked: {'; '.join(blocked)})"
                if blocked
                else f" (draft {step.result['draft_id']} waits for approval: "
                f"`crm-agent drafts approve {step.result['draft_id']}`)"
            )
        if isinstance(step.result, dict) and step.result.get("errors"):
            extra = f" ({len(step.result['errors'])} failed: {'; '.join(step.result['errors'][:3])})"
        return f"{_PAST.get(verb, verb + 'd')} {rest}{extra}"
    if step.status == "failed":
        return f"failed {rest if verb == 'create' else step.description}: {step.error}"
    if step.status == "skipped":
        return f"skipped {rest if verb == 'create' else step.description}: {step.error}"
    if step.status == "pending":
        return f"waiting for approval: {step.description}"
    if step.status == "rejected":
        return f"rejected: {step.description}" + (f" ({step.error})" if step.error else "")
    return f"{'would ' if mode == 'dry-run' else ''}{step.description}"


def compose(steps: list[Step], mode: str, answer: str, run_id: str) -> str:
    """The whole reply: step lines (numbered), approval hint, then the model's answer text."""
    writes = [s for s in steps if s.risk != "read"]
    lines: list[str] = []
    if writes:
        if mode == "dry-run":
            lines.append("Plan (dry run, nothing was written):")
        elif any(s.status == "pending" for s in writes) and not any(
            s.status in {"succeeded", "failed"} for s in writes
        ):
            lines.append("Plan (waiting for approval, nothing written yet):")
        lines += [f"{s.position}. {step_line(s, mode)}" for s in writes]
        if any(s.status == "pending" for s in writes):
            lines.append(
                f"Approve with `crm-agent plans approve {run_id}` or reject with `crm-agent plans reject {run_id}`."
            )
    if answer.strip():
        lines.append(answer.strip())
    return "\n".join(lines) if lines else "Nothing to do."


def run_status(steps: list[Step], mode: str) -> str:
    """The run's status from its steps (see crm_agent.agent.records)."""
    writes = [s for s in steps if s.risk != "read"]
    if not writes:
        return "answered"
    if mode == "dry-run":
        return "planned"
    states = {s.status for s in writes}
    if "pending" in states:
        return "awaiting_approval"
    if states <= {"succeeded"}:
        return "succeeded"
    if "succeeded" in states:
        return "partial"
    if states <= {"rejected"}:
        return "rejected"
    return "failed"


def format_money(value: object, currency: str | None) -> str:
    """``5000``, ``USD`` -> ``$5,000``; ``2500000.5``, ``EUR`` -> ``€2,500,000.50``; unknown codes trail."""
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}".removesuffix(".00")
    symbol = _SYMBOLS.get(currency or "")
    return f"{symbol}{text}" if symbol else f"{text} {currency}".strip()
