"""Requests that change records: updates (one record, a group, or a filtered set), deal stage moves,
task and contact status changes and archives (owner hand-overs are in :mod:`handover`, associations in
:mod:`linking`, idiomatic updates such as "the deal slipped to January" in :mod:`idioms`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import (
    GROUP_WORDS,
    SINGLE_WORDS,
    SYM,
    TASK_WORDS,
    Action,
    clean_name,
    ends_clean,
    unquote,
)
from crm_agent.agent.planner.schema import LEAD_STATUS_SYNONYMS, STAGE_SYNONYMS
from crm_agent.agent.planner.set_words import unused_words
from crm_agent.agent.planner.sets import parse_set
from crm_agent.agent.planner.values import find_amount, find_date, find_email, find_phone
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_TYPES = {"contacts", "companies", "deals", "tasks", "notes"}
_SET_WORDS = re.compile(
    r"(?i)\b(all|every|each|any|everything|everyone|everybody)\b|\b(contacts|deals|companies|leads|customers|tasks|notes|"
    r"accounts|opportunities|prospects)\b"
)

_UPDATE_VERB = r"(?:update|change|set|edit|correct|fix|modify|make)"
_TASK_DONE = {
    "done": "COMPLETED",
    "complete": "COMPLETED",
    "completed": "COMPLETED",
    "finished": "COMPLETED",
    "in progress": "IN_PROGRESS",
    "started": "IN_PROGRESS",
    "waiting": "WAITING",
    "deferred": "DEFERRED",
    "not started": "NOT_STARTED",
}


class ChangingMixin:
    """Changes, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    def _owner_pronoun(self: Interpreter, text: str) -> str:
        """ "his open deals" after "Tom is leaving" -> "Tom's open deals"."""
        if self.last_owner and re.search(r"(?i)\b(his|her|their)\b", text):
            return re.sub(r"(?i)\b(his|her|their)\b", f"{self.last_owner.firstName}'s", text, count=1)
        return text

    async def apply_to(
        self: Interpreter,
        target: str,
        properties: dict[str, Any] | None,
        *,
        archive: bool = False,
        type_hint: str | None = None,
    ) -> bool:
        """Archive or update what ``target`` names: a filtered set, a group, or one or more records."""
        target = self._owner_pronoun(target.strip())
        low = target.lower().strip(" .")
        if re.match(r"(?:set|update|change|make|mark|move)\s", low) or re.search(r"\s(?:to|as)$", low):
            return False  # a request's words, not the records it names ("set all customers in chicago to")
        group_phrase = re.fullmatch(r"(?:the\s+)?" + GROUP_WORDS + r"(?:\s+(?:contacts|deals|companies|people))?", low)
        if group_phrase:
            group = self.group_refs(type_hint) or self.group_refs()
            if not group:
                return False
            type_name, refs = group
            return self._per_record(type_name, refs, properties, archive)
        type_name = type_hint or self.schema.object_type_in(target)
        either = re.match(
            r"(?i)^(?P<set>.+?\b(?:at|from)\s+)(?P<a>[\w&.' -]+?)\s+(?P<conn>or|and|&)\s+(?P<b>[\w&.' -]+)$", target
        )
        if either and _SET_WORDS.search(either.group("set")):
            known = [await self.lookup("companies", either.group(key)) for key in ("a", "b")]
            if all(known):
                return all(
                    [
                        await self.apply_to(
                            either.group("set") + either.group(key), properties, archive=archive, type_hint=type_hint
                        )
                        for key in ("a", "b")
                    ]
                )
            if either.group("conn").lower() == "or" and any(known):
                return False
        if _SET_WORDS.search(target) and not re.fullmatch(SINGLE_WORDS, low):
            parsed = parse_set(target, self.schema, self.today, type_name or "contacts")
            if parsed is None or not (parsed.filters or parsed.alternatives or parsed.associated_with):
                return False
            if parsed.company_typed and not await self.lookup("companies", parsed.associated_with["ref"]):
                return False
            if unused_words(target, parsed, self.schema):
                return False  # a word no filter used would widen the set: not understood, nothing written
            args: dict[str, Any] = {"records": parsed.to_arg(), "description": parsed.describe()}
            if archive:
                self.add(Action("archive_records", args, subject=parsed.describe()))
            else:
                self.add(Action("update_records", {**args, "properties": properties}, subject=parsed.describe()))
            self.group = None
            return True
        name = clean_name(target)
        if type_name == "tasks" and not re.fullmatch(SINGLE_WORDS, name.lower()):
            name = re.sub(
                r"(?i)\s+(?:with|about|on|re|regarding|for|to)\b(?=\s)", "", name
            )  # not always in the subject
        if type_name not in _TYPES:
            type_name = await self.guess_type(name)
        refs = self.refs(name, type_name)
        if not refs:
            return False
        return self._per_record(type_name, refs, properties, archive)

    def _per_record(
        self: Interpreter, type_name: str, refs: list[str], properties: dict[str, Any] | None, archive: bool
    ) -> bool:
        for ref in refs:
            if archive:
                self.add(Action("archive_record", {"object_type_name": type_name, "ref": ref}))
            else:
                self.add(Action("update_record", {"object_type_name": type_name, "ref": ref, "properties": properties}))
            self.remember(type_name, ref)
        return True

    async def archive(self: Interpreter, text: str) -> bool:
        """``delete X``, ``remove all lost deals``, ``X is no longer a customer``."""
        match = re.match(
            r"(?i)^(?:delete|remove|archive|drop|get rid of|trash|erase|kill|scrap|nuke)\s+(.+?)(?:\s+from (?:the )?crm)?$",
            text,
        )
        no_longer = re.match(
            r"(?i)^(.+?)\s+(?:is|are)\s+no longer\s+(?:a |an |our )?(?:customers?|clients?|with us|"
            r"relevant|needed)\b",
            text,
        )
        found = match or no_longer
        if not found:
            return False
        target = found.group(1)
        type_hint = "tasks" if re.match(r"(?i)^(?:the\s+)?task\b", target) else None
        return await self.apply_to(target, None, archive=True, type_hint=type_hint)

    async def stage_move(self: Interpreter, text: str) -> bool:
        """``mark the Acme deal as won``, ``move X to contract sent``, ``we lost the Pied Piper deal``."""
        patterns = [
            r"(?i)^(?:mark|set|move|update|change|put|switch|advance|bump|push|take|bring|get|progress)\s+(?P<deal>.+?)"
            r"\s+(?:as|to|into|in|=)\s+(?P<stage>.+)$",
            r"(?i)^(?:mark|set|move|update|change|put|switch|advance|bump|push|take|bring|get|progress)\s+(?P<deal>.+)"
            r"\s+(?:as|to|into|in|=)\s+"
            r"(?P<stage>.+)$",
            r"(?i)^(?P<deal>.+?)\s+(?:is|was|has been|got|moved to|is now|went to|has moved to)\s+(?P<stage>.+)$",
            r"(?i)^(?:we|i|they)(?:\s+have|'ve)?\s+(?P<stage>won|lost|closed)\s+(?P<deal>.+?)$",
            r"(?i)^(?:mark|set)\s+(?P<deal>.+?)\s+(?P<stage>won|lost|closed won|closed lost)$",
            r"(?i)^close\s+(?P<deal>.+?)(?:\s+as\s+(?P<stage>won|lost))?$",
        ]
        for pattern in patterns:
            match = re.match(pattern, text)
            if not match:
                continue
            deal = match.group("deal")
            if re.fullmatch(r"(?i)(?:their|its|the)\s+deal", deal.strip()) and "companies" in self.last:
                deal = f"{self.subject(self.last['companies'])} deal"
            stage_text = (match.groupdict().get("stage") or "won").strip(" .!")
            stage_text = re.sub(r"(?i)^(?:the\s+|now\s+|officially\s+|finally\s+)+|(?:\s+stage)$", "", stage_text)
            hit = self.schema.stage_in(stage_text)
            if not hit or fold(stage_text) not in _stage_words(self.schema, hit[0]):
                continue
            is_set = bool(_SET_WORDS.search(deal)) and re.search(r"(?i)\bdeals\b|\ball\b", deal)
            name = clean_name(deal)
            is_deal = (
                is_set
                or re.search(r"(?i)\bdeals?\b|\bopportunit", deal)
                or await self.lookup("deals", name)
                or (
                    fold(name) in self.people
                    and self.actions[self.people[fold(name)]].args.get("object_type_name") == "deals"
                )
                or (name.lower() in {"it", "deal", "this one", "that one"} and self.thing_type() == "deals")
            )
            if not is_deal:
                continue
            return await self.apply_to(deal, {"dealstage": hit[0]}, type_hint="deals")
        return False

    async def task_status(self: Interpreter, text: str) -> bool:
        """``mark the task "Send contract" as done``, ``complete the task X``."""
        match = re.match(
            r"(?i)^(?:mark|set|move)\s+(?:the\s+)?task\s+(?P<task>.+?)\s+(?:as|to)\s+(?P<status>[\w ]+)$", text
        ) or re.match(
            rf"(?i)^(?:mark|set)\s+(?:the\s+)?(?P<task>.*?\b{TASK_WORDS}\b.*?|it|that|this)\s+(?:as\s+|to\s+)?"
            r"(?P<status>done|complete|completed|finished)$",
            text,
        )
        done = (
            re.match(r"(?i)^(?:complete|finish|close)\s+(?:the\s+)?task\s+(?P<task>.+)$", text)
            or re.match(
                rf"(?i)^(?:complete|finish|close(?:\s+out)?|wrap up)\s+(?:the\s+)?(?P<task>.+?\s+{TASK_WORDS})$", text
            )
            or re.match(
                r"(?i)^(?:the\s+)?(?P<task>.+?\b(?:call|task|email|follow[- ]?up|meeting|to-?do)\b.*?)\s+(?:is|was)\s+(?:done|"
                r"complete|completed|finished)$",
                text,
            )
            or (
                "tasks" in self.last
                and re.match(r"(?i)^(?:close|complete|finish)\s+(?P<task>it|that|this)(?:\s+out)?$", text)
            )
            or re.match(
                r"(?i)^(?:tick|check|cross|mark)\s+(?P<task>it|that|this|"
                r".+?)\s+off$",
                text,
            )
        )
        if not match and not done:
            return False
        status = _TASK_DONE.get((match.group("status") if match else "done").lower().strip())
        if not status:
            return False
        task = (match or done).group("task").strip(" \"'“”")  # type: ignore[union-attr]
        if task.lower() in {"it", "that", "this"}:
            task = self.last.get("tasks", "")
            if not task:
                return False
        return await self.apply_to(task, {"hs_task_status": status}, type_hint="tasks")

    async def update(self: Interpreter, text: str) -> bool:
        """Property updates in their many wordings (see the patterns)."""
        verb = _UPDATE_VERB
        prop_value = [
            rf"(?i)^{verb}\s+(?P<who>his|her|their|its)\s+(?P<prop>[\w -]+?)\s+(?:to|=|:|as)\s+(?P<value>.+)$",
            rf"(?i)^{verb}\s+(?:the\s+)?(?P<prop>[\w -]+?)\s+(?:to|=)\s*(?P<value>.+?)\s+(?:for|on|of)\s+(?P<who>.+)$",
            rf"(?i)^{verb}\s+(?:the\s+)?(?P<prop>[\w -]+?)\s+(?:of|for|on)\s+(?P<who>.+?)\s+(?:to|=|as)\s+(?P<value>.+)$",
            rf"(?i)^{verb}\s+(?P<who>.+?)['’]s?\s+(?P<prop>[\w -]+?)\s+(?:to|=|:|as)\s+(?P<value>.+)$",
            r"(?i)^(?P<who>[\w .'’-]+?)['’]s?\s+(?:new\s+)?(?P<prop>[\w -]+?)\s+(?:is now|is|should be|changed to|now is)"
            r"\s+(?P<value>.+)$",
            rf"(?i)^{verb}\s+(?:the\s+)?(?P<who>.+)\s+(?P<prop>\w+(?: \w+)?)\s+to\s+(?P<value>.+)$",
        ]
        for pattern in prop_value:
            match = re.match(pattern, text)
            if match and await self._update_items(match.group("who"), [(match.group("prop"), match.group("value"))]):
                return True
        pairs = re.match(rf"(?i)^(?:{verb}\s+)?(?P<who>[^:,]+?)\s*(?P<sep>:|,|\bwith\b|-(?!>))\s*(?P<pairs>.+)$", text)
        if (
            pairs
            and not re.match(r"(?i)^(?:create|add|new|make|log|open)\b", pairs.group("who"))
            and not (pairs.group("sep").lower() == "with" and _SET_WORDS.search(pairs.group("who")))
        ):
            items = [self._prop_value(part) for part in re.split(r"\s*(?:,|;|\band\b)\s*", pairs.group("pairs"))]
            who = re.sub(rf"(?i)^{verb}\s+", "", pairs.group("who")).strip()
            known = _SET_WORDS.search(who) or await self._record_type(clean_name(who))
            if items and all(items) and known and await self._update_items(pairs.group("who"), items):  # type: ignore[arg-type]
                return True
        return await self._update_idioms(text)

    def _prop_value(self: Interpreter, part: str) -> tuple[str, str] | None:
        """``the city is Dallas`` / ``lead status in progress`` / ``phone: 555`` -> (property words, value)."""
        text = re.sub(r"(?i)^(?:the|new|his|her|its|their)\s+", "", part.strip())
        text = re.sub(r"(?i)\s+now$", "", text)
        words = text.split()
        for size in range(min(3, len(words) - 1), 0, -1):
            name = " ".join(words[:size]).rstrip(":=")
            if any(self.schema.property_named(t, name) for t in ("contacts", "companies", "deals", "tasks")):
                value = re.sub(r"(?i)^(?:is now|is|to|=|:|should be)\s+", "", " ".join(words[size:]).lstrip(":= "))
                return (name, value) if value else None
        return None

    async def _update_items(
        self: Interpreter, who: str, items: list[tuple[str, str]], type_hint: str | None = None
    ) -> bool:
        who = who.strip()
        if not who or len(who.split()) > 10:
            return False
        named_type = self.schema.object_type_in(who)
        type_name = type_hint or (named_type if named_type in _TYPES else None)
        props, type_name = await self._values(items, type_name, who)
        if props is None:
            return False
        return await self.apply_to(who, props, type_hint=type_name)

    async def _values(
        self: Interpreter, items: list[tuple[str, str]], type_name: str | None, who: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        props: dict[str, Any] = {}
        candidates = [type_name] if type_name else None
        if candidates is None:
            guessed = None
            cleaned = clean_name(self._owner_pronoun(who))
            if not re.fullmatch(GROUP_WORDS + "|" + SINGLE_WORDS, cleaned.lower()) and not _SET_WORDS.search(who):
                guessed = await self.guess_type(cleaned)
            elif cleaned.lower() in {"it", "its"} and self.thing_type():
                guessed = self.thing_type()
            elif re.fullmatch(GROUP_WORDS, cleaned.lower()) and self.group_refs():
                guessed = self.group_refs()[0]  # type: ignore[index]
            candidates = [guessed] if guessed and guessed != "contacts" else ["contacts", "deals", "companies", "tasks"]
        for prop_words, raw in items:
            chosen = None
            for candidate in candidates:
                name = self.schema.property_named(candidate, prop_words.strip())
                if name:
                    chosen = (candidate, name)
                    break
            if chosen is None:
                return None, type_name
            type_name = chosen[0]
            candidates = [type_name]
            value = self.value_for(type_name, chosen[1], raw.strip().strip(".\"'"))
            if value is None:
                return None, type_name
            props[chosen[1]] = value
        return props, type_name

    def value_for(self: Interpreter, type_name: str, prop: str, raw: str) -> Any:
        """A typed value for ``prop`` from the words after it ("$52,500", "in 2 weeks", "bad timing")."""
        raw = re.sub(r"(?i)\s+now$", "", raw.strip())
        defn = self.schema.properties.get(type_name, {}).get(prop)
        if prop == "phone":
            return find_phone(raw) or raw
        if prop == "email":
            return find_email(raw) or raw
        if prop in {"amount", "annualrevenue"}:
            hit = find_amount(raw) or find_amount(f"${raw}")
            return str(hit[0]) if hit else raw
        if prop == "numberofemployees":
            digits = re.search(r"\d[\d,]*", raw)
            return digits.group(0).replace(",", "") if digits else raw
        if prop == "dealstage":
            hit = self.schema.stage_in(raw)
            return hit[0] if hit else raw
        if prop == "hubspot_owner_id":
            owner = self.schema.owner_in(raw)
            return owner[0].email if owner else raw
        if defn is not None and defn.type in {"date", "datetime"}:
            day = find_date(raw, self.today)
            return day[0].isoformat() if day else raw
        if defn is not None and defn.type == "enumeration":
            if len(self.schema.options_in(type_name, prop, raw)) > 1 or re.search(r"->|=>|→", raw):
                return None  # "bad timing or unqualified -> open": which option is meant is not clear
            return self.schema.option_in(type_name, prop, raw) or raw
        if not ends_clean(raw):
            return None  # "city to Palo Alto and they're ~85 people": the value would swallow the next request
        return unquote(raw)

    async def status_change(self: Interpreter, text: str) -> bool:
        """``Quinn has moved to qualified``, ``mark him as unqualified``, ``Ana is now a customer``."""
        match = re.match(
            r"(?i)^(?:mark|set|make|move|change|update|flag|tag|bump|promote|upgrade|downgrade|demote)?\s*(?P<who>.+?)\s+"
            r"(?:has\s+)?(?:moved|moves|"
            r"is now|became|becomes|is|are|are now|has become|to|as)\s+(?:to\s+|a\s+|an\s+|now\s+|all\s+)*"
            r"(?P<status>[\w -]+?)\.?$",
            re.sub(_FOR_A_WHILE, "", text),
        ) or re.match(r"(?i)^(?:make|mark|flag|tag)\s+(?P<who>.+?)\s+an?\s+(?P<status>[\w -]+?)(?:\s+now)?$", text)
        if not match:
            return False
        status = match.group("status").strip()
        lead_only = re.match(r"(?i)^(?:the\s+)?lead\s+status\s+(?:to\s+|of\s+)?", status)
        status = status[lead_only.end() :] if lead_only else status
        if len(status.split()) > 4:
            return False
        if any(len(self.schema.options_in("contacts", p, status)) > 1 for p in ("lifecyclestage", "hs_lead_status")):
            return False  # "all contacts at globex who are leads to MQL": two statuses, which one is meant?
        lifecycle = None if lead_only else self.schema.option_in("contacts", "lifecyclestage", status)
        lead = self.schema.option_in("contacts", "hs_lead_status", status)
        if lead and lifecycle:
            lead_words = {w for v in LEAD_STATUS_SYNONYMS.values() for w in v}
            lead = lead if fold(status) in lead_words and fold(status) not in {"qualified", "open"} else None
        if not lead and not lifecycle:
            return False
        props = {"hs_lead_status": lead} if lead else {"lifecyclestage": lifecycle}
        who = re.sub(
            r"(?i)^(?:mark|set|make|move|change|update|flag|tag|bump|promote|upgrade|downgrade|demote)\s+",
            "",
            match.group("who"),
        )
        type_hint = None if _SET_WORDS.search(who) else "contacts"
        name = clean_name(who)
        if (
            type_hint
            and lifecycle
            and not lead
            and not re.fullmatch(SINGLE_WORDS, name.lower())
            and not await self.lookup("contacts", name)
            and await self.lookup("companies", name)
        ):
            type_hint = "companies"  # "Müller Maschinenbau is an opportunity now": a company's lifecycle stage
        return await self.apply_to(who, props, type_hint=type_hint)


_FOR_A_WHILE = (
    r"(?i)\s+(?:(?:till|until|through|for)\s+(?:next|the end of|end of|the rest of)\s+\w+|for now|for the moment|"
    r"for the time being|at the moment|right now|as of (?:today|now))$"
)


def _stage_words(schema: Any, stage_id: str) -> set[str]:
    return {fold(schema.stage_label(stage_id)), stage_id, *STAGE_SYNONYMS.get(stage_id, [])}


__all__ = ["SYM", "ChangingMixin"]
