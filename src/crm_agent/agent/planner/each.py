"""One record per member of a set: "<set> - create a follow-up task for each, due monday",
"add a task for every customer not contacted in 3 weeks to check in".

The set is searched first (a read, so the reply lists who it is); the task is then planned once per
record found, associated with that record (:meth:`RulesPlanner._expand` in :mod:`model`). A set of
more than ``EACH_LIMIT`` records is not expanded: the reply says so and nothing is written for it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.common import EACH, EACH_LABEL, Action
from crm_agent.agent.planner.set_words import unused_words
from crm_agent.agent.planner.sets import parse_set

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

EACH_LIMIT = 10  # as many as a bulk change may touch without approval
_EACH_PHRASE = re.compile(
    r"(?i)\b(?:for\s+)?(?:each of them|each of those|each one|every one of them|every one|all of them|all of those|"
    r"them all|each|everyone|everybody)\b"
)
EVERY = re.compile(
    r"(?i)^(?:for\s+)?(?:each|every|all(?: of)?)\s+(?!(?:of\s+)?(?:them|those|these)\b|one\b)(?P<set>.+?)\s+to\s+"
    r"(?P<rest>.+)$"
)


class EachMixin:
    """Creates per member of a set, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    async def task_for_each(self: Interpreter, body: str, props: dict[str, Any], subject: str) -> bool | None:
        """Plan a task per member of the set ``body`` names; None when ``body`` names no set."""
        every = EVERY.match(body.strip())
        if every:
            return await self._task_per_set(every.group("set"), every.group("rest"), props)
        each = _EACH_PHRASE.search(body)
        if not each:
            return None
        rest = re.sub(r"(?i)^to\s+", "", f"{body[: each.start()]} {body[each.end() :]}".strip(" ,"))
        subject = _subject(rest or subject)
        read = next((i for i in range(len(self.actions) - 1, -1, -1) if self._lists_set(i)), None)
        if read is not None:
            return self._expand_task(read, props, subject)
        if self.group:
            for ref in self.group[1]:
                self._each_task(
                    props,
                    subject.replace(EACH_LABEL, self.subject(ref)),
                    {"object_type": self.group[0], "ref": ref},
                )
            return True
        remembered = self.context.get("last_set")
        if not remembered:
            return False
        records = remembered["records"]
        read = self.add(
            Action(
                "search_records",
                {"records": records, "limit": 100},
                read=True,
                question=remembered["description"],
                style="list",
            )
        )
        return self._expand_task(read, props, subject)

    async def _task_per_set(self: Interpreter, set_text: str, rest: str, props: dict[str, Any]) -> bool:
        parsed = parse_set(set_text, self.schema, self.today, "contacts")
        if parsed is None or not (parsed.filters or parsed.alternatives or parsed.associated_with):
            return False
        if parsed.company_typed and not await self.lookup("companies", parsed.associated_with["ref"]):
            return False
        if unused_words(set_text, parsed, self.schema):
            return False  # a word no filter used would widen the set: not understood, nothing written
        read = self.add(
            Action(
                "search_records",
                {"records": parsed.to_arg(), "limit": 100},
                read=True,
                question=parsed.describe(),
                style="list",
            )
        )
        return self._expand_task(read, props, _subject(rest))

    def _lists_set(self: Interpreter, index: int) -> bool:
        action = self.actions[index]
        return action.tool == "search_records" and action.read and action.style == "list"

    def _expand_task(self: Interpreter, read: int, props: dict[str, Any], subject: str) -> bool:
        type_name = self.actions[read].args["records"]["object_type"]
        if type_name not in {"contacts", "companies", "deals"}:
            return False
        args = {
            "object_type_name": "tasks",
            "properties": {**props, "hs_task_subject": subject},
            "associations": [{"object_type": type_name, "ref": EACH}],
        }
        self.add(Action("create_record", args, subject=subject, each=read))
        return True

    def _each_task(self: Interpreter, props: dict[str, Any], subject: str, record: dict[str, Any]) -> None:
        args = {
            "object_type_name": "tasks",
            "properties": {**props, "hs_task_subject": subject},
            "associations": [record],
        }
        self.add(Action("create_record", args, subject=subject))


def _subject(rest: str) -> str:
    """The task subject for one record: "call them" -> "Call <each label>"; "check in" -> "Check in with ...";
    "send the deck" -> "Send the deck - ..."."""
    text = re.sub(r"(?i)\b(?:them|him|her|each)\b", EACH_LABEL, rest.strip(), count=1)
    if EACH_LABEL not in text:
        if re.fullmatch(r"(?i)call|email|e-mail|ring|ping|text|meet|visit|phone", text):
            text = f"{text} {EACH_LABEL}"
        elif re.match(r"(?i)(?:check in|follow up|catch up|touch base)\b", text):
            text = f"{text} with {EACH_LABEL}"
        else:
            text = f"{text} - {EACH_LABEL}"
    return text[0].upper() + text[1:]
