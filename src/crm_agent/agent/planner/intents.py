"""Clause by clause, what the user asked for, as tool calls (``Action``s).

Arguments may hold ``@@N``: "the handle that action N returns" (a record created earlier in this
message). References to people and groups ("him", "all three", "them") resolve to records created or
named earlier in the message or the conversation. Narrative clauses ("I finally got through to Ben
Carter") only set who later pronouns mean. Anything else not understood is reported back with a
suggested phrasing; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crm_agent.agent.planner.asking import AskingMixin
from crm_agent.agent.planner.casual import CasualMixin, casual, has_aside
from crm_agent.agent.planner.changing import ChangingMixin
from crm_agent.agent.planner.common import EXAMPLES, GROUP_WORDS, SINGLE_WORDS, SYM, Action, clean_name, strings_in
from crm_agent.agent.planner.creating import CreatingMixin
from crm_agent.agent.planner.each import EachMixin
from crm_agent.agent.planner.emailing import EmailingMixin
from crm_agent.agent.planner.events import EventsMixin
from crm_agent.agent.planner.handover import HandoverMixin
from crm_agent.agent.planner.idioms import IdiomsMixin
from crm_agent.agent.planner.linking import LinkingMixin
from crm_agent.agent.planner.schema import Schema
from crm_agent.agent.planner.tasks_notes import TasksNotesMixin
from crm_agent.agent.planner.terse import TerseMixin
from crm_agent.agent.planner.wording import expand
from crm_agent.crm.schemas import OwnerRecord
from crm_agent.crm.values import fold

Lookup = Callable[[str, str], Awaitable[bool]]
_FILLER = re.compile(
    r"^(?:(?:please|pls|plz|ok|okay|hey|hi|so|and|also|then|now|next|finally|lastly|can you|can u|could you|could u|"
    r"would you|would u|i need you to|i want you to|go ahead and|let's|lets|quick one|quickly)\b[\s,:]*)+",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"[\s,]*(?:\b(?:please|pls|thanks|thank you|now|asap|too|as well|these days|nowadays|at the moment)\b[\s,.!]*)+$",
    re.IGNORECASE,
)
_NOTE = re.compile(r"(?i)^(?:(?:add|log|create|make|leave|write|put|attach|save|a|new|quick)\s+)*note\b")
_DASHED = re.compile(
    r"^(?P<a>.+?)\s+[-–—]+\s+(?P<b>(?:create|add|make|update|change|set|mark|move|delete|remove|archive|assign|"
    r"reassign|hand|give|transfer|pass|link|associate|log|push|bump|close|put|switch)\b.+)$",
    re.IGNORECASE,
)
_STATEMENT = re.compile(r"(?i)\b(?:is|isn't|was|wasn't|got|had|said|wants)\b")
_TYPE_NOUNS = {
    "deal": "deals",
    "opportunity": "deals",
    "opp": "deals",
    "company": "companies",
    "account": "companies",
    "contact": "contacts",
    "person": "contacts",
    "guy": "contacts",
    "task": "tasks",
}
_CONFIRM = re.compile(
    r"(?i)^(?:update|change|do|apply|save|set|fix)\s+(?:them|it|that|those|these|this|all of them|the crm|him|her)?"
    r"(?:\s+(?:accordingly|in the crm|too|as well))?$"
    r"|^(?:add|log|save|put|keep|record)\s+(?:that|this|it)\s+(?:as\s+a\s+note|in\s+(?:a|the)\s+notes?|to\s+the\s+notes?)$"
)
_HEADER = re.compile(r"(?i)^(?P<h>[^:,;]{2,40}?):\s*(?P<rest>\S.*)$")
_PRONOUN = re.compile(r"(?i)\b(his|her|him|their|them|they|its|it)\b")
_IMPLIED_CREATE = re.compile(
    r"(?i)^(?:a|an|another|one more)\s+(?:new\s+)?(?:\S*\d\S*\s+)?(?:contact|company|deal|task|note|lead)\b"
)
_QUESTION_START = re.compile(
    r"(?i)^(?:how|what|what's|whats|who|who's|which|when|where|list|show|find|display|"
    r"count|are there|is there|do we|does|did|pull up|look up|lookup|search|read|tell me|give me)\b"
)
_VERB_START = re.compile(
    r"(?i)^(create|add|new|make|update|change|set|edit|mark|move|delete|remove|archive|assign|"
    r"reassign|link|associate|show|list|find|look|who|what|how|which|log|bump|push|give|tell)\b"
)


@dataclass
class Interpreter(
    CasualMixin,
    CreatingMixin,
    TasksNotesMixin,
    EachMixin,
    ChangingMixin,
    LinkingMixin,
    IdiomsMixin,
    HandoverMixin,
    AskingMixin,
    EmailingMixin,
    TerseMixin,
    EventsMixin,
):
    """Interprets the clauses of one message against the CRM's schema and the conversation so far."""

    schema: Schema
    today: date
    context: dict[str, Any]
    lookup: Lookup
    actions: list[Action] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    people: dict[str, int] = field(default_factory=dict)
    group: tuple[str, list[str]] | None = None
    last: dict[str, str] = field(default_factory=dict)
    last_owner: OwnerRecord | None = None
    last_verb: str | None = None
    last_set: Any = None
    pronoun_next: bool = False
    asked_owner: OwnerRecord | None = None
    failed_clause: str | None = None
    previous_failed: str | None = None

    def add(self, action: Action) -> int:
        """Append an action; its ``needs`` are the ``@@N`` references in its arguments. A change already
        planned in this message ("X is done, close it out") is not planned twice."""
        action.needs = sorted({int(v[2:]) for v in strings_in(action.args) if v.startswith(SYM)})
        if action.read or action.tool in {"update_record", "associate_records"}:
            for index, earlier in enumerate(self.actions):
                same_question = (earlier.question, earlier.style) == (action.question, action.style)
                if earlier.tool == action.tool and earlier.args == action.args and (same_question or not action.read):
                    return index
        self.actions.append(action)
        return len(self.actions) - 1

    # references ---------------------------------------------------------------------------
    def context_group(self) -> tuple[str, list[str]] | None:
        """The group the previous turn left ("them", "all three")."""
        group = self.context.get("last_group") or {}
        ids = [str(i) for i in group.get("ids", [])]
        return (group["type"], ids) if ids and group.get("type") else None

    def last_single(self, type_name: str = "contacts") -> str | None:
        """The record "him"/"her"/"it" means: the latest named in this message, else in the conversation."""
        if type_name in self.last:
            return self.last[type_name]
        for item in reversed(self.context.get("entities", [])):
            if item.get("type") == type_name:
                return str(item["id"])
        return None

    def group_refs(self, type_name: str | None = None) -> tuple[str, list[str]] | None:
        """The current group (this message's, else the conversation's), optionally only of one type."""
        group = self.group or self.context_group()
        if group and (type_name is None or group[0] == type_name):
            return group
        return None

    def refs(self, text: str, type_name: str = "contacts") -> list[str]:
        """The records a phrase names: pronouns, groups, names created in this message, or the phrase
        itself for the tools to resolve."""
        phrase = re.sub(r"['’]s?$", "", text.strip(" ,.?!:;\"'")).strip()
        phrase = re.sub(r"(?i)^(?:the|a|an|our|my)\s+", "", phrase)
        low = phrase.lower()
        if re.fullmatch(GROUP_WORDS, low):
            group = self.group_refs(type_name) or self.group_refs()
            if group:
                return group[1]
            single = self.last_single(type_name)
            return [single] if single and low in {"them", "they", "their"} else []
        if re.fullmatch(SINGLE_WORDS, low) or (low in _TYPE_NOUNS and _TYPE_NOUNS[low] == type_name):
            single = self.last_single(type_name)
            return [single] if single else []
        names = [n for n in re.split(r"\s*(?:,|\band\b|&)\s*", phrase) if n]
        if len(names) > 1 and all(len(n.split()) <= 3 for n in names):
            return [r for n in names for r in self.refs(n, type_name)]
        key = fold(phrase)
        if key in self.people and self.actions[self.people[key]].args.get("object_type_name") == type_name:
            return [f"{SYM}{self.people[key]}"]
        return [phrase] if phrase else []

    def remember(self, type_name: str, ref: str) -> None:
        """Note ``ref`` as the latest record of its type (for later pronouns)."""
        self.last.pop(type_name, None)
        self.last[type_name] = ref

    def thing_type(self) -> str | None:
        """The type "it" means: the latest deal, company or task named in this message, else in the
        conversation (people are "him", "her", "them")."""
        for type_name in reversed(self.last):
            if type_name != "contacts":
                return type_name
        for item in reversed(self.context.get("entities", [])):
            if item.get("type") in {"deals", "companies", "tasks"}:
                return str(item["type"])
        return None

    def subject(self, ref: str) -> str:
        """A human name for a reference."""
        if ref.startswith(SYM):
            return self.actions[int(ref[2:])].subject
        for item in self.context.get("entities", []):
            if str(item.get("id")) == ref:
                return item.get("name") or ref
        return ref

    async def guess_type(self, name: str) -> str:
        """contacts, companies or deals: which type has a record called ``name`` (contacts by default)."""
        key = fold(name)
        if key in self.people:
            return str(self.actions[self.people[key]].args.get("object_type_name"))
        if name.lower() in {"it", "its", "this one", "that one"} and self.thing_type():
            return str(self.thing_type())
        if name.lower() in _TYPE_NOUNS:
            return _TYPE_NOUNS[name.lower()]
        if re.fullmatch(SINGLE_WORDS + "|" + GROUP_WORDS, name.lower()):
            group = self.group_refs()
            return group[0] if group and re.fullmatch(GROUP_WORDS, name.lower()) else "contacts"
        for type_name in ("contacts", "companies", "deals"):
            if await self.lookup(type_name, name):
                return type_name
        return "contacts"

    # dispatch -----------------------------------------------------------------------------
    async def interpret(self, clause: str, pronoun_follows: bool = False) -> None:
        """Turn one clause into actions (or record it as not understood). A clause that only names someone
        ("Tom is leaving") is accepted when ``pronoun_follows`` (the next clause says "his", "her", "their")."""
        self.pronoun_next = pronoun_follows
        self.previous_failed, self.failed_clause = self.failed_clause, None
        text = clause.strip()
        if not _NOTE.match(text):
            text = expand(text)
        text = re.sub(r"(?i)\s*\((?:she|he|they|it|we|i)\b[^()@\d]*\)\s*$", "", text)  # "(she's their new lead)"
        text = casual(_TRAILER.sub("", _FILLER.sub("", text)).strip(" .!"))
        if not text:
            return
        if _IMPLIED_CREATE.match(text):
            text = f"create {text}"
        dash = _DASHED.match(text)
        if dash and not _NOTE.match(text):
            if not _STATEMENT.search(dash.group("a")) and await self.target_first(text):
                return
            second = dash.group("b")
            await self.interpret(dash.group("a"), bool(_PRONOUN.search(second)))
            await self.interpret(second)
            return
        if _CONFIRM.match(text) and self.actions and not self.actions[-1].read:
            return
        if await self.colon_lead(text):
            return
        if has_aside(text) and await self.story(text):
            return
        if await self._dispatch(text):
            verb = _VERB_START.match(text)
            self.last_verb = verb.group(1).lower() if verb else self.last_verb
            return
        if await self.subjectless(text):
            return
        if self.last_verb and not _VERB_START.match(text) and await self._dispatch(f"{self.last_verb} {text}"):
            return
        if re.fullmatch(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}", text) and await self.question(f"look up {text}"):
            return
        if await self.story(text):
            return
        if await self._headed(text):
            return
        if pronoun_follows and (
            await self._narrative(text) or await self.lead_in(text) or await self.task_lead_in(text)
        ):
            return
        if pronoun_follows:
            await self._remember_target(text)
        self.unknown.append(clause.strip())
        self.failed_clause = clause.strip()

    async def _dispatch(self, text: str) -> bool:
        if _QUESTION_START.match(text):
            return await self.question(text)
        for handler in (
            self.arrow,
            self.email,
            self.note,
            self.task,
            self.create,
            self.archive,
            self.reassign,
            self.link,
            self.stage_move,
            self.task_status,
            self.update,
            self.status_change,
            self.contact_event,
            self.verbless_update,
            self.target_first,
            self.question,
        ):
            if await handler(text):
                return True
        return False

    async def _remember_target(self, text: str) -> None:
        """The record a request that was not understood names ("move acme renewal 2027 to stage banana"), so that
        "its" in the next clause still means it; nothing is planned for the request itself."""
        match = re.match(
            r"(?i)^(?:move|set|update|change|mark|push|put|make)\s+(?P<who>.+?)\s+(?:to|as|at|in|into)\b", text
        )
        if not match:
            return
        name = clean_name(match.group("who"))
        for type_name in ("deals", "companies", "contacts"):
            if await self.lookup(type_name, name):
                self.remember(type_name, name)
                return

    async def _headed(self, text: str) -> bool:
        """A request after a short header: ``need a todo: chase ben for the NDA``, ``fyi for the X account: ...``,
        ``clean up: archive ...``. The header says what kind of request it is, or nothing at all."""
        match = _HEADER.match(text)
        if not match:
            return False
        head, rest = match.group("h").strip(), match.group("rest")
        about = re.match(r"(?i)^(?:fyi|note|heads up|update|info)\s+(?:for|on|about|re)\s+(?P<who>.+)$", head)
        if about:
            return await self._dispatch(f"note on {about.group('who')}: {rest}")
        if re.search(r"(?i)\b(?:task|to-?do|reminder)\b", head) and len(head.split()) <= 4:
            return await self._dispatch(f"add a task to {rest}")
        if len(head.split()) <= 3 and not await self.lookup("contacts", head):
            return await self._dispatch(rest)
        return False

    async def _narrative(self, text: str) -> bool:
        """A statement that only names someone ("Tom is leaving", "I finally reached Ben Carter")."""
        if _VERB_START.match(text):
            return False
        found = False
        owner = self.schema.owner_in(text)
        names = re.findall(r"\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\b", text)
        for name in names:
            if name.lower() in {"i", "we", "he", "she", "they"}:
                continue
            if await self.lookup("contacts", name):
                self.remember("contacts", name)
                found = True
                break
        if owner and not found:
            self.last_owner = owner[0]
            found = True
        for name in names if not found else []:
            if await self.lookup("companies", name):
                self.remember("companies", name)
                return True
        return found


__all__ = ["EXAMPLES", "SYM", "Action", "Interpreter"]
