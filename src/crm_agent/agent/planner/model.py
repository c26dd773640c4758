"""The rules planner as a pydantic-ai model, so it drives the same agent loop and tools as an LLM.

First response: every action whose arguments are known. Later responses: the actions that needed a
handle from an earlier one (``create a deal for John`` after ``create contact John``). Final response:
text answering the questions from the read tools' results and saying what was not understood. It costs
zero tokens and never calls the network.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_ai import ModelResponse, RequestUsage, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.messages import ModelMessage, ModelRequest, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from crm_agent.agent.planner.casual import refers_back
from crm_agent.agent.planner.common import EACH, EACH_LABEL
from crm_agent.agent.planner.each import EACH_LIMIT
from crm_agent.agent.planner.intents import EXAMPLES, SYM, Action, Interpreter
from crm_agent.agent.planner.schema import Schema
from crm_agent.agent.planner.text import split_clauses
from crm_agent.agent.planner.wording import join_lists
from crm_agent.agent.reply import format_money
from crm_agent.agent.resolve import is_named
from crm_agent.config import Settings
from crm_agent.crm import directory
from crm_agent.crm.objects import object_type
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import fold

_TYPES = ("contacts", "companies", "deals", "tasks", "notes")
PLAN_ONLY = "Plan ready."  # the final text when there is nothing to say beyond the steps (a model may not be silent)


class RulesPlanner:
    """One request's offline planner (build a new one per run with :meth:`create`)."""

    def __init__(self, crm: LocalCrm, settings: Settings, schema: Schema, context: dict[str, Any]):
        self.crm = crm
        self.settings = settings
        self.schema = schema
        self.context = context
        self.actions: list[Action] | None = None
        self.unknown: list[str] = []
        self.emitted: set[int] = set()
        self.results: dict[int, tuple[str, Any]] = {}
        self.dropped: list[str] = []
        self._named: dict[tuple[str, str], bool] = {}

    @classmethod
    async def create(cls, crm: LocalCrm, settings: Settings, context: dict[str, Any]) -> RulesPlanner:
        """Load the CRM's owners, pipelines and properties for this request."""
        async with crm.read_only() as conn:
            schema = Schema(
                owners=await directory.list_owners(conn),
                pipelines=await directory.list_pipelines(conn),
                properties=await directory.properties_of(conn, list(_TYPES)),
            )
        return cls(crm, settings, schema, context)

    def model(self) -> FunctionModel:
        """The pydantic-ai model driving the agent."""
        return FunctionModel(self._respond, model_name="rules")

    async def _exists(self, type_name: str, text: str) -> bool:
        """Whether a record of ``type_name`` is named ``text`` (by name or email, not by other fields)."""
        key = (type_name, text)
        if key not in self._named:
            self._named[key] = await is_named(self.crm, type_name, text)
        return self._named[key]

    async def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        if self.actions is None:
            prompt = answer_pending(
                str(next((p.content for p in last.parts if isinstance(p, UserPromptPart)), "")),
                self.context.get("pending"),
            )
            today = self.settings.current_time().astimezone(self.settings.tz).date()
            interpreter = Interpreter(self.schema, today, self.context, self._exists)
            clauses = split_clauses(join_lists(str(prompt)))
            for index, clause in enumerate(clauses):
                following = clauses[index + 1] if index + 1 < len(clauses) else ""
                await interpreter.interpret(clause, refers_back(following))
            self.actions, self.unknown = interpreter.actions, interpreter.unknown
        for part in last.parts:
            if isinstance(part, ToolReturnPart) and part.tool_call_id[:1] == "a" and part.tool_call_id[1:].isdigit():
                self.results[int(part.tool_call_id[1:])] = (part.outcome, part.content)
        calls = self._next_round()
        if calls:
            return ModelResponse(parts=calls, usage=RequestUsage(input_tokens=0, output_tokens=0), model_name="rules")
        return ModelResponse(
            parts=[TextPart(self._answer())], usage=RequestUsage(input_tokens=0, output_tokens=0), model_name="rules"
        )

    def _handle(self, index: int) -> str | None:
        outcome, content = self.results.get(index, ("", None))
        if outcome == "success" and isinstance(content, dict) and content.get("handle"):
            return str(content["handle"])
        return None

    def _next_round(self) -> list[ToolCallPart]:
        assert self.actions is not None
        calls = []
        for index, action in enumerate(self.actions):
            if index in self.emitted:
                continue
            if any(n not in self.results for n in action.needs):
                continue
            if action.barrier and any(n not in self.results for n in range(index)):
                continue
            if action.each is not None:
                if action.each not in self.results:
                    continue
                self.emitted.add(index)
                calls += self._expand(index, action)
                continue
            handles = {n: self._handle(n) for n in action.needs}
            missing = [n for n, h in handles.items() if h is None]
            self.emitted.add(index)
            if missing:
                self.results[index] = ("dropped", None)
                self.dropped.append(
                    f"Did not plan {action.tool.replace('_', ' ')} for "
                    f"{self.actions[missing[0]].subject or 'a record'}: that record could not be "
                    "planned."
                )
                continue
            args = _substitute(action.args, {f"{SYM}{n}": h for n, h in handles.items() if h})
            calls.append(ToolCallPart(action.tool, args, tool_call_id=f"a{index}"))
        return calls

    def _expand(self, index: int, action: Action) -> list[ToolCallPart]:
        """``action`` once per record its read found (at most ``EACH_LIMIT``; more are not planned)."""
        outcome, content = self.results[action.each]  # type: ignore[index]
        self.results[index] = ("expanded", "")
        if outcome != "success" or not isinstance(content, dict):
            return []
        if content["total"] > EACH_LIMIT:
            self.dropped.append(
                f"Did not plan a {object_type(action.args['object_type_name']).singular} for each of the "
                f"{content['total']} {self.actions[action.each].question}: that is more than {EACH_LIMIT}; narrow the "  # type: ignore[index]
                "set down."
            )
            return []
        return [
            ToolCallPart(
                action.tool,
                _fill(
                    _substitute(action.args, {EACH: str(record["id"])}),
                    EACH_LABEL,
                    str(record["label"] or f"record {record['id']}"),
                ),
                tool_call_id=f"a{index}x{n}",
            )
            for n, record in enumerate(content["results"])
        ]

    def _answer(self) -> str:
        assert self.actions is not None
        lines: list[str] = []
        for index, action in enumerate(self.actions):
            outcome, content = self.results.get(index, ("", None))
            if outcome == "failed" and not action.read:
                continue
            if outcome != "success":
                if outcome:
                    lines.append(str(content))
                continue
            if action.read:
                lines.append(self._read_answer(action, content))
        lines += self.dropped
        for clause in self.unknown:
            lines.append(f'I did not understand "{clause}", so I did nothing for it. Try phrasing it like: {EXAMPLES}.')
        return "\n".join(line for line in lines if line) or PLAN_ONLY

    def _money(self, value: str | None) -> str:
        return "no amount" if value is None else format_money(value, self.settings.default_currency)

    def _read_answer(self, action: Action, content: Any) -> str:
        description = action.question or ""
        count = content.get("count", content.get("total")) if isinstance(content, dict) else None
        if count == 1:
            description = _singular(description)
        if action.style == "count":
            return f"{content['count']} {description}."
        if action.style in {"sum", "avg"}:
            label = {"sum": "Total amount", "avg": "Average amount"}[action.style]
            return f"{label} of {content['count']} {description}: {self._money(content['value'])}."
        if action.style.startswith("top-"):
            if not content["results"]:
                return f"No {description} found."
            top = content["results"][0]
            amount = top["properties"].get("amount") or top["properties"].get("annualrevenue")
            return (
                f"The {action.style[4:]} of the {content['total']} {description} is {top['label']} "
                f"({self._money(amount)})."
            )
        if action.style in {"list", "notes"}:
            total, results = content["total"], content["results"]
            if not total:
                return f"No {description} found."
            lines = [_note_line(r) if action.style == "notes" else _record_line(r) for r in results[:25]]
            more = f" and {total - 25} more" if total > 25 else ""
            return (
                f"{total} {description}: "
                + ("; ".join(lines) if action.style == "notes" else ", ".join(lines))
                + f"{more}."
            )
        if action.style == "field":
            return self._field_answer(action, content)
        if action.style == "summary":
            return self._summary_answer(action, content)
        return ""

    def _summary_answer(self, action: Action, record: dict[str, Any]) -> str:
        type_name = action.args["object_type_name"]
        props = record["properties"]
        keys = {
            "contacts": [
                "email",
                "phone",
                "jobtitle",
                "company",
                "lifecyclestage",
                "hs_lead_status",
                "hubspot_owner_id",
                "notes_last_contacted",
            ],
            "companies": ["domain", "industry", "city", "country", "numberofemployees", "hubspot_owner_id"],
            "deals": ["amount", "dealstage", "closedate", "hubspot_owner_id"],
        }.get(type_name, [])
        parts = []
        for key in keys:
            value = props.get(key)
            if value in (None, ""):
                continue
            parts.append(f"{self._label(type_name, key)}: {self._display(key, value)}")
        return f"{record['label']} ({object_type(type_name).singular} {record['id']}): " + "; ".join(parts) + "."

    def _label(self, type_name: str, prop: str) -> str:
        defn = self.schema.properties.get(type_name, {}).get(prop)
        return defn.label.lower() if defn else prop

    def _display(self, prop: str, value: str) -> str:
        if prop == "hubspot_owner_id":
            owner = next((o for o in self.schema.owners if o.id == value), None)
            return f"{owner.firstName} {owner.lastName} ({owner.email})" if owner else value
        if prop == "dealstage":
            return self.schema.stage_label(value)
        if prop in {"amount", "annualrevenue"}:
            return self._money(value)
        if prop in {"closedate", "notes_last_contacted", "hs_timestamp"}:
            return value[:10]
        return value

    def _field_answer(self, action: Action, record: dict[str, Any]) -> str:
        type_name = action.args["object_type_name"]
        prop = action.question or ""
        value = record["properties"].get(prop)
        label = self._label(type_name, prop)
        if value in (None, ""):
            return f"{record['label']} has no {label} set."
        return f"{record['label']}'s {label} is {self._display(prop, value)}."


_SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "leads": "lead",
    "customers": "customer",
    "tasks": "task",
    "notes": "note",
}


def _singular(description: str) -> str:
    """``open deals owned by Raj`` -> ``open deal owned by Raj`` (the first plural type word only)."""
    pattern = r"\b(" + "|".join(_SINGULAR) + r")\b"
    return re.sub(pattern, lambda m: _SINGULAR[m.group(1)], description, count=1)


def _note_line(record: dict[str, Any]) -> str:
    props = record["properties"]
    return f"({(props.get('hs_timestamp') or '')[:10]}) {props.get('hs_note_body', '')}"


def _record_line(record: dict[str, Any]) -> str:
    props = record["properties"]
    extra = props.get("email") or props.get("domain") or (f"amount {props['amount']}" if props.get("amount") else "")
    return f"{record['label']}" + (f" ({extra})" if extra else "")


def _substitute(value: Any, handles: dict[str, str]) -> Any:
    if isinstance(value, str):
        return handles.get(value, value)
    if isinstance(value, dict):
        return {k: _substitute(v, handles) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, handles) for v in value]
    return value


def _fill(value: Any, placeholder: str, text: str) -> Any:
    """``value`` with ``placeholder`` replaced by ``text`` inside every string."""
    if isinstance(value, str):
        return value.replace(placeholder, text)
    if isinstance(value, dict):
        return {k: _fill(v, placeholder, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, placeholder, text) for v in value]
    return value


