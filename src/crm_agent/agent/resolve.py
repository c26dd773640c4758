"""Resolving what a person or a model calls a record ("Sarah", "the Acme deal", "john@x.com", "12",
``contact#1``) to exactly one record, or saying why not.

A reference resolves by handle, id, e-mail (contacts), domain (companies), full name, first or last
name, or the words of a deal or company name, ignoring case and accents. Records named earlier in
the conversation win over others with the same name. Several matches raise :class:`Ambiguous`
("which Greg?"): the agent never writes on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crm_agent.agent.names import candidates
from crm_agent.agent.plan import HANDLE_RE, Plan
from crm_agent.crm.objects import object_type
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import fold, tokens
from crm_agent.errors import CrmAgentError, NotFound


class Ambiguous(CrmAgentError):
    """A reference matches several records; ``candidates`` lists them for the question to the user."""

    def __init__(self, object_type_name: str, ref: str, candidates: list[CrmRecord]):
        self.candidates = candidates
        self.object_type_name = object_type_name
        self.ref = ref
        listed = "; ".join(describe(object_type_name, c) for c in candidates[:5])
        first = ref.split()[0] if ref.split() else ref
        super().__init__(
            f"Which {first.title() if '@' not in first else first}? {len(candidates)} "
            f"{object_type_name} match {ref!r}: {listed}."
        )


@dataclass(frozen=True)
class Ref:
    """A resolved reference: a real id or a handle of this plan, and a human label."""

    object_type: str
    id: str
    label: str


def label(object_type_name: str, props: dict[str, Any]) -> str:
    """A short human name for a record: a contact's full name (or email), a company or deal name."""
    if object_type_name == "contacts":
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return name or props.get("email") or "contact"
    key = {
        "companies": "name",
        "deals": "dealname",
        "tasks": "hs_task_subject",
        "notes": "hs_note_body",
        "meetings": "hs_meeting_title",
        "emails": "hs_email_subject",
    }.get(object_type_name, "name")
    text = str(props.get(key) or object_type(object_type_name).singular)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(object_type_name: str, record: CrmRecord) -> str:
    """``Greg Lee (greg@lee.com, id 3)``: a label plus what tells records apart."""
    props = record.properties
    extra = props.get("email") if object_type_name == "contacts" else props.get("domain") or props.get("amount")
    bits = ", ".join(b for b in (extra, f"id {record.id}") if b)
    return f"{label(object_type_name, props)} ({bits})"


async def _search(
    crm: LocalCrm, type_name: str, filters: list[Filter] | None = None, query: str | None = None, limit: int = 50
) -> list[CrmRecord]:
    groups = [FilterGroup(filters=filters)] if filters else []
    return (await crm.search(type_name, SearchRequest(filterGroups=groups, query=query, limit=limit))).results


def name_matches(type_name: str, record: CrmRecord, ref: str) -> int:
    """2 for a full match of the name, 1 for a match of a first/last name or all words, 0 otherwise."""
    props = record.properties
    want = fold(ref).strip()
    if type_name == "contacts":
        first, last = fold(props.get("firstname") or ""), fold(props.get("lastname") or "")
        if want and want in {f"{first} {last}".strip(), fold(props.get("email") or "")}:
            return 2
        return 1 if want in {first, last} else 0
    name = fold(label(type_name, props))
    if want == name:
        return 2
    words = set(tokens(name))
    return 1 if tokens(want) and set(tokens(want)) <= words else 0


async def resolve(
    crm: LocalCrm, plan: Plan, type_name: str, ref: Any, remembered: list[dict[str, Any]] | None = None
) -> Ref:
    """The single record ``ref`` names. Raises NotFound or Ambiguous."""
    otype = object_type(type_name)
    text = str(ref).strip().removeprefix("the ").strip()
    text = re.sub(r"(?i)\s+(deal|company|contact|account)$", "", text).strip() or text
    if HANDLE_RE.match(text):
        step = next((s for s in plan.steps if s.handle == text), None)
        if step is None:
            raise NotFound("record", text, "that handle was not created earlier in this request")
        return Ref(step.object_type or otype.name, text, step.label or step.description)
    if text.isdigit():
        record = await crm.get(otype.name, text)
        return Ref(otype.name, record.id, label(otype.name, record.properties))
    for item in remembered or []:
        if item.get("type") == otype.name and fold(text) in {
            fold(item.get("name", "")),
            fold(item.get("first", "") or "~"),
            fold(item.get("email", "") or "~"),
        }:
            return Ref(otype.name, str(item["id"]), item.get("name") or text)
    if otype.name == "contacts" and "@" in text:
        found = await _search(crm, "contacts", [Filter(propertyName="email", operator="EQ", value=text.lower())])
        return _one(otype.name, text, found)
    if otype.name == "companies" and re.fullmatch(r"[\w-]+(\.[\w-]+)+", text):
        found = await _search(crm, "companies", [Filter(propertyName="domain", operator="EQ", value=text.lower())])
        if found:
            return _one(otype.name, text, found)
    if otype.name == "deals":
        found_deals = await _search(crm, otype.name, query=text)
        found = [c for c in found_deals if name_matches("deals", c, text)]
        for company in await _search(crm, "companies", query=text):
            if not name_matches("companies", company, text):
                continue
            for link in company.associations["deals"].results if "deals" in company.associations else []:
                if link.id not in {f.id for f in found}:
                    found.append(await crm.get("deals", link.id))
        open_deals = [c for c in found if c.properties.get("dealstage") not in {"closedwon", "closedlost"}]
        return _one(otype.name, text, open_deals if len(found) > 1 and len(open_deals) == 1 else found)
    scores = [(c, name_matches(otype.name, c, text)) for c in await candidates(crm, otype.name, text)]
    best = max((s for _, s in scores), default=0)
    return _one(otype.name, text, [c for c, s in scores if s == best and s > 0])


def _one(type_name: str, ref: str, found: list[CrmRecord]) -> Ref:
    if not found:
        raise NotFound(object_type(type_name).singular, repr(ref), f"no {type_name} match it")
    if len(found) > 1:
        raise Ambiguous(type_name, ref, found)
    return Ref(type_name, found[0].id, label(type_name, found[0].properties))


async def is_named(crm: LocalCrm, type_name: str, text: str, limit: int = 20) -> bool:
    """Whether an active record of ``type_name`` is named ``text`` (full, first or last name, email, or
    all the words of a company or deal name), ignoring case and accents."""
    return any(name_matches(type_name, c, text) for c in await candidates(crm, type_name, text, limit))
