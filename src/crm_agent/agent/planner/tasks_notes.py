"""Requests that create tasks and notes: ``remind me to call Bob next Tuesday``, ``note on Sarah: ...``,
``task for Raj to ...`` (an owner named first), ``<what happened>, put a note on X``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import SYM, Action
from crm_agent.agent.planner.creating import _drop
from crm_agent.agent.planner.each import EVERY
from crm_agent.agent.planner.values import find_date
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter


_WANTS = re.compile(
    r"(?i)^(?P<who>[\w'’.-]+(?:\s+[\w'’.-]+){0,2}?)\s+(?:wants|asked for|needs|would like|'d like|requested)\s+(?:a|an|another)\s+"
    r"(?P<kind>call|callback|call back|demo|meeting)\s+(?P<when>.+)$"
)


class TasksNotesMixin:
    """Tasks and notes, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def note(self: Interpreter, text: str) -> bool:
        """``add a note to Acme: ...``, ``note on Sarah: ...``; ``<what happened>, put a note on X`` (the clause
        before is the note)."""
        match = re.match(
            r"(?i)^(?:add|log|create|make|leave|write|put|attach|save)?\s*(?:a\s+)?note\s+(?:to|on|for|"
            r"about|against)\s+(?P<who>.+?)\s*(?::|saying|that says|that|-|—|,)\s*(?P<body>.+)$",
            text,
        )
        bare = re.match(
            r"(?i)^(?:put|add|log|leave|make|write|save|drop)\s+(?:a\s+|that\s+as\s+a\s+|this\s+as\s+a\s+)?note\s+"
            r"(?:to|on|for|against|in)\s+(?P<who>.+)$",
            text,
        )
        if not match and bare and self.previous_failed and self.unknown and self.unknown[-1] == self.previous_failed:
            match = bare
            body = self.unknown.pop()
        elif not match:
            return False
        else:
            body = match.group("body").strip().strip("\"'")
        who = re.sub(r"(?i)\b(the|deal|company|contact)\b", " ", match.group("who")).strip()
        type_name = self.schema.object_type_in(match.group("who"))
        if type_name not in {"contacts", "companies", "deals"}:
            type_name = await self.guess_type(who)
        refs = self.refs(who, type_name)
        if not refs:
            return False
        for ref in refs:
            self.remember(type_name, ref)
            self.add(
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

    async def task(self: Interpreter, text: str) -> bool:
        """``add a task to call Bob next Tuesday``, ``remind me to email Ann on Friday``, ``he wants a call
        next thursday`` (a task to call him)."""
        wants = _WANTS.match(text)
        if wants and find_date(wants.group("when"), self.today):
            who = wants.group("who")
            if re.fullmatch(r"(?i)he|she|they", who):
                who = {"he": "him", "she": "her", "they": "them"}[who.lower()]
                if not self.last_single("contacts"):
                    return False
            elif fold(who) not in self.people and not await self.lookup("contacts", who):
                return False
            verb = "call" if wants.group("kind").lower().startswith("call") else f"{wants.group('kind')} with"
            text = f"add a task to {verb} {who} {wants.group('when')}"
        match = re.match(
            r"(?i)^(?:create|add|set|make|schedule|log|new)\s+(?:a\s+)?(?:new\s+)?(?:task|reminder|to-?do|"
            r"follow[- ]up(?: task)?)\s*(?:to|for|:|-)?\s*(?P<body>.+)$",
            text,
        ) or re.match(r"(?i)^(?:new\s+)?(?:task|reminder|to-?do|follow[- ]up)\s*(?::|-|–|—)\s*(?P<body>.+)$", text)
        typed = re.match(
            r"(?i)^(?:create|add|set|make|schedule|log|new)\s+(?:a\s+|an\s+)?(?P<kind>call|email|e-mail|to-?do)"
            r"\s+(?:task|reminder)\s+(?:for|with|to)\s+(?P<who>.+)$",
            text,
        )
        if typed:
            verb = {"call": "Call", "email": "Email", "e-mail": "Email"}.get(
                typed.group("kind").lower(), "Follow up with"
            )
            text = f"add a task to {verb} {typed.group('who')}"
            match = re.match(r"(?i)^add a task to (?P<body>.+)$", text)
        remind = re.match(r"(?i)^remind\s+(?:me|us)\s+(?P<when>.+?)\s+to\s+(?P<body>.+)$", text)
        if remind and find_date(remind.group("when"), self.today):
            text = f"remind me to {remind.group('body')} {remind.group('when')}"
        match = match or re.match(r"(?i)^remind\s+(?:me|us)\s+to\s+(?P<body>.+)$", text)
        if not match:
            return False
        body = match.group("body")
        props: dict[str, Any] = {"hs_task_status": "NOT_STARTED"}
        for_owner = re.match(r"(?i)^(?:for\s+)?(?P<o>\w+(?:\s+\w+)?)(?:\s+to|\s*:|\s+-)\s+(?P<rest>.+)$", body)
        if for_owner and self.schema.is_owner_name(for_owner.group("o")):
            props["hubspot_owner_id"] = self.schema.owner_in(for_owner.group("o"))[0].email  # type: ignore[index]
            body = for_owner.group("rest")
        every = EVERY.match(body.strip())
        offset = body.find(every.group("rest")) if every else 0  # a set's own dates ("not contacted in 1 week")
        hit = find_date(body[offset:], self.today)
        if hit:
            props["hs_timestamp"] = hit[0].isoformat()
            body = _drop(body, (hit[1][0] + offset, hit[1][1] + offset))
            body = re.sub(r"(?i)(?:^|\s+)\b(due|by|on|for|before|at)\s*$", "", body.strip())
        priority = re.search(
            r"(?i)\b(high|low|medium)\s+priority\b|\bpriority\s+(high|low|medium)\b|\b(urgent)\b", body
        )
        if priority:
            word = (priority.group(1) or priority.group(2) or "high").upper()
            props["hs_task_priority"] = "HIGH" if word == "URGENT" else word
            body = _drop(body, priority.span())
        body = re.sub(r"\s+", " ", body).strip(" ,.-")
        if not body:
            return False
        default = "Follow up" if re.search(r"(?i)follow[- ]?up", match.group(0)) else "Check in"
        for_each = await self.task_for_each(body, props, default)
        if for_each is not None:
            return for_each
        lowered = body.lower()
        props["hs_task_type"] = (
            "CALL"
            if re.match(r"(call|phone|ring)\b", lowered)
            else ("EMAIL" if re.match(r"(email|e-mail|send)\b", lowered) else "TODO")
        )
        props["hs_task_subject"] = body[0].upper() + body[1:]
        assoc = await self._task_target(body)
        name = self.subject(assoc["ref"]) if assoc else ""
        if name and not name.isdigit() and not name.startswith(SYM):
            props["hs_task_subject"] = re.sub(r"(?i)\b(?:him|her|them)\b", name, props["hs_task_subject"], count=1)
        args: dict[str, Any] = {"object_type_name": "tasks", "properties": props}
        if assoc:
            args["associations"] = [assoc]
        self.add(Action("create_record", args, subject=props["hs_task_subject"]))
        return True

    async def _task_target(self: Interpreter, body: str) -> dict[str, Any] | None:
        who = re.search(
            r"(?:call|email|e-mail|ring|phone|follow up with|check in with|meet|ping|send|text|visit|with|chase|nudge|"
            r"remind|ask|thank|invite|contact|reach out to|get back to|hear back from)\s+"
            r"(?P<who>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?|him|her|them)",
            body,
            re.IGNORECASE,
        )
        if who:
            words = who.group("who").split()
            for name in [" ".join(words), words[0]] if len(words) > 1 else words:
                ref = self.refs(name)
                if ref and (ref[0].startswith(SYM) or ref[0].isdigit() or await self.lookup("contacts", ref[0])):
                    return {"object_type": "contacts", "ref": ref[0]}
        for name in re.findall(r"\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)\b", body):
            for type_name in ("contacts", "companies", "deals"):
                if await self.lookup(type_name, name):
                    return {"object_type": type_name, "ref": name}
        return None
