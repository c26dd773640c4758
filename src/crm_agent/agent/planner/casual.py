"""Casual wordings rewritten to the planner's usual ones, and clauses told as a story with a request.

``quinn's an MQL now`` is ``quinn is an MQL now``; ``give priya everyone at hooli`` is ``give everyone at
hooli to priya``; ``bump every deal closing this month to high priority`` is ``set the priority of every
deal closing this month to high``; ``$5k deal for Ann`` is ``create a $5k deal for Ann``. A clause such
as ``tanya got promoted, title is Head of Ops now`` names its subject in a lead-in and asks for the change
after the comma; ``globex dashboard is lost, they went with a competitor`` asks first and explains after.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import TASK_WORDS

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_PRIORITY = r"(?P<p>high|low|medium|top|urgent)[- ]priority"
_REWRITES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"(?i)^(?P<who>[\w .'’-]+?)['’]s\s+(?:now\s+)?(?=(?:an?|now)\s)"), r"\g<who> is "),
    (re.compile(r"(?i)^(?P<who>they|we|you)['’]re\b"), r"\g<who> are"),
    (
        re.compile(r"(?i)^(?:(?:i'm|i am|we're|we are)\s+)?(?P<v>mov|giv|hand|pass|switch|transferr|reassign)ing\b"),
        lambda m: {"mov": "move", "giv": "give", "transferr": "transfer"}.get(m.group("v").lower(), m.group("v")),
    ),
    (
        re.compile(
            r"(?i)^(?P<deal>[^,;:]+?)\s*(?:[-–—:,]\s*|\s+)(?:the\s+)?contract(?:['’]s|\s+is|\s+was|\s+went|\s+has gone|"
            r"\s+got sent|\s+has been sent)\s+out\b.*$"
        ),
        r"move \g<deal> to contract sent",
    ),
    (
        re.compile(r"(?i)^(?:what(?:'s| is)|whats|anything|is anything|which tasks are)\s+(?:still\s+)?overdue\??$"),
        "list overdue tasks",
    ),
    (re.compile(r"(?i)^close\s+out\s+(?:as\s+)?(?P<s>won|lost)\s+(?P<deal>.+)$"), r"mark \g<deal> as \g<s>"),
    (re.compile(r"(?i)^close\s+(?P<deal>.+?)\s+out(?:\s+as\s+(?P<s>won|lost))?$"), r"close \g<deal> as \g<s>"),
    (re.compile(r"(?i)^close\s+(?P<deal>.+?)\s+out$"), r"close \g<deal>"),
    (
        re.compile(
            r"(?i)^(?:what's|whats|what is|anything|is there anything|what else is)\s+on\s+(?P<who>.+?)['’]s?\s+"
            r"(?:plate|desk|to-?do list|list)$"
        ),
        r"list \g<who>'s open tasks",
    ),
    (
        re.compile(
            r"(?i)^(?:bump|set|make|mark|move|raise|flag|put|change|update)\s+(?P<who>.+?)\s+(?:to|as|at)?\s*"
            r"(?:a\s+)?" + _PRIORITY + r"$"
        ),
        r"set the priority of \g<who> to \g<p>",
    ),
    (
        re.compile(
            r"(?i)^(?:give|hand|pass)\s+(?P<owner>\w+)\s+(?P<target>(?:all|every|each|everyone|everybody)\b.+)$"
        ),
        r"give \g<target> to \g<owner>",
    ),
    (
        re.compile(r"(?i)^(?P<a>(?:[$€£]\s?)?\d[\d,.]*\s*(?:k|m|mm)?\s+(?:deals?|opps?|opportunit(?:y|ies))\b)"),
        r"create \g<a>",
    ),
    (re.compile(r"(?i)^(?:a\s+|an\s+)?(?:new\s+)?(?P<k>task|to-?do|reminder)\s+for\s+"), r"create a \g<k> for "),
    (re.compile(r"(?i)\b(?:north of|upwards of|in excess of)\s+(?=[$€£\d])"), "over "),
    (re.compile(r"(?i)\b(?:south of)\s+(?=[$€£\d])"), "under "),
    (
        re.compile(
            r"(?i)\b(?:(?:that|who|whom)\s+)?(?:we|i)\s+(?:haven't|have not|havent|didn't|did not)\s+(?:talked to|"
            r"spoken to|spoke to|contacted|reached|heard from|touched|called)\s+(?=(?:in|for)\s)"
        ),
        "not contacted ",
    ),
]
_ASIDE = re.compile(
    r"(?i)^(?:(?:they|he|she|we|it|i)\b(?!.*\b(?:create|add|update|set|delete|remove|archive|assign|link|log|mark|"
    r"move|wants?|needs?|asked|asks|would|'d|like|requested|expects?|should|will|'ll|can|could|call|email|meeting|"
    r"demo|follow|send|tomorrow|next|monday|tuesday|wednesday|thursday|friday)\b))"
    r"|^(?:no answer|no reply|no luck|voicemail)\b"
)
_OUTCOME = re.compile(
    r"(?i)^(?:called|rang|emailed|tried|left (?:a )?(?:voicemail|message)|no answer|no reply|went to voicemail)\b"
)
_LEAD_IN = re.compile(
    r"(?i)^(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,3}?)\s+(?:just\s+|finally\s+|recently\s+)?"
    r"(?:is|isn't|is not|was|got|has|had|left|joined|moved|wants|said|called|emailed|slipping|slipped|slips|stalled|"
    r"unsubscribed|opted out|asked|replied|bounced|agreed|declined|accepted|signed|"
    r"'s|’s)\b"
)
_TITLE_IS = re.compile(
    r"^(?P<who>(?i:she|he))(?:['’]s|\s+is)\s+(?:(?i:now|actually)\s+)?(?:(?i:the|our|their|a|an)\s+)?"
    r"(?P<t>(?:[A-Z][\w&/.-]*\s+(?:(?:of|and|&|for)\s+)?)*(?:VP|SVP|EVP|CEO|CTO|CFO|COO|CIO|CMO|Head|Director|"
    r"Manager|Lead|Engineer|President|Officer|Chief|Founder|Owner|Analyst|Buyer|Partner)\b(?:\s+(?:of|and|&|for)?\s*"
    r"[A-Z][\w&/.-]*)*)(?:\s+(?i:now|these days))?$"
)
_PROPERTY_FIRST = re.compile(
    r"(?i)^(?:and\s+)?(?:the\s+|new\s+)?(?P<prop>[a-z][\w -]*?)\s+(?:is now|is|now|->|:|=)\s+(?P<value>.+)$"
    r"|^(?:set|change|update|put)\s+(?:the\s+|his\s+|her\s+|its\s+|their\s+)?(?P<prop2>[a-z][\w -]*?)\s+(?:to|=|as)\s+"
    r"(?P<value2>.+)$"
)


def refers_back(text: str) -> bool:
    """Whether ``text`` needs a record named before it: a pronoun, or a property with no record
    ("close date is now in 10 days")."""
    return bool(re.search(r"(?i)\b(his|her|him|their|them|they|its|it)\b", text) or _PROPERTY_FIRST.match(text))


def has_aside(text: str) -> bool:
    """Whether ``text`` ends in an aside after a comma or dash ("..., they went with a competitor")."""
    parts = re.split(r"\s*,(?!\d{3}\b)\s*|\s+[-–—]\s+", text, maxsplit=1)
    return len(parts) == 2 and bool(_ASIDE.match(parts[1]))


def casual(text: str) -> str:
    """``text`` with casual wordings rewritten to the planner's usual ones (see the module docstring)."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text, count=1)
    return text


