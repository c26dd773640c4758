"""Questions answered from the CRM: counts, totals, lists, the biggest deal, one record's details or one
of its properties."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_agent.agent.planner.common import SYM, Action
from crm_agent.agent.planner.set_words import unused_words
from crm_agent.agent.planner.sets import StoredSet, parse_set
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_LIST = re.compile(
    r"(?i)^(?:show|list|find|get|give|display|pull up|look up|lookup|search(?: for)?|see|fetch|which|"
    r"who are|what are|any|are there any|do we have any|do we have)\b(?:\s+me)?(?:\s+(?:all\s+(?:of\s+)?|the\s+|"
    r"our\s+|my\s+|every\s+))*"
)
_RECORD = re.compile(
    r"(?i)^(?:who(?:'s| is)|look ?up|find|show(?: me)?|pull up|get|open|tell me about|what do we "
    r"know about|details (?:for|on|of))\s+(?P<who>.+)$"
)


_CHANGE_WORDS = re.compile(
    r"(?i)\b(?:get rid of|delete|remove|archive|kill|push|hand|give|goes|go to|mark|move|set|pass|transfer|shift|"
    r"update|change|assign|reassign|close|create|add|make|bump|->|should be|taking over|takes over)\b|->|→|=>"
)


class AskingMixin:
    """Questions, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def question(self: Interpreter, text: str) -> bool:
        """Answer from the CRM; a question never writes."""
        t = text.strip().rstrip("?").strip()
        owner = self.schema.owner_in(t)
        if owner:
            self.asked_owner = owner[0]
        elif self.asked_owner and re.search(r"(?i)\b(?:tasks|deals|contacts|leads|companies|customers)\b", t):
            t = re.sub(r"(?i)\b(his|her|their)\b", f"{self.asked_owner.firstName}'s", t, count=1)
        for pattern, prop in (
            (
                r"(?i)^(?:what(?:'s| is| are)|whats|tell me|give me|show me|get|do you have|do we have)\s+(?P<who>.+?)['’]s?"
                r"\s+(?P<prop>[\w -]+)$",
                None,
            ),
            (r"(?i)^(?:what(?:'s| is)|whats)\s+(?P<who>.+?)s\s+(?P<prop>[\w -]+)$", None),
            (r"(?i)^(?:what(?:'s| is)|whats)\s+the\s+(?P<prop>[\w -]+?)\s+(?:of|for)\s+(?P<who>.+)$", None),
            (r"(?i)^who\s+(?:owns|is the owner of|handles|is responsible for|manages)\s+(?P<who>.+)$", "owner"),
            (r"(?i)^(?:what|which)\s+stage\s+is\s+(?P<who>.+?)\s+(?:in|at)$", "stage"),
            (r"(?i)^when\s+(?:does|is|will)\s+(?P<who>.+?)\s+(?:close|closing|expected to close)$", "close date"),
            (r"(?i)^how much is\s+(?P<who>.+?)\s+worth$", "amount"),
        ):
            match = re.match(pattern, t)
            if match and await self._field_question(match.group("who"), prop or match.group("prop")):
                return True
        on_deal = re.match(
            r"(?i)^(?:who(?:'s| is| are)|which contacts? (?:is|are))\s+(?:the\s+)?(?:contacts?|people|person|"
            r"buyers?|champions?)\s+(?:on|for|at)\s+(?P<deal>.+)$",
            t,
        )
        if on_deal:
            deal = re.sub(r"(?i)^(?:the|our)\s+|\s+deal$", "", on_deal.group("deal").strip())
            type_name = (
                "deals" if await self.lookup("deals", deal) or "deal" in on_deal.group("deal").lower() else "companies"
            )
            records = {"object_type": "contacts", "associated_with": {"object_type": type_name, "ref": deal}}
            self.add(
                Action(
                    "search_records",
                    {"records": records, "limit": 50},
                    read=True,
                    question=f"contacts on {deal}",
                    style="list",
                )
            )
            return True
        notes = re.match(
            r"(?i)^(?:what|which|any)\s+notes\s+(?:do we have|have we got|are there)?\s*(?:on|for|about)\s+(?P<a>.+)$",
            t,
        ) or re.match(
            r"(?i)^(?:read|show|list|get|pull up|what are)\s+(?:me\s+)?(?:the\s+)?(?:(?P<a>.+?)['’]s?\s+notes|notes"
            r"\s+(?:for|on|about)\s+(?P<b>.+))$",
            t,
        )
        if notes and await self._notes_question(notes.group("a") or notes.groupdict().get("b")):
            return True
        card = re.match(
            r"(?i)^(?:pull up|show(?: me)?|get|look ?up|open|find|give me)\s+(?P<who>.+?)['’]s?\s+(?:contact\s+)?"
            r"(?:info|information|details|record|profile|card|contact)$",
            t,
        )
        if card and await self._record_question(card.group("who")):
            return True
        if await self._set_question(t):
            return True
        record = _RECORD.match(t)
        return bool(record and await self._record_question(record.group("who")))

    async def _set_question(self: Interpreter, t: str) -> bool:
        low = fold(t)
        if re.search(r"\bpipeline\b", low) and not re.search(r"\bdeals?\b", low):
            t = re.sub(r"(?i)\b(?:total\s+)?pipeline\b", "total open deals", t)
            low = fold(t)
        summing = re.search(
            r"\b(total|sum|combined|how much|pipeline value|worth|average|avg|biggest|largest|smallest|"
            r"top)\b",
            low,
        )
        counting = re.search(r"\b(how many|count|number of)\b", low)
        listing = _LIST.match(t) or re.match(r"(?i)^who\s+(?:hasn't|has not|haven't|have not|isn't|is not|wasn't)\b", t)
        set_text = _LIST.sub("", t) if listing else t
        if re.match(r"(?i)^who\b", set_text):
            set_text = re.sub(r"(?i)^who\b", "contacts who", set_text)
        set_text = self._owner_pronoun(set_text)
        if re.search(r"\bwe(?:'ve| have)? won\b|\bwon deals\b", low) and "deal" not in fold(set_text):
            set_text = f"{set_text} deals closed won"
        type_name = self.schema.object_type_in(set_text)
        remembered = self.context.get("last_set")
        if self.last_set is None and remembered:
            self.last_set = StoredSet(remembered["object_type"], remembered["records"], remembered["description"])
        if (
            self.last_set is not None
            and (summing or counting or listing)
            and type_name is None
            and (
                re.search(r"\b(they|them|those|these|it)\b", low)
                or ((summing or counting) and parse_set(set_text, self.schema, self.today) is None)
            )
        ):
            parsed = self.last_set
        else:
            if not (summing or counting or listing) and type_name is None:
                return False
            parsed = parse_set(set_text, self.schema, self.today, type_name or "contacts")
        fresh = not isinstance(parsed, StoredSet)
        if (
            fresh
            and parsed is not None
            and parsed.company_typed
            and not await self.lookup("companies", parsed.associated_with["ref"])
        ):
            parsed.associated_with = None
            parsed.words = [w for w in parsed.words if not w.startswith("at ")]
            if not (parsed.filters or parsed.alternatives):
                return False
        if (
            not (summing or counting)
            and _CHANGE_WORDS.search(t)
            and not re.match(
                r"(?i)^(?:show|list|find|display|"
                r"which|who|what|any)\b",
                t,
            )
        ):
            return False
        if parsed is None or (
            fresh
            and not (summing or counting or listing)
            and (
                not (parsed.filters or parsed.associated_with or parsed.alternatives)
                or unused_words(set_text, parsed, self.schema)
            )
        ):
            return False
        self.last_set = parsed
        self.context["last_set"] = {
            "object_type": parsed.object_type,
            "records": parsed.to_arg(),
            "description": parsed.describe(),
        }
        records = parsed.to_arg()
        description = parsed.describe()
        prop = "amount" if parsed.object_type == "deals" else "annualrevenue"
        if counting:
            self.add(
                Action(
                    "summarize_records",
                    {"records": records, "function": "count"},
                    read=True,
                    question=description,
                    style="count",
                )
            )
        if summing and parsed.object_type in {"deals", "companies"}:
            if re.search(r"\b(biggest|largest|top)\b", low) or "smallest" in low:
                descending = "smallest" not in low
                self.add(
                    Action(
                        "search_records",
                        {"records": records, "sort": prop, "descending": descending, "limit": 1},
                        read=True,
                        question=description,
                        style="top-" + ("largest" if descending else "smallest"),
                    )
                )
                return True
            function = "avg" if re.search(r"\b(average|avg)\b", low) else "sum"
            self.add(
                Action(
                    "summarize_records",
                    {"records": records, "function": function, "property": prop},
                    read=True,
                    question=description,
                    style=function,
                )
            )
            return True
        if counting:
            return True
        self.add(
            Action("search_records", {"records": records, "limit": 50}, read=True, question=description, style="list")
        )
        return True

    async def _field_question(self: Interpreter, who: str, prop_words: str) -> bool:
        name = re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", who).strip(" '’")
        name = re.sub(r"\s+", " ", name)
        type_name = self.schema.object_type_in(who)
        if type_name not in {"contacts", "companies", "deals"}:
            type_name = await self.guess_type(name)
        prop = self.schema.property_named(type_name, prop_words.strip())
        if prop is None:
            return False
        refs = self.refs(name, type_name)
        if not refs or refs[0].startswith(SYM):
            return False
        self.add(
            Action(
                "get_record",
                {"object_type_name": type_name, "ref": refs[0]},
                read=True,
                question=prop,
                subject=name,
                style="field",
            )
        )
        self.remember(type_name, refs[0])
        return True

    async def _record_question(self: Interpreter, who: str) -> bool:
        name = re.sub(r"(?i)^(?:the\s+)", "", who.strip(" '’"))
        if len(name.split()) > 6:
            return False
        type_name = self.schema.object_type_in(name)
        if type_name not in {"contacts", "companies", "deals"}:
            type_name = "contacts" if "@" in name else await self.guess_type(name)
        name = re.sub(r"(?i)\s+(deal|company|contact)$", "", name)
        refs = self.refs(name, type_name)
        if not refs or refs[0].startswith(SYM):
            return False
        self.add(
            Action(
                "get_record", {"object_type_name": type_name, "ref": refs[0]}, read=True, subject=name, style="summary"
            )
        )
        self.remember(type_name, refs[0])
        return True

    async def _notes_question(self: Interpreter, who: str) -> bool:
        name = re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", who).strip(" '’")
        type_name = self.schema.object_type_in(who)
        if type_name not in {"contacts", "companies", "deals"}:
            type_name = await self.guess_type(name)
        refs = self.refs(name, type_name)
        if not refs or refs[0].startswith(SYM):
            return False
        records = {"object_type": "notes", "associated_with": {"object_type": type_name, "ref": refs[0]}}
        self.add(
            Action(
                "search_records",
                {"records": records, "limit": 50},
                read=True,
                question=f"notes on {name}",
                style="notes",
            )
        )
        self.remember(type_name, refs[0])
        return True
