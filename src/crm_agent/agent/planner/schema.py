"""What the planner knows about this CRM: owners, deal stages, properties and their options, plus the
words salespeople use for them ("won" for closedwon, "SQL" for salesqualifiedlead, "title" for jobtitle).

Synonyms for HubSpot's default values follow HubSpot's own labels and common sales usage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import OwnerRecord, PipelineRecord
from crm_agent.crm.values import fold

OBJECT_WORDS = {
    "contacts": [
        "contacts",
        "contact",
        "people",
        "person",
        "leads",
        "lead",
        "customers",
        "customer",
        "prospects",
        "prospect",
        "clients",
        "client",
    ],
    "companies": [
        "companies",
        "company",
        "accounts",
        "account",
        "organisations",
        "organizations",
        "organization",
        "businesses",
        "business",
        "firms",
        "firm",
    ],
    "deals": ["deals", "deal", "opportunities", "opportunity", "opps", "opp"],
    "tasks": ["tasks", "task", "to-dos", "todos", "todo", "reminders", "reminder", "follow-ups", "follow ups"],
    "notes": ["notes", "note"],
    "meetings": ["meetings", "meeting"],
}
STAGE_SYNONYMS = {
    "closedwon": ["won", "closed won", "closed-won", "win", "signed", "closed"],
    "closedlost": ["lost", "closed lost", "closed-lost", "dead", "a loss", "loss"],
    "appointmentscheduled": ["appointment", "appointment scheduled", "meeting scheduled"],
    "qualifiedtobuy": ["qualified to buy", "qualified"],
    "presentationscheduled": ["presentation", "presentation scheduled", "demo scheduled", "demo"],
    "decisionmakerboughtin": [
        "decision maker bought in",
        "decision maker bought-in",
        "bought in",
        "dmbi",
        "decision maker",
    ],
    "contractsent": ["contract sent", "proposal sent", "sent the contract", "sent contract"],
}
LIFECYCLE_SYNONYMS = {
    "subscriber": ["subscriber"],
    "lead": ["lead"],
    "marketingqualifiedlead": ["mql", "marketing qualified", "marketing qualified lead"],
    "salesqualifiedlead": ["sql", "sales qualified", "sales qualified lead", "qualified", "qualified lead"],
    "opportunity": ["opportunity", "opp"],
    "customer": ["customer", "client", "paying customer"],
    "evangelist": ["evangelist", "advocate", "champion"],
    "other": ["other"],
}
LEAD_STATUS_SYNONYMS = {
    "NEW": ["new"],
    "OPEN": ["open"],
    "IN_PROGRESS": ["in progress", "working"],
    "OPEN_DEAL": ["open deal"],
    "UNQUALIFIED": ["unqualified", "not qualified", "disqualified"],
    "ATTEMPTED_TO_CONTACT": ["attempted to contact", "attempted", "tried to contact", "no answer"],
    "CONNECTED": ["connected", "spoke", "talked"],
    "BAD_TIMING": ["bad timing", "not now"],
}
PROPERTY_SYNONYMS = {
    "contacts": {
        "phone": [
            "phone number",
            "phone",
            "number",
            "mobile",
            "cell",
            "tel",
            "telephone",
            "direct line",
            "direct number",
            "direct dial",
            "line",
            "work phone",
            "office phone",
            "cell number",
            "mobile number",
        ],
        "email": ["email address", "email", "e-mail", "mail"],
        "jobtitle": ["job title", "title", "role", "position", "jobtitle"],
        "company": ["company name", "company", "employer"],
        "firstname": ["first name", "firstname"],
        "lastname": ["last name", "lastname", "surname"],
        "hs_lead_status": ["lead status", "status"],
        "lifecyclestage": ["lifecycle stage", "lifecycle", "stage"],
        "hubspot_owner_id": ["owner", "contact owner", "rep", "account owner"],
    },
    "companies": {
        "domain": ["domain", "website", "web site", "url"],
        "industry": ["industry", "sector", "vertical"],
        "city": ["city", "location", "town"],
        "country": ["country"],
        "phone": ["phone number", "phone"],
        "numberofemployees": ["employees", "headcount", "number of employees", "size"],
        "annualrevenue": ["annual revenue", "revenue"],
        "name": ["name", "company name"],
        "hubspot_owner_id": ["owner", "account owner", "company owner", "rep"],
        "lifecyclestage": ["lifecycle stage", "lifecycle", "stage"],
    },
    "deals": {
        "amount": ["amount", "value", "deal size", "size", "price", "worth"],
        "closedate": ["close date", "closing date", "closedate", "expected close"],
        "dealstage": ["stage", "deal stage", "status"],
        "dealname": ["name", "deal name", "title"],
        "hs_priority": ["priority"],
        "hubspot_owner_id": ["owner", "deal owner", "rep"],
    },
    "tasks": {
        "hs_task_status": ["status"],
        "hs_task_priority": ["priority"],
        "hs_timestamp": ["due date", "due"],
        "hs_task_subject": ["title", "subject", "name"],
    },
}


def spaced(text: str) -> str:
    """``text`` with runs of hyphens, underscores and spaces as one space."""
    return re.sub(r"[-_\s]+", " ", text)


@dataclass
class Schema:
    """The CRM's reference data as the planner needs it."""

    owners: list[OwnerRecord]
    pipelines: list[PipelineRecord]
    properties: dict[str, dict[str, PropertyDef]] = field(default_factory=dict)

    @cached_property
    def _owner_patterns(self) -> list[tuple[OwnerRecord, list[re.Pattern[str]]]]:
        """Per owner, whole-word patterns for the email, the full name and the first name, compiled once."""
        return [
            (
                owner,
                [
                    re.compile(rf"(?<![\w@.]){re.escape(fold(form))}(?![\w@])")
                    for form in (owner.email, f"{owner.firstName} {owner.lastName}", owner.firstName)
                    if form.strip()
                ],
            )
            for owner in self.owners
        ]

    def owner_in(self, text: str) -> tuple[OwnerRecord, tuple[int, int]] | None:
        """The first owner named in ``text`` by email, full name or first name (whole words)."""
        folded = fold(text)
        best: tuple[OwnerRecord, tuple[int, int]] | None = None
        for owner, patterns in self._owner_patterns:
            for pattern in patterns:
                match = pattern.search(folded)
                if match and (best is None or match.start() < best[1][0]):
                    best = (owner, match.span())
                    break
        return best

    def is_owner_name(self, name: str) -> bool:
        """Whether ``name`` is an owner's first name, full name or email."""
        key = fold(name.strip())
        return any(key in {fold(o.firstName), fold(f"{o.firstName} {o.lastName}"), o.email} for o in self.owners)

    @cached_property
    def _stage_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        """(stage id, whole-word pattern) for every id, label and synonym of a stage, longest form first,
        compiled once per request."""
        candidates: list[tuple[str, str]] = []
        for pipeline in self.pipelines:
            for stage in pipeline.stages:
                candidates += [(stage.id, fold(stage.label)), (stage.id, stage.id)]
                candidates += [(stage.id, s) for s in STAGE_SYNONYMS.get(stage.id, [])]
        ordered = sorted(candidates, key=lambda c: -len(c[1]))
        return [(stage_id, re.compile(rf"\b{re.escape(form)}\b")) for stage_id, form in ordered]

    def stage_in(self, text: str) -> tuple[str, tuple[int, int]] | None:
        """The deal stage id a phrase names (by id, label or synonym, "contract-sent" too), longest match first."""
        folded = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", fold(text))
        for stage_id, pattern in self._stage_patterns:
            match = pattern.search(folded)
            if match:
                return stage_id, match.span()
        return None

    def stage_label(self, stage_id: str) -> str:
        """A stage's label ("Contract Sent") from its id."""
        for pipeline in self.pipelines:
            for stage in pipeline.stages:
                if stage.id == stage_id:
                    return stage.label
        return stage_id

    def _option_forms(self, type_name: str, prop: str) -> list[tuple[str, str]]:
        """(value, words) pairs naming each option of ``prop``: value, label and synonyms, longest first."""
        defn = self.properties.get(type_name, {}).get(prop)
        if defn is None:
            return []
        synonyms = {"lifecyclestage": LIFECYCLE_SYNONYMS, "hs_lead_status": LEAD_STATUS_SYNONYMS}.get(prop, {})
        forms = [(v, fold(v)) for v, _ in defn.options] + [(v, fold(lbl)) for v, lbl in defn.options]
        forms += [(v, s) for v, words in synonyms.items() for s in words]
        return sorted({(v, spaced(f)) for v, f in forms}, key=lambda f: -len(f[1]))

    def option_in(self, type_name: str, prop: str, text: str) -> str | None:
        """An enumeration option of ``prop`` named in ``text`` (value, label or synonym), longest first;
        hyphens, underscores and spaces are the same ("multi year" names Multi-year)."""
        folded = spaced(fold(text))
        for value, form in self._option_forms(type_name, prop):
            if re.search(rf"(?<![\w-]){re.escape(form)}(?:s|es)?(?![\w-])", folded):
                return value
        return None

    def option_exact(self, type_name: str, prop: str, text: str) -> str | None:
        """The option of ``prop`` that ``text`` names as a whole ("SQL", "multi year"), else None."""
        folded = spaced(fold(text)).strip(" .!")
        for value, form in self._option_forms(type_name, prop):
            if folded in {form, f"{form}s", f"a {form}", f"an {form}"}:
                return value
        return None

    def options_in(self, type_name: str, prop: str, text: str) -> list[str]:
        """Every option of ``prop`` named in ``text`` ("leads or MQLs" -> lead, marketingqualifiedlead)."""
        found: list[str] = []
        remaining = text
        while True:
            value = self.option_in(type_name, prop, remaining)
            if value is None or value in found:
                return found
            found.append(value)
            defn = self.properties[type_name][prop]
            synonyms = {"lifecyclestage": LIFECYCLE_SYNONYMS, "hs_lead_status": LEAD_STATUS_SYNONYMS}.get(prop, {})
            forms = {fold(value), *(fold(lbl) for v, lbl in defn.options if v == value), *synonyms.get(value, [])}
            for form in sorted(forms, key=len, reverse=True):
                remaining = re.sub(rf"(?i)(?<![\w-]){re.escape(form)}(?:s|es)?(?![\w-])", " ", fold(remaining))

    def property_named(self, type_name: str, words: str) -> str | None:
        """The property a phrase names: synonym, label or internal name (custom properties included)."""
        key = fold(words).strip().strip(".:")
        for prop, forms in PROPERTY_SYNONYMS.get(type_name, {}).items():
            if key in forms:
                return prop
        for name, defn in self.properties.get(type_name, {}).items():
            if key in {fold(defn.label), name, name.replace("_", " ")}:
                return name
        return None

    def object_type_in(self, text: str) -> str | None:
        """The object type a phrase talks about, by its first type word."""
        folded = fold(text)
        best: tuple[int, str] | None = None
        for type_name, words in OBJECT_WORDS.items():
            for word in words:
                match = re.search(rf"\b{re.escape(word)}\b", folded)
                if match and (best is None or match.start() < best[0]):
                    best = (match.start(), type_name)
        return best[1] if best else None
