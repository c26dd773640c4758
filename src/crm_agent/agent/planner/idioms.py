"""Updates told as idioms rather than "set X to Y": ``Zoë prefers WhatsApp``, ``Globex moved its HQ to Dallas``,
``the Acme deal slipped to January``, ``bump the Acme deal to 30k``, ``push the jurgen follow up to
wednesday`` (a task's due date), ``acme has 900 employees now and revenue is 125M``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_agent.agent.planner.common import clean_name
from crm_agent.agent.planner.values import find_amount, find_date

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_HEADCOUNT = re.compile(r"(?i)\b(?:employees|people|staff|heads|headcount|ppl)\b")
_TASK_WORDS = re.compile(r"(?i)\b(?:task|follow[- ]?up|call|meeting|reminder|to-?do)\b")


class IdiomsMixin:
    """Idiomatic updates, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def _update_idioms(self: Interpreter, text: str) -> bool:
        prefers = re.match(
            r"(?i)^(?P<who>.+?)\s+(?:prefers|likes|wants)\s+(?:to be contacted (?:by|via)\s+)?(?P<value>.+)$", text
        )
        if prefers:
            for name, defn in self.schema.properties.get("contacts", {}).items():
                if (
                    defn.custom
                    and defn.type == "enumeration"
                    and self.schema.option_in("contacts", name, prefers.group("value"))
                ):
                    return await self._update_items(prefers.group("who"), [(name, prefers.group("value"))], "contacts")
        moved = re.match(
            r"(?i)^(?P<who>.+?)\s+(?:moved|relocated|moves|is moving)\s+(?:their|its|the)?\s*(?:hq|"
            r"headquarters|head office|office|offices)\s+to\s+(?P<city>.+)$",
            text,
        )
        if moved:
            return await self._update_items(moved.group("who"), [("city", moved.group("city"))], "companies")
        slipped = re.match(
            r"(?i)^(?P<who>.+?)\s+(?:is|was|got|has been|have been)?\s*(?:pushed|moved|slipped|delayed|"
            r"postponed|pulled in|brought forward)\s+(?:out\s+)?(?:to|until|till)\s+(?P<value>.+)$",
            text,
        )
        if slipped and find_date(slipped.group("value"), self.today):
            return await self._update_items(slipped.group("who"), [("closedate", slipped.group("value"))], "deals")
        amount = re.match(
            r"(?i)^(?:bump|raise|increase|lower|reduce|drop|cut|up|adjust)\s+(?P<who>.+?)\s+(?:to|at)\s+"
            r"(?P<value>.+)$",
            text,
        )
        amount = amount or re.match(
            r"(?i)^(?:put|set|slap|stick)\s+(?:a|an|the)\s+(?P<value>[$€£]?\d[\d,.]*\s*(?:k|m|mm)?)\s+(?:value|amount|price|"
            r"price tag)\s+on\s+(?P<who>.+)$",
            text,
        )
        amount = amount or re.match(
            r"(?i)^(?:set|change|update|make)\s+(?P<who>.+?\b(?:deal|opp|opportunity))\s+(?:to|at)\s+"
            r"(?P<value>[$€£]?\d.*)$",
            text,
        )
        if amount and find_amount(amount.group("value")):
            return await self._update_items(amount.group("who"), [("amount", amount.group("value"))], "deals")
        text = re.sub(
            r"(?i)^(?:pull|bring|move|push)\s+(?P<who>.+?)\s+(?:in|forward|back|out)\s+(?:to|until)\s+",
            r"move \g<who> to ",
            text,
        )
        push = re.match(
            r"(?i)^(?:push|move|delay|slip|pull in|bring forward|reschedule)\s+(?P<who>.+?)\s+(?:to|until|"
            r"out to)\s+(?P<value>.+)$",
            text,
        )
        if push and find_date(push.group("value"), self.today):
            who = re.sub(
                r"(?i)['’]s?\s+(?:close|closing|due)?\s*date$|\s+(?:close|closing|due)\s+date$", "", push.group("who")
            )
            if re.fullmatch(r"(?i)(?:the|its|the deal['’]s)?", who.strip()) and self.thing_type() == "deals":
                who = "it"
            if _TASK_WORDS.search(who) or (re.fullmatch(r"(?i)it|that|this", who) and self.thing_type() == "tasks"):
                return await self._update_items(who, [("due date", push.group("value"))], "tasks")
            return await self._update_items(who, [("closedate", push.group("value"))], "deals")
        closes = re.match(
            r"(?i)^(?P<who>[^,;]+?)\s+(?:will close|closes|is closing|should close|is expected to close|"
            r"will be closing|close date is)\s+(?:on\s+|by\s+)?(?P<value>.+)$",
            text,
        )
        if closes and find_date(closes.group("value"), self.today):
            return await self._update_items(closes.group("who"), [("closedate", closes.group("value"))], "deals")
        worth = re.match(
            r"(?i)^(?P<who>.+?)\s+is\s+(?:now\s+)?(?:worth\s+|valued at\s+)?(?P<value>[$€£]?\d[\d,.]*\s*"
            r"(?:k|m|mm|million|thousand)?\b.*)$",
            text,
        )
        if (
            worth
            and find_amount(worth.group("value"))
            and not _HEADCOUNT.search(worth.group("value"))
            and await self.lookup("deals", clean_name(worth.group("who")))
        ):
            return await self._update_items(worth.group("who"), [("amount", worth.group("value"))], "deals")
        grown = re.match(
            r"(?i)^(?P<who>.+?)\s+(?:has grown to|now has|has|grew to|is up to|is down to|is now|is at|is|are now|are up to|"
            r"are at|are|have)\s+(?:about\s+|around\s+|roughly\s+|~\s*)?"
            r"(?P<n>\d[\d,]*)\s+(?:employees|people|staff)(?:\s+now)?(?:\s*(?:,|\band\b)\s*(?P<more>.+))?$",
            text,
        )
        if grown:
            items = [("employees", grown.group("n"))]
            more = [self._prop_value(p) for p in re.split(r"\s*(?:,(?!\d{3})|;|\band\b)\s*", grown.group("more") or "")]
            if grown.group("more") and not all(more):
                return False
            items += [m for m in more if m]
            who = grown.group("who")
            if re.fullmatch(r"(?i)they|it|we", who) and self.last.get("companies"):
                who = self.last["companies"]
            return await self._update_items(who, items, "companies")
        return False