class CasualMixin:
    """Lead-ins and asides, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def story(self: Interpreter, text: str) -> bool:
        """A clause with a lead-in or an aside around one request ("X got promoted, title is Y now")."""
        parts = re.split(r"\s*,(?!\d{3}\b)\s*|\s+[-–—]\s+", text, maxsplit=1)
        if len(parts) != 2 or not all(parts):
            return False
        head, tail = parts
        before = len(self.actions)
        if await self._dispatch(head) and (_ASIDE.match(tail) or await self._dispatch(tail)):
            return True
        del self.actions[before:]
        if not (await self.lead_in(head) or await self.task_lead_in(head)):
            owner = self.schema.owner_in(head)
            if not (owner and re.match(r"(?i)^\W*" + re.escape(head[owner[1][0] : owner[1][1]]), head)):
                return False
            self.last_owner = owner[0]  # "raj is out on leave, give his open deals to tom"
        if await self.subjectless(tail) or await self._dispatch(tail):
            return True
        del self.actions[before:]
        return False

    async def colon_lead(self: Interpreter, text: str) -> bool:
        """``anja schroder: set lead status to attempted, called twice``: a record named before a colon, then
        a change of that record (and maybe an aside)."""
        match = re.match(r"(?i)^(?P<who>[^:,]{2,40}):\s*(?P<rest>(?:set|change|update|put)\s.+)$", text)
        if not match:
            return False
        who = match.group("who").strip()
        for type_name in ("contacts", "deals", "companies"):
            if await self.lookup(type_name, who):
                self.remember(type_name, who)
                break
        else:
            return False
        rest = match.group("rest")
        parts = re.split(r"\s*,(?!\d{3}\b)\s*", rest, maxsplit=1)
        before = len(self.actions)
        if await self.subjectless(parts[0]) and (len(parts) == 1 or _ASIDE.match(parts[1]) or _OUTCOME.match(parts[1])):
            return True
        del self.actions[before:]
        return False

    async def task_lead_in(self: Interpreter, text: str) -> bool:
        """``finished the follow up with jürgen``, ``the SOC 2 call with hannah isn't happening today``: a task
        named before the request about it ("mark it done", "push it to monday")."""
        if not re.search(rf"(?i)\b{TASK_WORDS}\b", text):
            return False
        name = re.sub(r"(?i)^(?:i\s+|we\s+)?(?:just\s+)?(?:finished|did|completed|had|made|done with)\s+", "", text)
        name = re.sub(
            r"(?i)\s+(?:is|isn't|is not|won't|will not|can't|got|has been|was)\s+(?:be\s+)?(?:happening|going ahead|"
            r"cancel+ed|off|done|moved|postponed)\b.*$",
            "",
            name,
        )
        name = re.sub(r"(?i)^(?:the|my|our)\s+|\s+(?:task|to-?do)$", "", name.strip())
        name = re.sub(r"(?i)\s+(?:with|about|on|re|regarding|for|to)\b(?=\s)", "", name)
        if not name or not await self.lookup("tasks", name):
            return False
        self.remember("tasks", name)
        return True

    async def lead_in(self: Interpreter, text: str) -> bool:
        """A statement that names its subject first ("noah isn't a real prospect"): remember whom it means."""
        match = _LEAD_IN.match(text)
        if not match or re.fullmatch(r"(?i)i|we|he|she|they|it", match.group("who")):
            return False
        words = match.group("who").split()
        for size in range(len(words), 0, -1):
            name = " ".join(words[:size])
            for type_name in ("contacts", "deals", "companies"):
                if await self.lookup(type_name, name):
                    self.remember(type_name, name)
                    return True
        return False

    async def subjectless(self: Interpreter, text: str) -> bool:
        """``title is Head of Ops now`` / ``amount is now 115k``: a property of the record just named;
        ``she's VP of Sales``: the job title of the person just named."""
        title = _TITLE_IS.match(text)
        if title and not any(
            self.schema.option_in("contacts", p, title.group("t")) for p in ("lifecyclestage", "hs_lead_status")
        ):
            return await self._update_items(title.group("who"), [("job title", title.group("t"))], "contacts")
        match = _PROPERTY_FIRST.match(text)
        if not match:
            return False
        prop = (match.group("prop") or match.group("prop2")).strip()
        value = match.group("value") or match.group("value2")
        for type_name in reversed(list(self.last)):
            if self.schema.property_named(type_name, prop):
                pronoun = "her" if type_name == "contacts" else "its"
                return await self._update_items(pronoun, [(prop, value)], type_name)
        return False
