"""Associations in their many wordings: ``link Liam to Dunder Mifflin``, ``Fatima works at Umbrella Health``,
``put noah on the pied piper deal``, ``X just joined Y, link her to the company``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_agent.agent.planner.common import Action, clean_name
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_TYPES = {"contacts", "companies", "deals", "tasks", "notes"}
_LINK_VERB = r"(?:link|associate|connect|attach|tie)"


def _casual_link(text: str) -> str:
    """``hook him up to X``, ``X should also be linked to Y``, ``link to Y`` (the record just named) -> ``link A to B``."""
    text = re.sub(r"(?i)\s+(?:too|as well|also)$", "", text.strip())
    text = re.sub(r"(?i)^hook\s+(?P<a>.+?)\s+up\s+(?:to|with)\s+", r"link \g<a> to ", text)
    text = re.sub(
        r"(?i)^(?P<a>.+?)\s+(?:should|needs to|has to|must)\s+(?:also\s+)?be\s+(?:linked|associated|connected|attached|"
        r"tied)\s+(?:to|with)\s+",
        r"link \g<a> to ",
        text,
    )
    return re.sub(rf"(?i)^(?P<v>{_LINK_VERB})\s+(?:it\s+|this\s+)?(?=(?:to|with)\s)", r"\g<v> it ", text)


class LinkingMixin:
    """Associations, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def link(self: Interpreter, text: str) -> bool:
        """``link Liam to Dunder Mifflin``, ``Fatima works at Umbrella Health``, ``associate it with Richard``."""
        text = _casual_link(text)
        match = re.match(
            r"(?i)^(?:link|associate|connect|attach|tie|add)\s+(?P<a>.+?)\s+(?:to|with)\s+(?P<b>.+)$", text
        )
        if match and text.lower().startswith("add") and not self.schema.object_type_in(match.group("b")):
            return False
        works_on = re.match(
            r"(?i)^(?P<a>.+?)\s+(?:should be|is|needs to be|belongs)\s+on\s+(?P<b>.+?\bdeal)(?:\s+too|"
            r"\s+as well)?$",
            text,
        ) or re.match(
            r"(?i)^(?:put|add|get|stick|loop|bring)\s+(?P<a>.+?)(?:\s+in)?\s+(?:on|in|into|onto)\s+(?P<b>.+?\bdeal)$",
            text,
        )
        if works_on and re.search(r"\d", works_on.group("a")):
            return False
        if works_on:
            a_refs = self.refs(clean_name(works_on.group("a")), "contacts")
            deal = clean_name(works_on.group("b"))
            if a_refs:
                for a in a_refs:
                    self.add(
                        Action(
                            "associate_records",
                            {
                                "record": {"object_type": "contacts", "ref": a},
                                "to": {"object_type": "deals", "ref": deal},
                            },
                        )
                    )
                return True
        works = re.match(
            r"(?i)^(?P<a>.+?)\s+(?:now\s+)?(?:works at|works for|is at|is with|joined)\s+"
            r"(?P<b>.+?)(?:\s+now)?$",
            text,
        )
        match = match or works
        if not match:
            return False
        a_text = clean_name(re.sub(r"(?i)\s+(?:just|recently|finally|has|now)$", "", match.group("a")))
        b_text = clean_name(match.group("b"))
        if re.fullmatch(r"(?i)(?:the\s+|that\s+)?(?:company|account|deal)", match.group("b").strip()):
            kind = "deals" if match.group("b").strip().lower().endswith("deal") else "companies"
            b_text = self.last.get(kind, b_text)
        a_type = self.schema.object_type_in(match.group("a"))
        b_type = self.schema.object_type_in(match.group("b"))
        if a_type not in _TYPES:
            a_type = "deals" if a_text.lower() == "it" and "deals" in self.last else await self.guess_type(a_text)
        if b_type not in _TYPES:
            if b_text.lower() == "it":
                b_type = next((t for t in ("companies", "deals") if t in self.last), "companies")
            elif works or await self.lookup("companies", b_text) or fold(b_text) in self.people:
                b_type = await self.guess_type(b_text) if fold(b_text) in self.people else "companies"
            else:
                b_type = await self.guess_type(b_text)
        if a_type == b_type or (works and b_type != "companies"):
            return False
        if works and fold(b_text) not in self.people and not await self.lookup("companies", b_text):
            return False
        a_refs, b_refs = self.refs(a_text, a_type), self.refs(b_text, b_type)
        if not a_refs or not b_refs:
            return False
        self.remember(b_type, b_refs[0])
        self.remember(a_type, a_refs[-1])
        for a in a_refs:
            self.add(
                Action(
                    "associate_records",
                    {
                        "record": {"object_type": a_type, "ref": a},
                        "to": {"object_type": b_type, "ref": b_refs[0], "primary": b_type == "companies"},
                    },
                )
            )
        return True