_ORDINALS = {"first": 0, "1": 0, "1st": 0, "second": 1, "2": 1, "2nd": 1, "third": 2, "3": 2, "3rd": 2}


def answer_pending(message: str, pending: dict[str, Any] | None) -> str:
    """If ``message`` answers the previous turn's "which Greg?" by naming one candidate ("Greg Hall", "the
    one at Globex", "the second one"), the earlier request with that record spelled out; else ``message``."""
    if not pending or not pending.get("message"):
        return message
    text = fold(message).strip(" .!?")
    text = re.sub(r"^(?:i mean|i meant|the one|that one|it's|its|it is|use|pick)\s*", "", text).strip()
    candidates = pending["candidates"]
    chosen = None
    ordinal = re.fullmatch(r"(?:the\s+)?(\w+)(?:\s+one)?", text)
    if ordinal and ordinal.group(1) in _ORDINALS and _ORDINALS[ordinal.group(1)] < len(candidates):
        chosen = candidates[_ORDINALS[ordinal.group(1)]]
    for candidate in candidates:
        names = {fold(candidate["label"]), fold(candidate.get("email") or "~")}
        place = re.sub(r"^(?:at|from|with|of|who works at)\s+", "", text)
        company = fold(candidate.get("company") or "~")
        domain = fold((candidate.get("email") or "~").split("@")[-1])
        words = set(re.findall(r"[a-z0-9]+", re.sub(r"\b(?:the|one|deal|guy|gal|person|contact|company)\b", " ", text)))
        partial = bool(words) and words <= set(re.findall(r"[a-z0-9]+", fold(candidate["label"])))
        partial = partial or (bool(words) and words <= set(re.findall(r"[a-z0-9]+", f"{company} {domain}")) - {"com"})
        if (
            text in names
            or partial
            or (place and (place == company or place in company.split() or place == domain.split(".")[0]))
        ):
            if chosen is not None and chosen is not candidate:
                return message
            chosen = candidate
    if chosen is None:
        return message
    spelled = chosen.get("email") if pending["type"] == "contacts" and chosen.get("email") else chosen["label"]
    return re.sub(rf"(?i)\b{re.escape(pending['ref'])}\b", spelled, pending["message"], count=1)
