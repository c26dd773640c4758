"""Clause by clause, what the user asked for, as tool calls (``Action``s).

Arguments may hold ``@@N``: "the handle that action N returns" (a record created earlier in this
message). Anything not understood is reported back with a suggested phrasing; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crm_agent.agent.planner.schema import Schema
from crm_agent.agent.planner.sets import parse_set
from crm_agent.agent.planner.text import Person, name_case, parse_people
from crm_agent.agent.planner.values import find_amount, find_date, find_email, find_phone
from crm_agent.crm.values import fold

Lookup = Callable[[str, str], Awaitable[bool]]
SYM = "@@"
GROUP_WORDS = (
    r"(?:all three|all four|all five|all two|all of them|both of them|both|each of them|all of those|"
    r"those|these|them|they|everyone|all these contacts|all those contacts)"
)
SINGLE_WORDS = r"(?:him|her|he|she|his|hers|its|it|this contact|that contact|this person|that person)"
EXAMPLES = (
    '"Create a contact for Ann Lee (ann@acme.com)", "Update Ann\'s phone to 555-010-2000", '
    '"Create a $5k deal for Ann closing 11/30", "Mark the Acme deal as won", '
    '"How many open deals does Raj have?"'
)


@dataclass
class Action:
    """A tool call to make; ``needs`` are the indices of actions whose handles its arguments use."""

    tool: str
    args: dict[str, Any]
    needs: list[int] = field(default_factory=list)
    read: bool = False
    question: str | None = None
    subject: str = ""


@dataclass
class Interpreter:
    """Interprets the clauses of one message against the CRM's schema and the conversation so far."""

    schema: Schema
    today: date
    context: dict[str, Any]
    lookup: Lookup
    actions: list[Action] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    people: dict[str, int] = field(default_factory=dict)
    group: list[str] = field(default_factory=list)
    last: dict[str, str] = field(default_factory=dict)

    def _add(self, action: Action) -> int:
        action.needs = sorted({int(v[2:]) for v in _strings(action.args) if v.startswith(SYM)})
        self.actions.append(action)
        return len(self.actions) - 1

    # references ---------------------------------------------------------------------------
    def _context_group(self) -> list[str]:
        group = self.context.get("last_group") or {}
        return [str(i) for i in group.get("ids", [])] if group.get("type") == "contacts" else []

    def _last_single(self, type_name: str = "contacts") -> str | None:
        if type_name in self.last:
            return self.last[type_name]
        for item in reversed(self.context.get("entities", [])):
            if item.get("type") == type_name:
                return str(item["id"])
        return None

    def refs(self, text: str, type_name: str = "contacts") -> list[str]:
        """The records a phrase names: pronouns, groups ("all three"), names created in this message, or
        the phrase itself for the tools to resolve."""
        phrase = re.sub(r"['’]s$", "", text.strip(" ,.?!")).strip()
        phrase = re.sub(r"^(?:the|a|an|our|my)\s+", "", phrase, flags=re.IGNORECASE)
        low = phrase.lower()
        if re.fullmatch(GROUP_WORDS, low):
            return self.group or self._context_group()
        if re.fullmatch(SINGLE_WORDS, low):
            single = self._last_single(type_name)
            return [single] if single else []
        names = [n for n in re.split(r"\s*(?:,|\band\b|&)\s*", phrase) if n]
        if len(names) > 1 and all(len(n.split()) <= 3 for n in names):
            return [r for n in names for r in self.refs(n, type_name)]
        key = fold(phrase)
        if type_name == "contacts" and key in self.people:
            return [f"{SYM}{self.people[key]}"]
        return [phrase] if phrase else []

    def _remember_person(self, person: Person, index: int) -> None:
        for key in (person.first, person.full, person.email or ""):
            if key:
                self.people[fold(key)] = index

    # dispatch -----------------------------------------------------------------------------
    async def interpret(self, clause: str) -> None:
        """Turn one clause into actions (or record it as not understood)."""
        text = clause.strip()
        for handler in (
            self._create,
            self._archive,
            self._reassign,
            self._stage_move,
            self._note,
            self._task,
            self._associate,
            self._update,
            self._status_change,
            self._question,
        ):
            if await handler(text):
                return
        self.unknown.append(text)

    # creates ------------------------------------------------------------------------------
    async def _create(self, text: str) -> bool:
        match = re.match(
            r"(?i)^(?:please\s+)?(?:can you\s+)?(?:create|add|make|set ?up|enter|register|log|open|"
            r"put in|insert|new)\s+(?:a\s+|an\s+|some\s+|two\s+|three\s+)?(?:new\s+)?(.*)$",
            text,
        )
        if not match:
            match = re.match(r"(?i)^new\s+(.*)$", text)
        if not match:
            return False
        rest = match.group(1)
        kind = re.match(
            r"(?i)(contacts?|leads?|people|persons?|customers?|prospects?|companies|company|"
            r"accounts?|deals?|opportunit(?:y|ies)|opps?)\b\s*(?:for|named|called|:|-|with)?\s*(.*)$",
            rest,
        )
        if kind:
            word, body = kind.group(1).lower(), kind.group(2)
        else:
            amount_first = re.match(r"(?i)^(\S*\d\S*)\s+(deal|opportunity)\b\s*(.*)$", rest)
            if amount_first:
                word, body = "deal", f"{amount_first.group(3)} worth {amount_first.group(1)}"
            else:
                as_contact = re.match(
                    r"(?i)^(.+?)\s+(?:as\s+(?:a\s+)?(?:new\s+)?(contact|lead|customer)s?|"
                    r"to (?:the )?crm)$",
                    rest,
                )
                if not as_contact:
                    return False
                word, body = (as_contact.group(2) or "contact").lower(), as_contact.group(1)
        if word.startswith(("compan", "account")):
            return self._create_company(body)
        if word.startswith(("deal", "opp")):
            return await self._create_deals(body)
        lifecycle = {"lead": "lead", "leads": "lead", "customer": "customer", "customers": "customer"}.get(word)
        return self._create_contacts(body, lifecycle)

    def _create_contacts(self, body: str, lifecycle: str | None) -> bool:
        people = parse_people(body)
        if not people:
            return False
        self.group = []
        for person in people:
            props: dict[str, Any] = {"firstname": person.first}
            if person.last:
                props["lastname"] = person.last
            if person.email:
                props["email"] = person.email
            if person.phone:
                props["phone"] = person.phone
            if person.company:
                props["company"] = person.company
            if person.jobtitle:
                props["jobtitle"] = person.jobtitle
            if lifecycle:
                props["lifecyclestage"] = lifecycle
            index = self._add(
                Action("create_record", {"object_type_name": "contacts", "properties": props}, subject=person.full)
            )
            self._remember_person(person, index)
            self.group.append(f"{SYM}{index}")
            self.last["contacts"] = f"{SYM}{index}"
        return True

    def _create_company(self, body: str) -> bool:
        props: dict[str, Any] = {}
        domain = re.search(r"\b((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", body, re.I)
        name_part = body
        if domain:
            props["domain"] = domain.group(1)
            name_part = body[: domain.start()] + body[domain.end() :]
        for prop, pattern in (
            ("industry", r"\b(?:in|industry:?)\s+(?:the\s+)?([\w &-]+?)\s+(?:industry|sector)\b"),
            ("city", r"\b(?:based in|located in|in)\s+([A-Z][\w .'-]+?)(?:,|$|\s+with|\s+and)"),
            ("numberofemployees", r"\b(\d[\d,]*)\s+(?:employees|people|staff)\b"),
        ):
            hit = re.search(pattern, name_part)
            if hit:
                props[prop] = hit.group(1).replace(",", "").strip()
                name_part = name_part[: hit.start()] + name_part[hit.end() :]
        name = re.sub(r"(?i)\b(?:called|named|with|domain|website|url)\b|[(),:]", " ", name_part)
        name = re.sub(r"\s+", " ", name).strip(" .-")
        if not name and domain:
            name = domain.group(1).split(".")[-2].capitalize()
        if not name:
            return False
        props["name"] = name_case(name)
        index = self._add(
            Action("create_record", {"object_type_name": "companies", "properties": props}, subject=props["name"])
        )
        self.last["companies"] = f"{SYM}{index}"
        self.people[fold(props["name"])] = index
        return True

    async def _create_deals(self, body: str) -> bool:
        props: dict[str, Any] = {}
        amount = find_amount(body)
        work = body
        if amount:
            props["amount"] = str(amount[0])
            if amount[1]:
                props["deal_currency_code"] = amount[1]
            work = work[: amount[2][0]] + " " + work[amount[2][1] :]
        when = re.search(
            r"(?i)\b(?:clos(?:ing|es|e date)?|close by|expected to close|due|by)\s+(?:on\s+)?(.+?)"
            r"(?=\s+(?:in|at|with|for|worth|stage|owned)\b|,|$)",
            work,
        )
        if when:
            hit = find_date(when.group(1), self.today)
            if hit:
                props["closedate"] = hit[0].isoformat()
                work = work[: when.start()] + " " + work[when.end() :]
        stage = re.search(r"(?i)\b(?:in|at|stage)\s+(?:the\s+)?(.+?)(?:\s+stage)?(?=,|$|\s+(?:for|with|owned))", work)
        if stage and self.schema.stage_in(stage.group(1)):
            props["dealstage"] = self.schema.stage_in(stage.group(1))[0]  # type: ignore[index]
            work = work[: stage.start()] + " " + work[stage.end() :]
        owner = re.search(r"(?i)\b(?:owned by|owner|assigned to)\s+(\w+(?: \w+)?)", work)
        if owner and self.schema.owner_in(owner.group(1)):
            props["hubspot_owner_id"] = self.schema.owner_in(owner.group(1))[0].email  # type: ignore[index]
            work = work[: owner.start()] + " " + work[owner.end() :]
        named = re.search(r"(?i)\b(?:called|named|titled)\s+[\"']?([^\"',]+)[\"']?", work)
        if named:
            props["dealname"] = named.group(1).strip()
            work = work[: named.start()] + " " + work[named.end() :]
        work = re.sub(
            r"(?i)\b(worth|valued at|value|amount|of|for|with|a|an|the|at|each|apiece|per person|new)\b", " ", work
        )
        who = re.sub(r"\s+", " ", work).strip(" ,.-")
        targets = self.refs(who) if who else []
        if not targets and not props.get("dealname"):
            return False
        if not targets:
            self._add(
                Action("create_record", {"object_type_name": "deals", "properties": props}, subject=props["dealname"])
            )
            return True
        company_ref = None
        if (
            (
                who
                and not re.fullmatch(GROUP_WORDS + "|" + SINGLE_WORDS, who.lower())
                and len(targets) == 1
                and not targets[0].startswith(SYM)
                and not targets[0].isdigit()
            )
            and not await self.lookup("contacts", targets[0])
            and await self.lookup("companies", targets[0])
        ):
            company_ref = targets[0]
        for target in targets:
            deal = dict(props)
            if company_ref:
                deal.setdefault("dealname", f"{company_ref} deal")
                assoc = [{"object_type": "companies", "ref": company_ref}]
            else:
                subject = self._subject(target)
                deal.setdefault("dealname", f"{subject} deal")
                assoc = [{"object_type": "contacts", "ref": target}]
            self._add(
                Action(
                    "create_record",
                    {"object_type_name": "deals", "properties": deal, "associations": assoc},
                    subject=deal["dealname"],
                )
            )
        return True

    def _subject(self, ref: str) -> str:
        if ref.startswith(SYM):
            return self.actions[int(ref[2:])].subject
        for item in self.context.get("entities", []):
            if str(item.get("id")) == ref:
                return item.get("name") or ref
        return name_case(ref)

    # archive ------------------------------------------------------------------------------
    async def _archive(self, text: str) -> bool:
        match = re.match(
            r"(?i)^(?:please\s+)?(?:delete|remove|archive|drop|get rid of|trash)\s+(.+?)"
            r"(?:\s+from (?:the )?crm)?$",
            text,
        )
        no_longer = re.match(
            r"(?i)^(.+?)\s+(?:is|are)\s+no longer\s+(?:a |an |our )?(?:customers?|clients?|"
            r"with us|relevant|needed)\b",
            text,
        )
        if not match and not no_longer:
            return False
        target = (match or no_longer).group(1)  # type: ignore[union-attr]
        return await self._apply_to(target, None, archive=True)

    async def _apply_to(
        self, target: str, properties: dict[str, Any] | None, archive: bool = False, type_hint: str | None = None
    ) -> bool:
        """Archive or update the record(s) or set ``target`` names."""
        is_set = re.search(r"(?i)\b(all|every|each|any)\b", target) and not re.search(GROUP_WORDS, target.lower())
        type_name = type_hint or self.schema.object_type_in(target)
        if is_set or (
            type_name
            and re.search(r"(?i)\b(contacts|deals|companies|leads|customers|tasks|notes)\b", target)
            and not re.search(GROUP_WORDS, target.lower())
        ):
            parsed = parse_set(target, self.schema, self.today, type_name or "contacts")
            if parsed is None:
                return False
            args: dict[str, Any] = {"records": parsed.to_arg(), "description": parsed.describe()}
            if archive:
                self._add(Action("archive_records", args, subject=parsed.describe()))
            else:
                self._add(Action("update_records", {**args, "properties": properties}, subject=parsed.describe()))
            return True
        name = re.sub(r"(?i)\b(the|contact|company|deal|account|record)\b", " ", target).strip()
        name = re.sub(r"\s+", " ", name)
        type_name = type_name if type_name in {"contacts", "companies", "deals", "tasks", "notes"} else None
        if type_name is None:
            type_name = await self._guess_type(name)
        refs = self.refs(name, type_name)
        if not refs:
            return False
        for ref in refs:
            if archive:
                self._add(Action("archive_record", {"object_type_name": type_name, "ref": ref}))
            else:
                self._add(
                    Action("update_record", {"object_type_name": type_name, "ref": ref, "properties": properties})
                )
            if type_name == "contacts":
                self.last["contacts"] = ref
        return True

    async def _guess_type(self, name: str) -> str:
        for type_name in ("contacts", "companies", "deals"):
            if fold(name) in self.people or re.fullmatch(SINGLE_WORDS + "|" + GROUP_WORDS, name.lower()):
                return "contacts"
            if await self.lookup(type_name, name):
                return type_name
        return "contacts"

    # owners -------------------------------------------------------------------------------
    async def _reassign(self, text: str) -> bool:
        patterns = [
            (
                r"(?i)^(?P<owner>.+?)\s+(?:is|will be)\s+(?:taking over|takes over|now owns|owning|handling|"
                r"covering)\s+(?P<target>.+)$",
                None,
            ),
            (r"(?i)^(?P<owner>.+?)\s+(?:takes|took)\s+over\s+(?P<target>.+)$", None),
            (
                r"(?i)^(?:re-?assign|assign|transfer|hand(?:\s+over)?|give|move|switch)\s+(?P<target>.+?)\s+"
                r"(?:over\s+)?to\s+(?P<owner>.+)$",
                None,
            ),
            (
                r"(?i)^(?:make|set)\s+(?P<owner>.+?)\s+(?:the|as)\s+(?:new\s+)?owner\s+(?:of|for)\s+(?P<target>.+)$",
                None,
            ),
            (
                r"(?i)^(?:change|update|set)\s+(?:the\s+)?owner\s+(?:of|for)\s+(?P<target>.+?)\s+to\s+(?P<owner>.+)$",
                None,
            ),
            (r"(?i)^(?:change|update|set)\s+(?P<target>.+?)['’]s\s+owner\s+to\s+(?P<owner>.+)$", None),
        ]
        for pattern, _ in patterns:
            match = re.match(pattern, text)
            if not match:
                continue
            owner_hit = self.schema.owner_in(match.group("owner"))
            if not owner_hit or len(match.group("owner").split()) > 3:
                continue
            owner = owner_hit[0]
            target = match.group("target").strip(" .")
            props = {"hubspot_owner_id": owner.email}
            previous = self.schema.owner_in(target)
            bare = re.sub(r"(?i)['’]s\b|\b(all|of|accounts?|records?|book|portfolio|everything)\b", " ", target)
            if previous and fold(bare).strip() in {
                fold(previous[0].firstName),
                fold(f"{previous[0].firstName} {previous[0].lastName}"),
            }:
                for type_name in ("contacts", "companies", "deals"):
                    records = {
                        "object_type": type_name,
                        "filter_groups": [
                            [{"property": "hubspot_owner_id", "operator": "EQ", "value": previous[0].email}]
                        ],
                    }
                    self._add(
                        Action(
                            "update_records",
                            {
                                "records": records,
                                "properties": props,
                                "description": f"owned by {previous[0].firstName}",
                            },
                        )
                    )
                return True
            return await self._apply_to(target, props)
        return False

    # deal stages and statuses ---------------------------------------------------------------
    async def _stage_move(self, text: str) -> bool:
        patterns = [
            r"(?i)^(?:mark|set|move|update|change|put|switch)\s+(?P<deal>.+?)\s+(?:as|to|into|in|=)\s+"
            r"(?P<stage>.+)$",
            r"(?i)^(?P<deal>.+?\bdeal)\s+(?:is|was|has been|got|moved to|is now|went to)\s+(?P<stage>.+)$",
            r"(?i)^(?:we|i|they)\s+(?P<stage>won|lost|closed)\s+(?P<deal>.+?)(?:\s+deal)?$",
            r"(?i)^close\s+(?P<deal>.+?)(?:\s+as\s+(?P<stage>won|lost))?$",
        ]
        for pattern in patterns:
            match = re.match(pattern, text)
            if not match:
                continue
            deal = match.group("deal")
            stage_text = match.groupdict().get("stage") or "won"
            stage_text = re.sub(r"(?i)^(?:the\s+)?|(?:\s+stage)$", "", stage_text.strip(" .!"))
            hit = self.schema.stage_in(stage_text)
            if not hit or (fold(stage_text) not in _stage_words(self.schema, hit[0]) and len(stage_text.split()) > 4):
                continue
            is_deal = re.search(r"(?i)\bdeals?\b|\bopportunit", deal) or await self.lookup("deals", deal)
            if not is_deal:
                continue
            return await self._apply_to(deal, {"dealstage": hit[0]}, type_hint="deals")
        return False

    async def _status_change(self, text: str) -> bool:
        match = re.match(
            r"(?i)^(?:mark|set|make|move|change|update)?\s*(?P<who>.+?)\s+(?:has\s+)?(?:moved|moves|"
            r"is now|became|becomes|is|are|are now|has become|to|as)\s+(?:to\s+|a\s+|an\s+|now\s+)*"
            r"(?P<status>[\w -]+?)\.?$",
            text,
        )
        if not match:
            return False
        status = match.group("status")
        lifecycle = self.schema.option_in("contacts", "lifecyclestage", status)
        lead = self.schema.option_in("contacts", "hs_lead_status", status)
        if lead and lifecycle and fold(status) in {"qualified"}:
            lead = None
        if not lead and not lifecycle:
            return False
        exact_len = len(status.split())
        if exact_len > 4:
            return False
        props = (
            {"hs_lead_status": lead}
            if lead and (not lifecycle or (len(lead) > 0 and fold(status) in _lead_words(lead)))
            else {"lifecyclestage": lifecycle}
        )
        who = re.sub(r"(?i)^(?:mark|set|make|move|change|update)\s+", "", match.group("who"))
        return await self._apply_to(
            who, props, type_hint=None if re.search(r"(?i)\b(all|every)\b", who) else "contacts"
        )

    # engagements --------------------------------------------------------------------------
    async def _note(self, text: str) -> bool:
        match = re.match(
            r"(?i)^(?:add|log|create|make|leave|write|put|attach|save)?\s*(?:a\s+)?note\s+(?:to|on|for|"
            r"about|against)\s+(?P<who>.+?)\s*(?::|saying|that says|that|-|—|,)\s*(?P<body>.+)$",
            text,
        )
        if not match:
            return False
        body = match.group("body").strip().strip("\"'")
        who = match.group("who")
        type_name = self.schema.object_type_in(who)
        type_name = (
            type_name
            if type_name in {"contacts", "companies", "deals"}
            else await self._guess_type(re.sub(r"(?i)\b(the|deal|company|contact)\b", "", who).strip())
        )
        refs = self.refs(re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", who).strip(), type_name)
        if not refs:
            return False
        for ref in refs:
            self._add(
                Action(
                    "create_record",
                    {
                        "object_type_name": "notes",
                        "properties": {"hs_note_body": body, "hs_timestamp": self.today.isoformat()},
                        "associations": [{"object_type": type_name, "ref": ref}],
                    },
                )
            )
        return True

    async def _task(self, text: str) -> bool:
        match = re.match(
            r"(?i)^(?:please\s+)?(?:create|add|set|make|schedule|log)\s+(?:a\s+)?(?:new\s+)?"
            r"(?:task|reminder|to-?do|follow[- ]up(?: task)?)\s+(?:to|for|:)?\s*(?P<body>.+)$",
            text,
        )
        remind = re.match(r"(?i)^remind\s+(?:me|us)\s+to\s+(?P<body>.+)$", text)
        match = match or remind
        if not match:
            return False
        body = match.group("body")
        props: dict[str, Any] = {"hs_task_status": "NOT_STARTED"}
        due = re.search(
            r"(?i)\s*\b(?:due|by|on|for|before|at)?\s*((?:next|this|coming)?\s*\w+(?:\s+\d{1,2}"
            r"(?:st|nd|rd|th)?)?(?:/\d{1,2}(?:/\d{2,4})?)?|in \w+ \w+|end of \w+(?: \w+)?)\s*$",
            body,
        )
        if due and find_date(due.group(1), self.today):
            props["hs_timestamp"] = find_date(due.group(1), self.today)[0].isoformat()  # type: ignore[index]
            body = body[: due.start()]
        else:
            hit = find_date(body, self.today)
            if hit:
                props["hs_timestamp"] = hit[0].isoformat()
                body = body[: hit[1][0]] + body[hit[1][1] :]
                body = re.sub(r"(?i)\s+\b(due|by|on|for|before)\s*$", "", body.strip())
        priority = re.search(
            r"(?i)\b(high|low|medium)\s+priority\b|\bpriority\s+(high|low|medium)\b|\b(urgent)\b", body
        )
        if priority:
            word = (priority.group(1) or priority.group(2) or "high").upper()
            props["hs_task_priority"] = "HIGH" if word == "URGENT" else word
            body = body[: priority.start()] + body[priority.end() :]
        body = re.sub(r"\s+", " ", body).strip(" ,.-")
        if not body:
            return False
        lowered = body.lower()
        props["hs_task_type"] = (
            "CALL"
            if re.match(r"(call|phone|ring)\b", lowered)
            else ("EMAIL" if re.match(r"(email|e-mail|send)\b", lowered) else "TODO")
        )
        props["hs_task_subject"] = body[0].upper() + body[1:]
        assoc = []
        who = re.search(
            r"(?i)\b(?:call|email|e-mail|ring|phone|follow up with|check in with|meet|ping|send)\s+"
            r"(?P<who>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?|him|her|them)",
            body,
        )
        if who:
            ref = self.refs(who.group("who"))
            if ref and (ref[0].startswith(SYM) or ref[0].isdigit() or await self.lookup("contacts", ref[0])):
                assoc.append({"object_type": "contacts", "ref": ref[0]})
        args: dict[str, Any] = {"object_type_name": "tasks", "properties": props}
        if assoc:
            args["associations"] = assoc
        self._add(Action("create_record", args, subject=props["hs_task_subject"]))
        return True

    async def _associate(self, text: str) -> bool:
        match = re.match(r"(?i)^(?:link|associate|connect|attach|add)\s+(?P<a>.+?)\s+(?:to|with)\s+(?P<b>.+)$", text)
        works = re.match(r"(?i)^(?P<a>.+?)\s+(?:works at|works for|is at|is with|joined)\s+(?P<b>.+)$", text)
        match = match or works
        if not match:
            return False
        a_text, b_text = match.group("a").strip(), match.group("b").strip(" .")
        b_type = self.schema.object_type_in(b_text)
        a_type = self.schema.object_type_in(a_text)
        a_clean = re.sub(r"(?i)\b(the|contact|company|deal|account)\b", " ", a_text).strip()
        b_clean = re.sub(r"(?i)\b(the|contact|company|deal|account)\b", " ", b_text).strip()
        a_type = a_type if a_type in {"contacts", "companies", "deals"} else await self._guess_type(a_clean)
        b_type = (
            b_type
            if b_type in {"contacts", "companies", "deals"}
            else ("companies" if works or await self.lookup("companies", b_clean) else await self._guess_type(b_clean))
        )
        if a_type == b_type:
            return False
        a_refs, b_refs = self.refs(a_clean, a_type), self.refs(b_clean, b_type)
        if not a_refs or not b_refs:
            return False
        for a in a_refs:
            self._add(
                Action(
                    "associate_records",
                    {
                        "record": {"object_type": a_type, "ref": a},
                        "to": {"object_type": b_type, "ref": b_refs[0], "primary": b_type == "companies"},
                    },
                )
            )
        return True

    # updates ------------------------------------------------------------------------------
    async def _update(self, text: str) -> bool:
        patterns = [
            r"(?i)^(?:please\s+)?(?:update|change|set|edit|correct|fix)\s+(?P<who>his|her|their|its)\s+"
            r"(?P<prop>[\w -]+?)\s+(?:to|=|:|as)\s+(?P<value>.+)$",
            r"(?i)^(?:please\s+)?(?:update|change|set|edit|make|correct|fix)\s+(?P<who>.+?)['’]s?\s+(?P<prop>[\w -]+?)"
            r"\s+(?:to|=|:|as)\s+(?P<value>.+)$",
            r"(?i)^(?:please\s+)?(?:update|change|set|edit|correct|fix)\s+(?:the\s+)?(?P<prop>[\w -]+?)\s+(?:of|for|on)"
            r"\s+(?P<who>.+?)\s+(?:to|=|as)\s+(?P<value>.+)$",
            r"(?i)^(?P<who>[\w .'-]+?)['’]s\s+(?:new\s+)?(?P<prop>[\w -]+?)\s+(?:is now|is|should be|changed to)\s+"
            r"(?P<value>.+)$",
            r"(?i)^(?:please\s+)?(?:update|change|edit)\s+(?P<who>.+?)\s*(?::|with|-)\s*(?P<pairs>.+)$",
        ]
        for pattern in patterns:
            match = re.match(pattern, text)
            if not match:
                continue
            who = match.group("who").strip()
            if "pairs" in match.groupdict() and match.group("pairs"):
                pairs = re.split(r"\s*(?:,|\band\b|;)\s*", match.group("pairs"))
                parsed = [re.match(r"(?i)(?:new\s+)?([\w -]+?)\s*(?:to|=|:|is|\s)\s*(.+)$", p.strip()) for p in pairs]
                if not all(parsed):
                    continue
                items = [(m.group(1), m.group(2)) for m in parsed if m]
            else:
                items = [(match.group("prop"), match.group("value"))]
            type_name = self.schema.object_type_in(who)
            type_name = type_name if type_name in {"contacts", "companies", "deals", "tasks"} else None
            props, type_name = self._values(items, type_name, who)
            if props is None:
                continue
            if type_name is None:
                type_name = await self._guess_type(re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", who).strip())
            return await self._apply_to(who, props, type_hint=type_name)
        return False

    def _values(
        self, items: list[tuple[str, str]], type_name: str | None, who: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        props: dict[str, Any] = {}
        for prop_words, raw in items:
            candidates = [type_name] if type_name else ["contacts", "deals", "companies"]
            if type_name is None and re.search(r"(?i)\bdeal\b", who):
                candidates = ["deals"]
            chosen = None
            for candidate in candidates:
                name = self.schema.property_named(candidate, prop_words)
                if name:
                    chosen = (candidate, name)
                    break
            if chosen is None:
                return None, type_name
            type_name = chosen[0]
            value = self._value(type_name, chosen[1], raw.strip().strip(".\"'"))
            if value is None:
                return None, type_name
            props[chosen[1]] = value
        return props, type_name

    def _value(self, type_name: str, prop: str, raw: str) -> Any:
        defn = self.schema.properties.get(type_name, {}).get(prop)
        if prop == "phone":
            return find_phone(raw) or raw
        if prop == "email":
            return find_email(raw) or raw
        if prop in {"amount", "annualrevenue"}:
            hit = find_amount(raw) or find_amount(f"${raw}")
            return str(hit[0]) if hit else raw
        if prop == "dealstage":
            hit = self.schema.stage_in(raw)
            return hit[0] if hit else raw
        if prop == "hubspot_owner_id":
            hit = self.schema.owner_in(raw)
            return hit[0].email if hit else raw
        if defn is not None and defn.type in {"date", "datetime"}:
            hit = find_date(raw, self.today)
            return hit[0].isoformat() if hit else raw
        if defn is not None and defn.type == "enumeration":
            return self.schema.option_in(type_name, prop, raw) or raw
        return raw

    # questions ----------------------------------------------------------------------------
    async def _question(self, text: str) -> bool:
        t = text.strip().rstrip("?").strip()
        low = fold(t)
        field_q = re.match(
            r"(?i)^(?:what(?:'s| is)|whats|tell me|give me|show me|get)\s+(?P<who>.+?)['’]s\s+"
            r"(?P<prop>[\w -]+)$",
            t,
        )
        if field_q:
            return await self._field_question(field_q.group("who"), field_q.group("prop"))
        owner_q = re.match(r"(?i)^who\s+(?:owns|is the owner of|handles|is responsible for)\s+(?P<who>.+)$", t)
        if owner_q:
            return await self._field_question(owner_q.group("who"), "owner")
        stage_q = re.match(r"(?i)^(?:what|which)\s+stage\s+is\s+(?P<who>.+?)\s+(?:in|at)$", t)
        if stage_q:
            return await self._field_question(stage_q.group("who"), "stage")
        summing = re.search(
            r"\b(total|sum|combined|how much|pipeline value|worth|average|avg|biggest|largest|"
            r"smallest)\b",
            low,
        )
        counting = re.search(r"\b(how many|count|number of)\b", low)
        listing = re.match(
            r"(?i)^(?:show|list|find|get|give|display|pull up|look up|search|who|which|what|any|do we|"
            r"are there|see)\b",
            t,
        )
        if not (summing or counting or listing):
            return False
        set_text = re.sub(
            r"(?i)^(?:show|list|find|get|give|display|pull up|look up|search(?: for)?|who are|which|"
            r"what are|what is|what's|see)\s+(?:me\s+)?(?:all\s+(?:of\s+)?|the\s+|our\s+|my\s+)?",
            "",
            t,
        )
        parsed = parse_set(set_text, self.schema, self.today, self.schema.object_type_in(set_text) or "contacts")
        if parsed is None:
            return False
        records = parsed.to_arg()
        description = parsed.describe()
        if summing and parsed.object_type in {"deals", "companies"}:
            function = (
                "avg"
                if re.search(r"\b(average|avg)\b", low)
                else ("max" if re.search(r"\b(biggest|largest)\b", low) else "min" if "smallest" in low else "sum")
            )
            prop = "amount" if parsed.object_type == "deals" else "annualrevenue"
            self._add(
                Action(
                    "summarize_records",
                    {"records": records, "function": function, "property": prop},
                    read=True,
                    question=description,
                )
            )
            return True
        if counting:
            self._add(
                Action("summarize_records", {"records": records, "function": "count"}, read=True, question=description)
            )
            return True
        self._add(Action("search_records", {"records": records, "limit": 50}, read=True, question=description))
        return True

    async def _field_question(self, who: str, prop_words: str) -> bool:
        name = re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", who).strip()
        type_name = self.schema.object_type_in(who)
        type_name = type_name if type_name in {"contacts", "companies", "deals"} else await self._guess_type(name)
        prop = self.schema.property_named(type_name, prop_words)
        if prop is None:
            return False
        refs = self.refs(name, type_name)
        if not refs or refs[0].startswith(SYM):
            return False
        self._add(
            Action(
                "get_record", {"object_type_name": type_name, "ref": refs[0]}, read=True, question=prop, subject=name
            )
        )
        return True


def _stage_words(schema: Schema, stage_id: str) -> set[str]:
    from crm_agent.agent.planner.schema import STAGE_SYNONYMS

    return {fold(schema.stage_label(stage_id)), stage_id, *STAGE_SYNONYMS.get(stage_id, [])}


def _lead_words(value: str) -> set[str]:
    from crm_agent.agent.planner.schema import LEAD_STATUS_SYNONYMS

    return {*LEAD_STATUS_SYNONYMS.get(value, []), value.lower().replace("_", " ")}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
