"""Owner hand-overs as salespeople say them: ``Raj is taking over Dakota``, ``assign Nadia's leads to Tom``,
``Tom is taking over Olivia Marcus from Priya``, ``pass the acme deals to nadia``, ``every contact at
stark logistics goes to priya now``, ``Priya's taking over everything from Tom`` (all of an owner's
contacts, companies and deals)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import Action, clean_name
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_FROM_NOW = (
    r"(?i)\s+(?:now|from now on|going forward|for now|instead|starting (?:today|now|monday)|"
    r"effective (?:today|immediately)|(?:till|until|while)\s+(?:he|she|they)(?:['’]s|['’]re| is| are)\s+(?:back|away|out|"
    r"on leave)|for (?:the|a) (?:week|month|while))$"
)
_WHOLE_BOOK = (
    r"(?i)['’]s\b|\b(?:all|of|accounts?|records?|book|portfolio|everything|stuff|whole|entire|her|his|their|the|"
    r"lot|territory|pipeline|customers|clients|everyone|everybody)\b"
)


def _from_owner(schema: Any, target: str) -> tuple[str, Any]:
    """``Olivia Marcus from Priya`` -> (``Olivia Marcus``, Priya): the owner records are taken from, if named."""
    match = re.match(r"(?i)^(?P<target>.*?)\s*\bfrom\s+(?P<owner>[\w.@ ]+?)$", target)
    if match and schema.is_owner_name(match.group("owner")):
        return match.group("target").strip(), schema.owner_in(match.group("owner"))
    return target, None


class HandoverMixin:
    """Hand-overs, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def reassign(self: Interpreter, text: str) -> bool:
        """``Raj is taking over Dakota``, ``assign Nadia's leads to Tom``, ``move his open deals to Priya``."""
        patterns = [
            r"(?i)^(?P<target>.+?)\s+(?:goes|go|moves|move|passes|belongs|belong)\s+(?:over\s+)?to\s+(?P<owner>.+)$",
            r"(?i)^(?P<target>.+?)\s+(?:is|are)\s+(?P<owner>\w+)['’]s(?:\s+now|\s+from now on)?$",
            r"(?i)^(?P<owner>.+?)(?:\s+is|\s+will be|['’]s|['’]ll be)\s+(?:taking over|now owns|owning|handling|covering)\s+(?P<target>.+)$",
            r"(?i)^(?P<owner>.+?)\s+(?:takes|took)\s+over\s+(?P<target>.+)$",
            r"(?i)^(?:re-?assign|assign|transfer|hand(?:\s+over)?|give|move|switch|pass|shift|send)\s+(?P<target>.+?)\s+"
            r"(?:over\s+|across\s+)?to\s+"
            r"(?P<owner>.+)$",
            r"(?i)^(?:make|set)\s+(?P<owner>.+?)\s+(?:the|as)\s+(?:new\s+)?owner\s+(?:of|for)\s+(?P<target>.+)$",
            r"(?i)^(?:change|update|set)\s+(?:the\s+)?owner\s+(?:of|for|on)\s+(?P<target>.+?)\s+to\s+(?P<owner>.+)$",
            r"(?i)^(?:change|update|set)\s+(?P<target>.+?)['’]s?\s+owner\s+to\s+(?P<owner>.+)$",
        ]
        for pattern in patterns:
            match = re.match(pattern, text)
            if not match:
                continue
            owner_text = re.sub(_FROM_NOW, "", match.group("owner").strip(" .!"))
            owner_hit = self.schema.owner_in(owner_text)
            if not owner_hit or len(owner_text.split()) > 3:
                continue
            owner = owner_hit[0]
            target = re.sub(_FROM_NOW, "", match.group("target").strip(" ."))
            target, previous = _from_owner(self.schema, self._owner_pronoun(target))
            props = {"hubspot_owner_id": owner.email}
            previous = previous or self.schema.owner_in(target)
            bare = re.sub(_WHOLE_BOOK, " ", target)
            if previous and (
                not bare.strip()
                or fold(bare).strip()
                in {
                    fold(previous[0].firstName),
                    fold(f"{previous[0].firstName} {previous[0].lastName}"),
                }
            ):
                for type_name in ("contacts", "companies", "deals"):
                    records = {
                        "object_type": type_name,
                        "filter_groups": [
                            [{"property": "hubspot_owner_id", "operator": "EQ", "value": previous[0].email}]
                        ],
                    }
                    self.add(
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
            with_deals = re.match(
                r"(?i)^(?P<company>.+?)(?:\s+account)?\s+(?:and|plus|with)\s+(?:all\s+)?(?:of\s+)?"
                r"(?:its|their|the)\s+deals$",
                target,
            )
            if with_deals:
                company = clean_name(with_deals.group("company"))
                if not await self.apply_to(company, props, type_hint="companies"):
                    return False
                self.add(
                    Action(
                        "update_records",
                        {
                            "records": {
                                "object_type": "deals",
                                "associated_with": {"object_type": "companies", "ref": company},
                            },
                            "properties": props,
                            "description": f"deals of {company}",
                        },
                    )
                )
                return True
            if await self.apply_to(target, props):
                return True
        return False
