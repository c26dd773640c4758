"""Sets of records described in words: "all of Nadia's leads", "deals closing this month", "contacts at
Acme", "customers not contacted in 3 weeks", "deals over $10k in contract sent".

:func:`parse_set` turns such a phrase into the ``RecordSet`` argument of the search, count, summarize
and bulk tools: HubSpot filter groups (AND within a group, OR across groups) plus an optional
"associated with" record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crm_agent.agent.planner.schema import Schema
from crm_agent.agent.planner.set_filters import STALE, amount_filter, date_filters, range_phrase
from crm_agent.agent.planner.set_filters import filter_spec as _f
from crm_agent.agent.planner.stopwords import NOT_COMPANY, NOT_INDUSTRY, NOT_PLACE, STATE_WORDS
from crm_agent.agent.planner.values import (
    day_bounds,
    find_date,
)
from crm_agent.crm.values import fold

CLOSED_STAGES = ["closedwon", "closedlost"]


@dataclass
class ParsedSet:
    """A record set: object type, AND-ed filters, OR-alternatives, association, words describing it."""

    object_type: str
    filters: list[dict[str, Any]] = field(default_factory=list)
    alternatives: list[list[dict[str, Any]]] = field(default_factory=list)
    associated_with: dict[str, Any] | None = None
    words: list[str] = field(default_factory=list)
    company_typed: bool = False

    def to_arg(self) -> dict[str, Any]:
        """The ``RecordSet`` tool argument."""
        groups = (
            [self.filters + alt for alt in self.alternatives]
            if self.alternatives
            else ([self.filters] if self.filters else [])
        )
        arg: dict[str, Any] = {"object_type": self.object_type, "filter_groups": groups}
        if self.associated_with:
            arg["associated_with"] = self.associated_with
        return arg

    def describe(self) -> str:
        """E.g. ``open deals owned by Raj Patel closing this month``."""
        return " ".join(self.words) if self.words else f"all {self.object_type}"


@dataclass
class StoredSet:
    """A set remembered from an earlier turn of the conversation ("and what are they worth?")."""

    object_type: str
    records: dict[str, Any]
    description: str

    def to_arg(self) -> dict[str, Any]:
        """The ``RecordSet`` tool argument."""
        return self.records

    def describe(self) -> str:
        """The words that described it."""
        return self.description


_EXCEPT = re.compile(
    r"\b(?:without|except|excluding|other than|apart from|besides|but not|no|not|none|isn't|aren't|don't|doesn't|"
    r"haven't|hasn't|never|unless)\b"
)


def parse_set(text: str, schema: Schema, today: date, default_type: str = "contacts") -> ParsedSet | None:
    """The record set ``text`` describes, or None when it names no object type and no criteria."""
    t = fold(text)
    if _EXCEPT.search(re.sub(STALE, " ", t)):
        return None  # "contacts without an email", "everyone at hooli except gavin": not understood, not widened
    otype = schema.object_type_in(text) or default_type
    place = re.search(r"\bin\s+(?:the\s+)?([a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)\s*$", t)
    if otype == "contacts" and place and _plain_words(place.group(1), schema, today):
        return None  # "customers in chicago": contacts have no place filter here; not widened to all customers
    found = ParsedSet(object_type=otype)
    words: list[str] = []
    criteria = 0
    lifecycles = (
        schema.options_in("contacts", "lifecyclestage", re.sub(r"(?i)lead status", "", text))
        if otype == "contacts"
        else []
    )
    if otype == "contacts" and len(lifecycles) > 1:
        found.filters.append(_f("lifecyclestage", "IN", values=lifecycles))
        words.append(f"contacts that are {' or '.join(lifecycles)}")
        criteria += 1
    elif otype == "contacts":
        if re.search(r"\bleads?\b(?! status)", t):
            found.filters.append(_f("lifecyclestage", "EQ", "lead"))
            words.append("leads")
            criteria += 1
        elif re.search(r"\bcustomers?\b|\bclients?\b", t):
            found.filters.append(_f("lifecyclestage", "EQ", "customer"))
            words.append("customers")
            criteria += 1
        else:
            option = schema.option_in("contacts", "lifecyclestage", text)
            if option and option not in {"lead", "customer", "other"}:
                found.filters.append(_f("lifecyclestage", "EQ", option))
                words.append(f"{option} contacts")
                criteria += 1
            else:
                words.append("contacts")
        status = schema.option_in("contacts", "hs_lead_status", text.replace("open deal", ""))
        statuses = schema.options_in("contacts", "hs_lead_status", text) if re.search(r"\bstatus\b.+\bor\b", t) else []
        if len(statuses) > 1:
            found.filters.append(_f("hs_lead_status", "IN", values=statuses))
            words.append(f"with lead status {' or '.join(statuses)}")
            criteria += 1
        elif status and (re.search(r"\bstatus\b", t) or status not in {"OPEN", "NEW"}):
            found.filters.append(_f("hs_lead_status", "EQ", status))
            words.append(f"with lead status {status}")
            criteria += 1
    elif otype == "deals":
        stages = _stages(text, schema)
        if re.search(r"\bopen\b|\bactive\b|\bin progress\b", t) and not stages:
            found.filters.append(_f("dealstage", "NOT_IN", values=CLOSED_STAGES))
            words.append("open deals")
            criteria += 1
        elif re.search(r"\bclosed deals\b", t) and not stages:
            found.filters.append(_f("dealstage", "IN", values=CLOSED_STAGES))
            words.append("closed deals")
            criteria += 1
        elif stages:
            found.filters.append(
                _f("dealstage", "IN", values=stages) if len(stages) > 1 else _f("dealstage", "EQ", stages[0])
            )
            words.append(f"deals in {' or '.join(schema.stage_label(s) for s in stages)}")
            criteria += 1
        else:
            words.append("deals")
    elif otype == "tasks":
        if re.search(r"\boverdue\b", t):
            found.filters += [
                _f("hs_task_status", "NEQ", "COMPLETED"),
                _f("hs_timestamp", "LT", day_bounds(today, today)[0]),
            ]
            words.append("overdue tasks")
            criteria += 1
        elif re.search(r"\b(open|pending|outstanding|incomplete|not done)\b", t):
            found.filters.append(_f("hs_task_status", "NEQ", "COMPLETED"))
            words.append("open tasks")
            criteria += 1
        elif re.search(r"\b(completed|done|finished)\b", t):
            found.filters.append(_f("hs_task_status", "EQ", "COMPLETED"))
            words.append("completed tasks")
            criteria += 1
        else:
            words.append("tasks")
    else:
        words.append(otype)
    criteria += _custom_options(text, otype, schema, found, words)
    if otype == "companies":
        stage = schema.option_in("companies", "lifecyclestage", re.sub(r"(?i)\bcompan(y|ies)\b", "", text))
        if stage:
            found.filters.append(_f("lifecyclestage", "EQ", stage))
            words.append(f"that are {stage}s")
            criteria += 1
    if otype == "companies":
        industry = re.search(
            r"(?i)\b(?:in\s+(?:the\s+)?(?P<a>[\w&-]+(?:\s+[\w&-]+)?)\s+(?:industry|sector|space)|"
            r"(?P<b>[\w&-]+)\s+(?:companies|accounts|businesses|firms))\b",
            text,
        )
        word = industry and (industry.group("a") or industry.group("b"))
        place = re.search(
            r"(?i)(?<!based )(?<!located )\bin\s+(?:the\s+)?(?P<x>[\w&'-]+(?:\s+[\w&'-]+){0,2})\s*$", text
        )
        if word and fold(word) not in NOT_INDUSTRY and not schema.owner_in(word):
            found.filters.append(_f("industry", "EQ", word))
            words.append(f"in {word.lower()}")
            criteria += 1
        elif place and _plain_words(place.group("x"), schema, today):
            where = place.group("x")
            found.alternatives = [[_f(prop, "EQ", where)] for prop in ("industry", "city", "country")]
            words.append(f"in {where}")
            criteria += 1
    criteria += _owner(text, schema, found, words)
    criteria += amount_filter(text, otype, found, words)
    criteria += date_filters(text, otype, today, found, words)
    criteria += _company(text, otype, found, words, schema, today)
    found.words = words
    if criteria == 0 and schema.object_type_in(text) is None:
        return None
    return found


def _plain_words(text: str, schema: Schema, today: date) -> bool:
    """Whether ``text`` can be an industry or a place: no owner, stage, date or filter words in it."""
    folded = fold(text).split()
    return not (
        any(w in NOT_INDUSTRY or w in NOT_COMPANY or w in NOT_PLACE for w in folded)
        or schema.owner_in(text)
        or range_phrase(text, today)
        or find_date(text, today)
        or re.search(r"\d", text)
    )


def _custom_options(text: str, otype: str, schema: Schema, found: ParsedSet, words: list[str]) -> int:
    """Filters on custom enumeration properties whose options the text names ("prefer WhatsApp")."""
    count = 0
    for name, defn in schema.properties.get(otype, {}).items():
        if not defn.custom or defn.type != "enumeration":
            continue
        value = schema.option_in(otype, name, text)
        if value:
            found.filters.append(_f(name, "EQ", value))
            words.append(f"with {defn.label.lower()} {value}")
            count += 1
    return count


def _stages(text: str, schema: Schema) -> list[str]:
    stages: list[str] = []
    remaining = text
    while True:
        hit = schema.stage_in(remaining)
        if not hit:
            break
        stage, (start, end) = hit
        if stage not in stages and not (
            stage == "closedwon" and re.search(r"\bclos(e|ing)\b", fold(remaining)[start:end])
        ):
            stages.append(stage)
        remaining = remaining[:start] + " " + remaining[end:]
    return stages


def _owner(text: str, schema: Schema, found: ParsedSet, words: list[str]) -> int:
    hit = schema.owner_in(text)
    if not hit:
        return 0
    owner, (_, end) = hit
    other = re.match(r"\s*(?:['’]s)?\s+or\s+", fold(text)[end:])
    second = schema.owner_in(fold(text)[end + other.end() :]) if other else None
    if second and second[1][0] == 0 and second[0].email != owner.email:
        found.filters.append(_f("hubspot_owner_id", "IN", values=[owner.email, second[0].email]))
        words.append(f"owned by {owner.firstName} or {second[0].firstName}")
        return 1
    found.filters.append(_f("hubspot_owner_id", "EQ", owner.email))
    words.append(f"owned by {owner.firstName} {owner.lastName}".strip())
    return 1


def _company_before_type(text: str, schema: Schema) -> str | None:
    """``every Hooli contact``, ``the acme deals`` -> the company named before the type word, if plain words."""
    match = re.search(
        r"(?i)(?:^|\b(?:all|every|each|the|any|many|our|my|of)\s+)(?:of\s+)?(?:the\s+)?(?P<co>[\w&.-]+(?:\s+[\w&.-]+){0,2}?)\s+"
        r"(?:contacts?|deals?|people|leads?|customers?|opportunit(?:y|ies)|opps?)\b",
        text,
    )
    if not match:
        return None
    name = re.sub(r"(?i)^(?:(?:all|every|each|the|any|many|our|my|of)\s+)+", "", match.group("co"))
    words = fold(name).split()
    if (
        any(w in NOT_COMPANY or w in NOT_INDUSTRY or w in NOT_PLACE or w in STATE_WORDS for w in words)
        or schema.owner_in(name)
        or schema.stage_in(name)
        or schema.option_in("contacts", "lifecyclestage", name)
        or schema.option_in("contacts", "hs_lead_status", name)
    ):
        return None
    return name


def _company(text: str, otype: str, found: ParsedSet, words: list[str], schema: Schema, today: date) -> int:
    if otype not in {"contacts", "deals", "tasks", "notes"}:
        if otype == "companies" and not found.alternatives:
            match = re.search(r"\b(?:in|based in|located in|from)\s+([A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*)", text)
            if match:
                found.filters.append(_f("city", "EQ", match.group(1)))
                words.append(f"in {match.group(1)}")
                return 1
        return 0
    match = re.search(r"\b(?:at|from|with|for|of)\s+(?:the\s+)?([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)", text)
    typed = (
        None
        if match
        else re.search(r"(?i)\b(?:at|from|working at|who work at)\s+(?:the\s+)?([\w&.'-]+(?:\s+[\w&.'-]+){0,3})", text)
    )
    is_typed = False
    if typed:
        kept = []
        for word in typed.group(1).split():
            if fold(word) in NOT_COMPANY:
                break
            kept.append(word)
        if kept and not range_phrase(" ".join(kept), today) and not find_date(" ".join(kept), today):
            is_typed = True
            match = typed
            name = " ".join(kept)
    if not match and not is_typed:
        name = _company_before_type(text, schema) or ""
        is_typed = bool(name)
    if not match and not is_typed:
        return 0
    name = re.sub(r"['’]s$", "", name if is_typed else match.group(1))
    if schema.is_owner_name(name) or schema.stage_in(name) or re.fullmatch(r"(?i)(all|every|each|my|our)", name):
        return 0
    found.company_typed = is_typed
    found.associated_with = {"object_type": "companies", "ref": name}
    words.append(f"at {name}")
    return 1
