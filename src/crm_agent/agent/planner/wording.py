"""How salespeople shorten what they type, undone before a message is interpreted.

``amt 8k`` is ``amount 8k``, ``in 2 wks`` is ``in 2 weeks``, ``w/`` is ``with``, ``tmrw`` is ``tomorrow``;
a list announced on one line ("add 2 contacts pls:") continues on the lines that follow it, and a
header line such as "couple things:" only announces the requests below it. Words inside e-mail
addresses and domains are never touched.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "amt": "amount",
    "amnt": "amount",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "tomoz": "tomorrow",
    "2moro": "tomorrow",
    "nxt": "next",
    "acct": "account",
    "accts": "accounts",
    "ph": "phone",
    "mob": "phone",
    "eml": "email",
    "b4": "before",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "abt": "about",
    "re": "about",
    "ppl": "people",
    "mtg": "meeting",
    "convo": "conversation",
}
_UNITS = {
    "d": "days",
    "w": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "mo": "months",
    "mos": "months",
    "mth": "months",
    "mths": "months",
    "m": "months",
    "y": "years",
    "yr": "years",
    "yrs": "years",
}
_DAYS = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
_WORD = re.compile(
    r"(?<![\w@.&/'’-])(" + "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w@&'’-]|\.\w)", re.I
)
_UNIT = re.compile(
    r"(?i)\b(in|within|next|last|past|for|over)\s+(\d+)\s?("
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")\.?(?![\w@])"
)
_DAY = re.compile(
    r"(?i)\b(on|by|due|next|this|until|till|before|from|after|coming)\s+("
    + "|".join(sorted(_DAYS, key=len, reverse=True))
    + r")\.?(?![\w@])"
)
_WITH = re.compile(r"(?<![\w/])w/(?=\s|\w)", re.I)
_PLEASE = re.compile(r"[\s,]*\bplease\b(?=\s*[:,;.!?]|\s*$)|^\s*please\b[\s,]*", re.I)
_HEADER = re.compile(
    r"(?i)^(?:(?:ok|okay|hey|hi|so|quick|a|few|a few|some|couple(?: of)?|a couple(?: of)?|two|three|\d+|"
    r"small|more|other|misc|following|the following)\s+)*(?:things|updates|changes|items|edits|fixes|"
    r"todos|to-dos|tasks for you|requests|bits)(?:\s+(?:please|for you|to do|to make|today))*\s*:?$"
)
_LIST_HEADER = re.compile(
    r"(?i)^(?:please\s+)?(?:create|add|make|enter|new|set up|register|put in|insert|log)\s+(?:these\s+|the following\s+|"
    r"some\s+|a few\s+|\d+\s+|two\s+|three\s+|four\s+|five\s+)?(?:new\s+)?(?:contacts|leads|people|customers|"
    r"prospects)(?:\s+(?:please|for me|to the crm))*\s*:$"
)

_DEBRIEF = re.compile(r"(?i)\b(?:update|updates|recap|debrief|notes|summary|after|from)\b[^:]*:$")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def _is_debrief(line: str, following: list[str]) -> bool:
    """A line such as "hooli update after today's call:" that only announces the bullets below it."""
    nxt = next((f for f in following if f.strip()), "")
    return bool(_DEBRIEF.search(line) and _BULLET.match(nxt) and not _LIST_HEADER.match(expand(line)))


def expand(clause: str) -> str:
    """``clause`` with abbreviations written out (``amt`` -> ``amount``, ``wks`` -> ``weeks``)."""
    text = _WITH.sub("with ", clause)
    text = _WORD.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], text)
    text = _UNIT.sub(lambda m: f"{m.group(1)} {m.group(2)} {_UNITS[m.group(3).lower()]}", text)
    text = _DAY.sub(lambda m: f"{m.group(1)} {_DAYS[m.group(2).lower()]}", text)
    return re.sub(r"\s{2,}", " ", _PLEASE.sub("", text)).strip()


def join_lists(message: str) -> str:
    """A message whose lines continue a list or follow a mere header, as one request per clause:
    ``add 2 contacts:\\nAnn ann@x.com\\nBo bo@y.com`` -> ``add 2 contacts: Ann ann@x.com, Bo bo@y.com``;
    a header line ("couple things:") is dropped."""
    lines = message.split("\n")
    out: list[str] = []
    listing = False
    for number, line in enumerate(lines):
        stripped = line.strip().lstrip("-*•·").strip()
        if not stripped:
            listing = False
            out.append("")
            continue
        if _HEADER.match(expand(stripped)) or _is_debrief(stripped, lines[number + 1 :]):
            listing = False
            continue
        if listing:
            out[-1] = f"{out[-1]}, {stripped}" if not out[-1].endswith(":") else f"{out[-1]} {stripped}"
            continue
        out.append(stripped)
        listing = bool(_LIST_HEADER.match(expand(stripped)))
    return "\n".join(out)
