"""Requests for e-mail: a summary of a set of records, a follow-up or meeting request from a template, a
notification about what the message just created, or a free-text e-mail. All become drafts for approval."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_agent.agent.planner.common import SYM, Action
from crm_agent.agent.planner.sets import parse_set

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_TEMPLATES = {"follow": "follow_up", "meeting": "meeting_request", "request": "meeting_request"}


class EmailingMixin:
    """E-mail requests, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def email(self: Interpreter, text: str) -> bool:
        """``send me an email summary of all deals created today``, ``email Ann a follow-up``, ``notify me``,
        ``email Ann: the quote is attached``."""
        summary = re.match(
            r"(?i)^(?:send|email|e-mail|mail|shoot|draft)\s+(?:me|us)\s+(?:an?\s+)?(?:e-?mail(?:ed)?\s+)?"
            r"(?:summary|report|list|digest|recap|overview)\s+(?:of|on|with|for)\s+(?P<set>.+)$",
            text,
        )
        if summary:
            parsed = parse_set(
                summary.group("set"),
                self.schema,
                self.today,
                self.schema.object_type_in(summary.group("set")) or "deals",
            )
            if parsed is None:
                return False
            title = f"Summary of {parsed.describe()}"
            self.add(
                Action(
                    "email_search_summary", {"records": parsed.to_arg(), "title": title}, subject=title, barrier=True
                )
            )
            return True
        notify = re.match(
            r"(?i)^(?:notify|tell|email|e-mail|let)\s+(?:me|us)(?:\s+know)?(?:\s+(?:by|via)\s+e-?mail)?"
            r"(?:\s+about\s+(?:it|that|this|them))?$",
            text,
        )
        if notify:
            for type_name, template, arg in (
                ("deals", "deal_created", "deal"),
                ("contacts", "contact_created", "contact"),
            ):
                ref = self.last.get(type_name)
                if ref and ref.startswith(SYM):
                    self.add(Action("draft_template_email", {"template": template, arg: ref}, barrier=True))
                    return True
            return False
        templated = re.match(
            r"(?i)^(?:send|email|e-mail|draft|write)\s+(?P<who>.+?)\s+(?:an?\s+)?(?P<kind>follow[- ]?up|"
            r"meeting request|meeting invite|request for a meeting)(?:\s+(?:e-?mail|note|message))?"
            r"(?:\s+about\s+(?P<topic>.+))?$",
            text,
        )
        if templated:
            refs = self.refs(templated.group("who"))
            if len(refs) != 1:
                return False
            template = _TEMPLATES[templated.group("kind").split()[0].split("-")[0].lower()]
            variables = {"topic": templated.group("topic")} if templated.group("topic") else {}
            self.add(
                Action(
                    "draft_template_email",
                    {"template": template, "to": [refs[0]], "contact": refs[0], "variables": variables},
                )
            )
            return True
        free = re.match(
            r"(?i)^(?:email|e-mail|write to|message|draft an email to|send an email to)\s+(?P<who>[^:]+?)"
            r"\s*(?::|saying|to say|that|-)\s*(?P<body>.+)$",
            text,
        )
        if free:
            refs = self.refs(free.group("who"))
            if not refs:
                return False
            body = free.group("body").strip()
            subject = re.split(r"(?<=[.!?])\s", body)[0][:70].rstrip(".!?")
            self.add(Action("draft_email", {"to": refs, "subject": subject, "body": body, "category": "sales"}))
            return True
        return False
