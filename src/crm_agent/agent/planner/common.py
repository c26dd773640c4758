"""What the planner's parts share: the Action type, handle placeholders and pronoun patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SYM = "@@"
EACH = "<each>"  # in an action's arguments: the id of each record that a read found (see ``Action.each``)
EACH_LABEL = "<each label>"  # inside a string argument: that record's name
GROUP_WORDS = (
    r"(?:all (?:three|four|five|two|six|of them|of those|these|those)|both(?: of them)?|each of them|"
    r"them all|all|those|these|them|they|their|everyone|the (?:three|two|four) of them|each)"
)
TASK_WORDS = r"(?:task|call|follow[- ]?up|meeting|reminder|to-?do|check-?in)"
SINGLE_WORDS = r"(?:him|her|he|she|his|hers|its|it|this (?:contact|person|one)|that (?:contact|person|one))"
EXAMPLES = (
    '"Create a contact for Ann Lee (ann@acme.com)", "Update Ann\'s phone to 555-010-2000", '
    '"Create a $5k deal for Ann closing 11/30", "Mark the Acme deal as won", '
    '"How many open deals does Raj have?"'
)


@dataclass
class Action:
    """A tool call to make; ``needs`` are the indices of actions whose handles its arguments use.

    For reads, ``question`` describes what was asked and ``style`` how to answer (count, sum, list, top,
    field, summary). A ``barrier`` action (an e-mail about what the message changed) is planned only
    after every action before it. An ``each`` action is planned once per record that the read action
    ``each`` found, with :data:`EACH` in its arguments replaced by the record's id.
    """

    tool: str
    args: dict[str, Any]
    needs: list[int] = field(default_factory=list)
    read: bool = False
    question: str | None = None
    subject: str = ""
    style: str = ""
    barrier: bool = False
    each: int | None = None


def strings_in(value: Any) -> list[str]:
    """Every string inside ``value`` (nested dicts and lists)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


# Where a typed value ends and the next clause begins: "Palo Alto and they're ~85 people", "Dallas, but ...".
CLAUSE_BOUNDARY = re.compile(
    r"(?i);\s|\s[-–—]\s|,\s*(?=(?-i:[a-z]))|\s+but\s|\s+(?:and|&)\s+(?=(?:they|they're|he|he's|she|she's|it|it's|we|"
    r"we're|i|i'm|you|their|his|her|its|our|my|also|then|set|update|change|make|move|mark|add|create|log|"
    r"bump|push|the\s+\w+\s+(?:is|are|was|has)|\S*\d)\b)|\s+(?:and|&)\s+~"
)
QUOTED = re.compile(r"(?:(?<=[\s:(])|^)[\"“‘'](?P<q>[^\"“”‘’']*[^\"“”‘’'\s])[\"”’'](?=[\s,.;:)!?]|$)")


def ends_clean(value: str) -> bool:
    """Whether a typed free-text value holds no clause boundary (a value never swallows the next request)."""
    return not CLAUSE_BOUNDARY.search(value)


def unquote(text: str) -> str:
    """``'Müller plant 2'`` -> ``Müller plant 2``: quotes around a name are delimiters, not part of it."""
    text = text.strip()
    match = QUOTED.fullmatch(text)
    return match.group("q") if match else text.strip('"“”')


def clean_name(text: str) -> str:
    """A record name as typed, without articles and type words ("the Acme deal" -> "Acme")."""
    name = re.sub(r"(?i)^(?:the|our|my|a|an)\s+", "", text.strip(" ,.'\"“”"))
    name = re.sub(r"(?i)\s+(?:deal|company|contact|account|record|task)$", "", name)
    return re.sub(r"(?i)^(?:deal|company|contact|account|task)\s+", "", name).strip(" \"'“”")
