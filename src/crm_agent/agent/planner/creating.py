"""Requests that create records: contacts (one or a list, or one typed as a field list), companies and
deals (tasks and notes are in :mod:`tasks_notes`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import GROUP_WORDS, QUOTED, SINGLE_WORDS, SYM, Action, unquote
from crm_agent.agent.planner.text import Person, name_case, parse_person, split_list
from crm_agent.agent.planner.values import find_amount, find_date, find_email, find_phone
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_CREATE = re.compile(
    r"(?i)^(?:create|add|make|set ?up|enter|register|log|open|put in|insert|new)\s+"
    r"(?:a\s+|an\s+|some\s+|these\s+|two\s+|three\s+|four\s+|five\s+|\d+\s+|another\s+)?(?:new\s+)?(?P<rest>.*)$"
)
_KIND = re.compile(
    r"(?i)^(?P<word>contacts?|leads?|people|persons?|customers?|prospects?|companies|company|"
    r"accounts?|organi[sz]ations?|deals?|opportunit(?:y|ies)|opps?)\b\s*(?P<sep>for|named|called|:|-|with)?"
    r"\s*(?P<body>.*)$"
)
_CONTACT_ATTR = re.compile(
    r"(?i)^(?:phone(?: number)?|mobile|cell|tel|job title|title|role|email|e-mail|company|"
    r"owner|lead status|status|lifecycle(?: stage)?)\b"
)

_JOB_TITLE = re.compile(
    r"(?i)^(?:(?:senior|sr\.?|junior|jr\.?|head|chief|vp|svp|evp|director|manager|lead|ceo|cto|cfo|coo|cmo|"
    r"founder|co-founder|owner|president|partner|engineer|buyer|analyst|consultant|officer|specialist|"
    r"coordinator|administrator|architect|rep|representative|of|the|and|&)\b|[\w-]+\s+(?:manager|director|lead|"
    r"engineer|buyer|officer|analyst|specialist|coordinator|architect)\b)"
)
_ABOUT = r"(?:~|about\s+|around\s+|approx\.?\s+|roughly\s+|approximately\s+)?"


def _drop(text: str, span: tuple[int, int]) -> str:
    return re.sub(r"\s+", " ", text[: span[0]] + " " + text[span[1] :]).strip()


class CreatingMixin:
    """Creates, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def create(self: Interpreter, text: str) -> bool:
        """``create contacts for ...``, ``add a company ...``, ``new deal ...``, ``add X as a lead``."""
        match = _CREATE.match(text)
        if not match:
            return False
        rest = match.group("rest")
        if re.match(
            r"(?i)^(?:email|e-mail|phone|number|mobile|cell|address|title|job title|role|owner)\b\s*(?:for|of|on)\b",
            rest,
        ):
            return False
        kind = _KIND.match(rest)
        kind_word = None
        if kind:
            word, body = kind.group("word").lower(), kind.group("body")
        else:
            amount_first = re.match(
                r"(?i)^(\S*\d\S*)\s+(?:(?P<desc>(?-i:[a-z][\w-]*))\s+)?(deals?|opportunit(?:y|ies)|opps?)\b\s*(.*)$",
                rest,
            )
            as_company = re.match(
                r"(?i)^(?P<name>.+?)\s+as\s+(?:a\s+|an\s+)?(?:new\s+)?(?:company|account|customer "
                r"company)\b[\s,]*(?P<rest>.*)$",
                rest,
            )
            if as_company:
                return await self.create_company(
                    ", ".join(p for p in (as_company.group("name"), as_company.group("rest")) if p.strip())
                )
            as_contact = re.match(
                r"(?i)^(.+?)\s*,?\s+(?:as\s+(?:a\s+|an\s+)?(?:new\s+)?(contact|lead|customer)s?\b"
                r"(.*)|to (?:the )?crm)$",
                rest,
            )
            if amount_first:
                word, body = "deal", f"{amount_first.group(4)} worth {amount_first.group(1)}"
                kind_word = amount_first.group("desc")
            elif as_contact:
                word = (as_contact.group(2) or "contact").lower()
                body = as_contact.group(1) + (f" {as_contact.group(3)}" if as_contact.group(3) else "")
            elif find_email(rest) and not re.search(r"(?i)\b(task|note|reminder)\b", rest):
                word, body = "contact", rest
            else:
                return False
        if word.startswith(("compan", "account", "organ")):
            return await self.create_company(body)
        if word.startswith(("deal", "opp")):
            sep = kind.group("sep") if kind else None
            return await self.create_deals(
                f"{sep} {body}" if sep in {"for", "with", "named", "called"} else body, kind_word
            )
        lifecycle = {
            "lead": "lead",
            "leads": "lead",
            "customer": "customer",
            "customers": "customer",
            "prospect": None,
            "prospects": None,
        }.get(word)
        return await self.create_contacts(body, lifecycle)

    async def create_contacts(self: Interpreter, body: str, lifecycle: str | None) -> bool:
        """One contact or a list of them, with attributes typed after each ("phone ...", "title ...")."""
        shared: dict[str, Any] = {}
        work = body
        new_kind = re.search(r"(?i)[,;-]\s*(?:a\s+|an\s+)?new\s+(lead|customer|prospect)\s*$", work)
        if new_kind:
            lifecycle = self.schema.option_in("contacts", "lifecyclestage", new_kind.group(1)) or lifecycle
            work = _drop(work, new_kind.span())
        there = re.search(r"(?i)\s+(?:there|to it|at it|to that company|at that company|to them|with them)\s*$", work)
        company_there = self.last.get("companies") if there else None
        if there and company_there:
            work = _drop(work, there.span())
        as_kind = re.search(
            r"(?i),?\s*\bas\s+(?:a\s+|an\s+)?(?:new\s+)?(lead|customer|contact|prospect|mql|sql)s?\b", work
        )
        if as_kind:
            lifecycle = self.schema.option_in("contacts", "lifecyclestage", as_kind.group(1)) or lifecycle
            work = _drop(work, as_kind.span())
        owner = re.search(r"(?i),?\s*\b(?:for|owned by|assigned to|owner:?)\s+(\w+(?:\s+\w+)?)\s*$", work)
        if owner and self.schema.owner_in(owner.group(1)):
            shared["hubspot_owner_id"] = self.schema.owner_in(owner.group(1))[0].email  # type: ignore[index]
            work = _drop(work, owner.span())
        if re.fullmatch(r"(?i)\s*(?:him|her|them|this (?:guy|person|one)|that (?:guy|person))\s*", work):
            described = self._described_person()
            if described is None:
                return False  # "add him as a lead" with nobody described: never a contact named "Him"
            work = described
        if lifecycle:
            shared["lifecyclestage"] = lifecycle
        people: list[tuple[Person, dict[str, Any]]] = []
        for item in split_list(work):
            attr = self._contact_attribute(item)
            if people and attr is not None:
                people[-1][1].update(attr)
                continue
            at_company = re.fullmatch(r"(?i)(?:at|from|with|works at)\s+(.+)", item.strip())
            if people and at_company:
                people[-1][0].company = at_company.group(1).strip()
                continue
            email = find_email(item)
            if people and email and item.strip(" ()<>") == email and not people[-1][0].email:
                people[-1][0].email = email
                continue
            phone = find_phone(item)
            if people and phone and re.fullmatch(r"[\d\s().+-]+", item.strip()) and not people[-1][0].phone:
                people[-1][0].phone = phone
                continue
            if people and _JOB_TITLE.search(item) and not find_email(item) and not people[-1][0].jobtitle:
                people[-1][0].jobtitle = item.strip()
                continue
            person = parse_person(item)
            if person is None:
                return False
            people.append((person, {}))
        if not people:
            return False
        refs: list[str] = []
        for person, extra in people:
            props: dict[str, Any] = {"firstname": person.first}
            for key, value in (
                ("lastname", person.last),
                ("email", person.email),
                ("phone", person.phone),
                ("company", person.company),
                ("jobtitle", person.jobtitle),
            ):
                if value:
                    props[key] = value
            props.update(shared)
            props.update(extra)
            args: dict[str, Any] = {"object_type_name": "contacts", "properties": props}
            if company_there and not person.company:
                args["associations"] = [{"object_type": "companies", "ref": company_there, "primary": True}]
            if person.company:
                company = await self._company_ref(person.company)
                if company:
                    args["associations"] = [{"object_type": "companies", "ref": company, "primary": True}]
            index = self.add(Action("create_record", args, subject=person.full))
            for key in (person.first, person.full, person.email or ""):
                if key:
                    self.people[fold(key)] = index
            refs.append(f"{SYM}{index}")
            self.remember("contacts", f"{SYM}{index}")
        created_here = self.group and self.group[0] == "contacts" and all(r.startswith(SYM) for r in self.group[1])
        self.group = ("contacts", (self.group[1] if created_here and self.group else []) + refs)
        return True

    def _described_person(self: Interpreter) -> str | None:
        """The person the clause before described with an e-mail ("met a guy at the expo - Omar Haddad, omar@x.co,
        head of ops at Brightwave"), which was not understood on its own; it is understood now."""
        previous = self.previous_failed or ""
        if not find_email(previous):
            return None
        person = re.split(r"\s+[-–—]\s+|:\s+", previous)[-1]
        if previous in self.unknown:
            self.unknown.remove(previous)
        return person

    def _contact_attribute(self: Interpreter, item: str) -> dict[str, Any] | None:
        """``phone +49 30 1234567`` / ``job title CTO`` / ``preferred channel phone call`` -> properties."""
        words = item.strip().split()
        for size in range(min(3, len(words)), 0, -1):
            prop = self.schema.property_named("contacts", " ".join(words[:size]))
            if prop is None:
                continue
            value = " ".join(words[size:]).strip(" :=")
            if not value:
                return None
            return {prop: self.value_for("contacts", prop, value)}
        return None

    async def _company_ref(self: Interpreter, name: str) -> str | None:
        key = fold(name)
        if key in self.people and self.actions[self.people[key]].args["object_type_name"] == "companies":
            return f"{SYM}{self.people[key]}"
        return name if await self.lookup("companies", name) else None

    async def create_company(self: Interpreter, body: str) -> bool:
        """A company: name, then details as typed (domain, website, industry, city, employees, owner)."""
        props: dict[str, Any] = {}
        items = split_list(body, on_and=False)
        if not items:
            return False
        first = items[0]
        domain = re.search(
            r"(?i)(?:,?\s*\b(?:with|and)?\s*(?:the\s+|a\s+|its\s+)?(?:domain|website|site|url)(?:\s+is)?\s*:?\s*)?"
            r"\(?\b((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b\)?",
            first,
        )
        if domain:
            props["domain"] = domain.group(1)
            first = _drop(first, domain.span())
        for item in items[1:]:
            detail = self._company_detail(item)
            if detail is None:
                return False
            props.update(detail)
        inline = re.search(r"(?i)\b(?:in|based in|located in)\s+([A-Z][\w .'-]+)$", first)
        if inline:
            props["city"] = inline.group(1).strip()
            first = _drop(first, inline.span())
        name = re.sub(r"(?i)\b(?:called|named)\b|[():]", " ", first)
        name = re.sub(r"\s+", " ", name).strip(" .-")
        if not name and domain:
            name = domain.group(1).split(".")[-2].capitalize()
        if not name or len(name.split()) > 5:
            return False
        props["name"] = name_case(unquote(name))
        index = self.add(
            Action("create_record", {"object_type_name": "companies", "properties": props}, subject=props["name"])
        )
        self.remember("companies", f"{SYM}{index}")
        self.people[fold(props["name"])] = index
        return True

    def _company_detail(self: Interpreter, item: str) -> dict[str, Any] | None:
        text = item.strip()
        employees = re.fullmatch(rf"(?i){_ABOUT}(\d[\d,]*)\s*(?:employees|people|staff|headcount|heads)", text)
        if employees:
            return {"numberofemployees": employees.group(1).replace(",", "")}
        domain = re.fullmatch(
            r"(?i)(?:website|domain|url|site)?\s*:?\s*((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
            r"\.[a-z]{2,}(?:/\S*)?)",
            text,
        )
        if domain:
            return {"domain": domain.group(1)}
        located = re.fullmatch(r"(?i)(?:based |located )?in\s+(.+)", text)
        if located:
            return {"city": located.group(1)}
        words = text.split()
        for size in range(min(3, len(words)), 0, -1):
            prop = self.schema.property_named("companies", " ".join(words[:size]))
            if prop and len(words) > size:
                return {prop: self.value_for("companies", prop, " ".join(words[size:]).strip(" :="))}
        if re.fullmatch(r"[a-z][a-z&/ -]{1,30}", text) and len(words) <= 3:
            return {"industry": self.value_for("companies", "industry", text)}
        return None

    async def create_deals(self: Interpreter, body: str, kind_word: str | None = None) -> bool:
        """A deal, or one per person of a group: name, amount, close date, stage, owner, and whom it is for;
        ``kind_word`` ("upsell" in "a 5k upsell deal for Ann") names it ("Ann Lee upsell")."""
        props: dict[str, Any] = {}
        work = body
        quoted = QUOTED.search(work)
        if quoted:
            props["dealname"] = quoted.group("q")
            work = _drop(work, quoted.span())
        amount = find_amount(work)
        if amount:
            props["amount"] = str(amount[0])
            if amount[1]:
                props["deal_currency_code"] = amount[1]
            before = re.sub(r"(?i)\b(?:for|of|worth|at|valued at|value|amount|=)\s*$", "", work[: amount[2][0]])
            work = re.sub(r"\s+", " ", f"{before} {work[amount[2][1] :]}").strip()
        close = re.search(
            r"(?i)\b(?:clos(?:e|es|ing)(?: date)?|close by|expected to close|due)\s*(?:on|by|date|:)?\s*"
            r"(?P<d>.+?)(?=,|;|$|\s+(?:for|with|worth|stage|owned|owner|in stage)\b)",
            work,
        )
        if close and find_date(close.group("d"), self.today):
            props["closedate"] = find_date(close.group("d"), self.today)[0].isoformat()  # type: ignore[index]
            work = _drop(work, close.span())
        stage = re.search(
            r"(?i)\b(?:(?:in\s+)?stage|at stage|in the|in)\s*:?\s*(?P<s>[\w -]+?)(?:\s+stage)?(?=,|;|$)", work
        )
        if stage and self.schema.stage_in(stage.group("s")) and len(stage.group("s").split()) <= 5:
            props["dealstage"] = self.schema.stage_in(stage.group("s"))[0]  # type: ignore[index]
            work = _drop(work, stage.span())
        owner = re.search(r"(?i)\b(?:owner|owned by|assigned to)\s*:?\s*(?P<o>\w+(?: \w+)?)", work)
        if owner and self.schema.owner_in(owner.group("o")):
            props["hubspot_owner_id"] = self.schema.owner_in(owner.group("o"))[0].email  # type: ignore[index]
            work = _drop(work, owner.span())
        named = re.search(r"(?i)\b(?:called|named|titled)\s+[\"']?(?P<n>[^\"',]+)[\"']?", work)
        if named and "dealname" not in props:
            props["dealname"] = named.group("n").strip()
            work = _drop(work, named.span())
        target_text = None
        target = next(
            (
                m
                for m in re.finditer(r"(?i)\b(?:for|with|under|at|on)\s+(?P<t>[^,:;]+?)\s*(?=,|:|;|$)", work)
                if m.group("t").strip(" .$")
            ),
            None,
        )
        if target:
            target_text = target.group("t").strip()
            if not re.fullmatch(r"(?i)each|each one|every one|everyone", target_text):
                target_text = re.sub(
                    r"(?i)\b(?:worth|each(?! of)|apiece|per person|valued at)\b", "", target_text
                ).strip()
            work = _drop(work, target.span())
        leftovers = [p.strip(" .-") for p in re.split(r"[,:;]", work)]
        leftovers = [
            re.sub(r"(?i)^(?:worth|valued at|value|amount|of|a|an|the|at|each|apiece|deal)\b\s*", "", p).strip()
            for p in leftovers
        ]
        leftovers = [
            p for p in leftovers if p and not re.fullmatch(r"(?i)(?:worth|each|apiece|per person|for|with)", p)
        ]
        if "dealname" not in props and leftovers:
            props["dealname"] = leftovers[0]
        if not target_text and not props.get("dealname"):
            return False
        targets: list[tuple[str, str]] = []
        if target_text:
            targets = await self._deal_targets(target_text)
            if not targets:
                return False
        if not targets:
            index = self.add(
                Action("create_record", {"object_type_name": "deals", "properties": props}, subject=props["dealname"])
            )
            self.remember("deals", f"{SYM}{index}")
            return True
        for type_name, ref in targets:
            deal = dict(props)
            deal.setdefault(
                "dealname", f"{name_case(self.subject(ref))} {kind_word}" if kind_word else f"{self.subject(ref)} deal"
            )
            args = {
                "object_type_name": "deals",
                "properties": deal,
                "associations": [{"object_type": type_name, "ref": ref, "primary": type_name == "companies"}],
            }
            index = self.add(Action("create_record", args, subject=deal["dealname"]))
            self.remember("deals", f"{SYM}{index}")
        return True

    async def _deal_targets(self: Interpreter, text: str) -> list[tuple[str, str]]:
        """Whom a deal is for: a group, a pronoun, a person or company of this message, or an existing record."""
        low = text.lower().strip()
        if re.fullmatch(GROUP_WORDS + "|" + SINGLE_WORDS, low):
            group = self.group_refs("contacts")
            if re.fullmatch(GROUP_WORDS, low) and group:
                return [("contacts", r) for r in group[1]]
            single = self.last_single("contacts")
            return [("contacts", single)] if single else []
        company = await self._company_ref(text)
        key = fold(text)
        if key in self.people:
            type_name = str(self.actions[self.people[key]].args["object_type_name"])
            return [(type_name, f"{SYM}{self.people[key]}")]
        if await self.lookup("contacts", text):
            return [("contacts", text)]
        if company:
            return [("companies", company)]
        return [("contacts", r) for r in self.refs(text)]
