"""What happened with a contact, told as news, read as the lead status HubSpot uses for it.

"Ben picked up", "we finally connected with Ben Carter", "spoke to Maria this morning" mean the
contact was reached (``CONNECTED``); "no answer from Quinn", "left Aisha a voicemail", "Kevin didn't
pick up" mean a contact attempt (``ATTEMPTED_TO_CONTACT``). A status typed after the news ("Ben
picked up, lead status in progress") wins over the one the news implies. The person must be a
contact of the CRM (or of this message); anything else after the news is not guessed at.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_agent.agent.planner.common import SINGLE_WORDS, SYM

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_NAME = r"(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,2}?)"
_REST = r"(?P<rest>[\w'’.-].*)"
_SOON = r"(?:\s+(?:finally|just|at last|actually|eventually))?"
_REACHED_VERBS = (
    r"(?:connected|spoke|spoken|talked|chatted|got through|got hold|got a hold|reached|caught up|had a call|had a chat|"
    r"got a call back|heard back)"
)
_CONNECTED = [
    rf"(?i)^{_NAME}{_SOON}\s+(?:picked up|answered(?: the phone| my call| our call)?|called (?:me |us )?back|"
    r"got back to (?:me|us)|replied|responded|wrote back|emailed back|returned (?:my|our) call|"
    r"(?:is|was) (?:finally )?reachable|took (?:my|our|the) call)\b(?P<tail>.*)$",
    rf"(?i)^(?:i|we|i've|we've|i have|we have){_SOON}\s+{_REACHED_VERBS}\s+(?:with|to|of|from)?\s*{_REST}$",
    rf"(?i)^(?:finally\s+)?{_REACHED_VERBS}\s+(?:with|to|of|from)?\s*{_REST}$",
]
_ATTEMPTED = [
    rf"(?i)^{_NAME}\s+(?:didn't|did not|doesn't|does not|won't|never|still hasn't|hasn't|isn't|is not)\s+"
    r"(?:pick(?:ed)? up|answer(?:ed|ing)?|repl(?:y|ied)|respond(?:ed)?|call(?:ed)? (?:me |us )?back|"
    r"get back to (?:me|us)|got back to (?:me|us))\b(?P<tail>.*)$",
    rf"(?i)^(?:no answer|no reply|no response|no luck|nothing|voicemail|straight to voicemail)\s+"
    rf"(?:from|with|at|reaching|for)\s+{_REST}$",
    rf"(?i)^(?:i\s+|we\s+)?(?:left|sent)\s+{_NAME}\s+(?:a\s+)?(?:voicemail|vm|message)\b(?P<tail>.*)$",
    rf"(?i)^(?:i\s+|we\s+)?(?:left (?:a\s+)?(?:voicemail|vm|message)|tried(?: calling| to call| to reach| reaching|"
    rf" phoning| ringing)?|rang|rung|phoned|called)\s+(?:for|with|to)?\s*{_REST}$",
]
_TAIL_FILLER = re.compile(
    r"(?i)^[\s,.!]*(?:(?:finally|today|this morning|this afternoon|yesterday|just now|earlier|again|at last|"
    r"on the phone|by phone|over the phone|on a call|twice|three times|no answer|no reply|no luck|voicemail)\b"
    r"[\s,.!]*)*$"
)


class EventsMixin:
    """News about contacts, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def contact_event(self: Interpreter, text: str) -> bool:
        """``Ben picked up`` -> lead status CONNECTED; ``no answer from Quinn`` -> ATTEMPTED_TO_CONTACT."""
        for status, patterns in (("CONNECTED", _CONNECTED), ("ATTEMPTED_TO_CONTACT", _ATTEMPTED)):
            for pattern in patterns:
                match = re.match(pattern, text.strip(" .!"))
                if not match:
                    continue
                if "rest" not in match.groupdict():
                    if await self._news(match.group("who"), match.group("tail"), status):
                        return True
                    continue
                words = match.group("rest").split()
                for size in (3, 2, 1):
                    who, tail = " ".join(words[:size]).strip(" ,.!"), " ".join(words[size:])
                    if size <= len(words) and await self._news(who, tail, status, quiet=True):
                        return True
        return False

    async def _news(self: Interpreter, who: str, tail: str, status: str, quiet: bool = False) -> bool:
        """Apply the news to ``who`` (when ``quiet``, only if ``who`` names a contact outright)."""
        who = who.strip(" ,")
        if quiet and not _TAIL_FILLER.match(tail) and not re.match(r"^\s*[,;:-]", tail):
            return False
        if re.fullmatch(r"(?i)i|we|he|she|they|it|someone|nobody|no one", who):
            return False
        refs = self.refs(who, "contacts")
        if len(refs) != 1:
            return False
        known = re.fullmatch(SINGLE_WORDS, who.lower()) or refs[0].startswith(SYM) or refs[0].isdigit()
        if not known and not await self.lookup("contacts", who):
            return False
        if self.pronoun_next:
            self.remember("contacts", refs[0])
            return True
        if _TAIL_FILLER.match(tail):
            return await self.apply_to(who, {"hs_lead_status": status}, type_hint="contacts")
        explicit = re.sub(r"^[\s,;:-]+", "", tail)
        for _, prop, value in self._split_property(f"{who} {explicit}"):
            if await self._set_terse(who, prop, value):
                return True
        return False
