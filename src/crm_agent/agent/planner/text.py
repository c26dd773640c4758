"""Splitting a message into clauses and reading lists of people out of them.

"Create contacts for Alice (alice@x.com), Bob (bob@y.com), and Charlie, then create a deal for Alice"
splits into two clauses at ", then"; the comma-separated names stay together because a clause only
starts where a new request verb follows the separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_agent.agent.planner.values import find_email, find_phone

VERBS = (
    r"create|add|make|new|open|log|set ?up|register|enter|insert|update|change|set|edit|modify|mark|move|"
    r"delete|remove|archive|drop|get rid of|find|show|list|search|look ?up|pull ?up|display|give|tell|"
    r"how|what|what's|whats|who|which|when|count|is|are|does|do|assign|reassign|hand|transfer|link|associate|"
    r"connect|attach|schedule|remind|close|send|email|put|can|could|please|also|and|we|i|they|he|she|"
    r"note|book|archive"
)
_SPLIT = re.compile(
    r"\s*(?:\n+|;|(?<=[a-z0-9)\]])[.!?]+(?:\s+|$)|,?\s+(?:and\s+)?then\s+|,\s*and\s+also\s+|,\s+also\s+|"
    r",\s*plus\s+|,\s*but\s+|\s+and\s+also\s+|\s+also\s+(?=(?:" + VERBS + r")\b))\s*",
    re.IGNORECASE,
)
_SUBJECT_CLAUSE = re.compile(
    r",\s*(?:and\s+)?(?=[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?\s+(?:is|has|had|was|will|moved|became|works|joined|takes|took|"
    r"just|finally|wants|said|signed|accepted|declined)\b)"
)
_AND_VERB = re.compile(
    r"(?:,\s*(?:and\s+|but\s+)?|\s+and\s+|\s+but\s+|\s+\+\s+)(?!(?-i:[A-Z][a-z]+\s+[A-Z][\w'’-]+\s+\S+@))(?=(?:(?:please|pls|plz)\s+)?(?:"
    r"(?:they|he|she|it|we)(?:['’](?:re|s))?\s+(?:are|is|were|was|have|has|had|now|just|want|wants|need|needs|moved|"
    r"signed|agreed|went|said|asked|became|got|prefer|prefers|should|will|can|must|about|around|roughly|'?re|~|\d)|(?:a|an|another)\s+(?:new\s+)?(?:\S*\d\S*\s+)?(?:contact|company|deal|task|note)\b|create|add|make|update|change|set|edit|mark|move|delete|"
    r"remove|archive|get rid of|trash|find|show|list|log|assign|reassign|link|associate|schedule|remind|"
    r"send|email(?!\s+\S*@)|give|tell|notify|let me know|tick|check off|cross off|how many|what|who|count|"
    r"push|pull|bring|bump|raise|lower|slip|hand|pass|transfer|put|switch|attach|connect|tie|close out|"
    r"close (?:the|it|that)|complete|finish)\b|"
    r"(?:[\w'’-]+\s+){1,4}(?:is now|are now)\s)",
    re.IGNORECASE,
)


def split_clauses(message: str) -> list[str]:
    """The separate requests in ``message``, in order."""
    parts: list[str] = []
    for chunk in _SPLIT.split(message):
        if not chunk or not chunk.strip():
            continue
        pieces = [q for p in _SUBJECT_CLAUSE.split(chunk) for q in _AND_VERB.split(p) if q and q.strip()]
        parts += [p.strip(" ,.;") for p in pieces]
    return [p for p in parts if p]


@dataclass
class Person:
    """A person as typed in a list: name, e-mail (maybe invalid), phone, company, title."""

    first: str
    last: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    jobtitle: str | None = None

    @property
    def full(self) -> str:
        """First and last name."""
        return f"{self.first} {self.last}".strip()


def split_list(text: str, on_and: bool = True) -> list[str]:
    """Items of a typed list, split on commas (and "and"/"&" when ``on_and``) outside parentheses."""
    items, depth, current = [], 0, ""
    tokens = re.split(r"(\(|\)|,|\band\b|&)" if on_and else r"(\(|\)|,)", text)
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if depth == 0 and (token == "," or (on_and and token in {"and", "&"})):
            items.append(current)
            current = ""
        else:
            current += token
    items.append(current)
    return [i.strip() for i in items if i and i.strip()]


def name_case(text: str) -> str:
    """``"mary-jane o'neil"`` -> ``"Mary-Jane O'Neil"``; names already capitalized are kept as typed."""
    if any(c.isupper() for c in text):
        return text
    return re.sub(r"(^|[\s'-])(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


_EMAIL_MARK = "\x00"  # where the e-mail stood in a list item


def parse_person(item: str) -> Person | None:
    """One list item: ``John Doe (john@example.com)``, ``Bob <bob@y.com>``, ``Ann Lee, CTO at Acme``."""
    email = find_email(item)
    phone = find_phone(item.replace(email, "") if email else item)
    text = item.replace(email, f" {_EMAIL_MARK} ") if email else item
    if phone:
        text = text.replace(phone, " ")
    company = None
    match = re.search(r"\b(?:at|from|of|with)\s+([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)", text)
    if match:
        company = match.group(1)
        text = text[: match.start()] + text[match.end() :]
    jobtitle = None
    match = re.search(
        r"\b(?:title|role)\s*[:=]?\s*([\w ]+)$|,\s*(ceo|cto|cfo|coo|vp [\w ]+|head of [\w ]+|"
        r"director [\w ]+|manager)\b",
        text,
        re.IGNORECASE,
    )
    if match:
        jobtitle = (match.group(1) or match.group(2)).strip()
        text = text[: match.start()] + text[match.end() :]
    text = re.sub(
        r"[()<>\[\]\"]|\b(?:email|e-mail|phone|tel|mobile|named|called|is|with)\b\s*:?", " ", text, flags=re.IGNORECASE
    )
    words = [w for w in re.split(r"\s+", text.strip(" ,.:;-")) if w and not re.fullmatch(r"[-–—,.:;]+", w)]
    if _EMAIL_MARK in words:  # the name comes before the e-mail: "lena fischer lena@x.io there" is no name
        if words[-1] != _EMAIL_MARK:
            return None
        words.remove(_EMAIL_MARK)
    if not words and email:
        local = email.split("@")[0]
        words = [w.capitalize() for w in re.split(r"[._-]", local) if w][:2]
    if not words or len(words) > 4 or not all(re.fullmatch(r"[\w.'-]+", w) for w in words):
        return None
    words = [name_case(w) for w in words]
    return Person(
        first=words[0], last=" ".join(words[1:]), email=email, phone=phone, company=company, jobtitle=jobtitle
    )


def parse_people(text: str) -> list[Person] | None:
    """Every person of a list, or None if any item is not a person."""
    people = [parse_person(item) for item in split_list(text)]
    if not people or any(p is None for p in people):
        return None
    return [p for p in people if p is not None]
