"""Changes typed without the usual verbs, as notes to self: ``Kevin Doyle -> SQL``, ``hooli deal amount ->
€1.2m``, ``wayne foods loyalty app amount 8k``, ``Tanya's number changed, it's 973-555-0188 now``,
``Dakota has a new email: d@x.com``, ``all deals in appointment scheduled: push close date to jan 31``.

The value has to be a whole, valid value of the property (an amount, a date, a phone number, one of an
enumeration's options...) and the record has to exist; otherwise the clause is left for the other
readings or reported as not understood. Where a value names no property, the property is the one whose
options include it ("-> SQL" is a lifecycle stage, "-> decision maker bought in" a deal stage,
"-> whatsapp" the preferred channel); where several properties could take it, nothing is guessed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.casual import casual
from crm_agent.agent.planner.changing import _SET_WORDS
from crm_agent.agent.planner.common import GROUP_WORDS, SINGLE_WORDS
from crm_agent.agent.planner.schema import LEAD_STATUS_SYNONYMS, STAGE_SYNONYMS
from crm_agent.agent.planner.values import find_amount, find_date, find_email, find_phone
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.intents import Interpreter

_TYPES = ("contacts", "deals", "companies")
_ARROW = re.compile(r"^(?P<left>.+?)\s*(?:-+>|=+>|→|⇒|>>|=)\s*(?P<value>.+)$")
_FILLER_WORDS = {"now", "instead", "then", "please", "ok", "thanks", "pls", "already", "going forward", "from now on"}
_LEAD_IN = re.compile(
    r"(?i)^(?:(?:is|are|to|=|:|->|should be|is now|now|it['’]?s|its|it is|they['’]?re|the new one is|new one is|"
    r"which is|changed to|becomes|will be)\s+)+"
)
_CHANGED = re.compile(
    r"(?i)^(?P<who>.+?)['’]s?\s+(?:new\s+)?(?P<prop>[\w -]+?)\s+(?:has\s+)?(?:changed|is different|was updated|got updated|"
    r"updated|moved|is wrong|was wrong|is out of date|is outdated)\b[\s,:;.-]*(?P<value>.+)$"
)
_HAS_NEW = re.compile(
    r"(?i)^(?P<who>.+?)\s+(?:has|got|has got|now has|'s got|gave (?:me|us))\s+(?:a\s+)?new\s+(?P<prop>[\w -]+?)"
    r"(?:\s*[:,-]\s*|\s+)(?P<value>.+)$"
)
_NEW_FOR = re.compile(
    r"(?i)^(?:the\s+)?(?:new|updated|correct)\s+(?P<prop>[\w -]+?)\s+(?:for|of)\s+(?P<who>.+?)\s*(?::|,|-|\bis\b|=)\s*"
    r"(?P<value>.+)$"
)
_TARGET_FIRST = re.compile(r"^(?P<target>[^:]+?)\s*(?::|\s[-–—]\s)\s*(?P<verb>[a-zA-Z]+)\b\s*(?P<rest>.*)$")
_VERB_ALIASES = {
    "push": "set",
    "move": "set",
    "slip": "set",
    "bump": "set",
    "change": "set",
    "update": "set",
    "make": "set",
    "set": "set",
    "put": "set",
}


def _norm(text: str) -> str:
    return re.sub(r"[-_\s]+", " ", fold(text)).strip(" .!,")


def covers(raw: str, span: tuple[int, int]) -> bool:
    """Whether the match at ``span`` is all of ``raw`` but filler words ("now", "instead")."""
    rest = f"{raw[: span[0]]} {raw[span[1] :]}"
    words = re.sub(r"[^\w\s]", " ", rest.lower()).split()
    return all(w in _FILLER_WORDS for w in words)


class TerseMixin:
    """Verbless changes, mixed into :class:`~crm_agent.agent.planner.intents.Interpreter`."""

    def strict_value(self: Interpreter, type_name: str, prop: str, raw: str) -> Any:
        """The typed value of ``prop`` that ``raw`` is as a whole, or None (never a partial reading)."""
        raw = _LEAD_IN.sub("", raw.strip(" ,.!\"'“”")).strip(" ,.!\"'“”")
        raw = re.sub(r"(?i)\s+(?:now|instead|going forward|from now on)$", "", raw).strip()
        if not raw:
            return None
        defn = self.schema.properties.get(type_name, {}).get(prop)
        if defn is None:
            return None
        if prop == "phone":
            phone = find_phone(raw)
            return phone if phone and covers(raw, (raw.find(phone), raw.find(phone) + len(phone))) else None
        if prop == "email":
            email = find_email(raw)
            return email if email and covers(raw, (raw.find(email), raw.find(email) + len(email))) else None
        if prop in {"amount", "annualrevenue"}:
            hit = find_amount(raw) or find_amount(f"${raw}")
            return str(hit[0]) if hit and (covers(raw, hit[2]) or covers(f"${raw}", hit[2])) else None
        if prop == "numberofemployees":
            digits = re.fullmatch(r"(\d[\d,]*)(?:\s+(?:employees|people|staff))?", raw)
            return digits.group(1).replace(",", "") if digits else None
        if prop == "dealstage":
            hit = self.schema.stage_in(raw)
            return hit[0] if hit and _norm(raw) in _stage_forms(self.schema, hit[0]) else None
        if prop == "hubspot_owner_id":
            owner = self.schema.owner_in(raw)
            return owner[0].email if owner and self.schema.is_owner_name(raw) else None
        if defn.type in {"date", "datetime"}:
            day = find_date(raw, self.today)
            return day[0].isoformat() if day and covers(raw, day[1]) else None
        if defn.type == "enumeration":
            return self.schema.option_exact(type_name, prop, raw)
        if defn.type == "number":
            number = re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?", raw)
            return number.group(0).replace(",", "") if number else None
        return raw if len(raw.split()) <= 8 else None

    def infer_properties(self: Interpreter, type_name: str, raw: str) -> dict[str, Any] | None:
        """The one property ``raw`` is a value of, on a record of ``type_name`` (options, stages, owners;
        for deals also amounts and close dates): ``{"lifecyclestage": "salesqualifiedlead"}``; None when
        no property, or more than one, takes it."""
        found: dict[str, Any] = {}
        props = self.schema.properties.get(type_name, {})
        for name, defn in props.items():
            if defn.type == "enumeration" or name in {"dealstage", "hubspot_owner_id"}:
                value = self.strict_value(type_name, name, raw)
                if value is not None:
                    found[name] = value
        if type_name == "deals" and not found:
            for name in ("amount", "closedate"):
                value = self.strict_value(type_name, name, raw)
                if value is not None:
                    found[name] = value
        if {"lifecyclestage", "hs_lead_status"} <= set(found):
            lead_words = {w for words in LEAD_STATUS_SYNONYMS.values() for w in words}
            key = _norm(raw)
            found.pop("hs_lead_status" if key not in lead_words or key in {"qualified", "open"} else "lifecyclestage")
        return found if len(found) == 1 else None

    async def _record_type(self: Interpreter, who: str, prop_words: str | None = None) -> str | None:
        """contacts, deals or companies: what ``who`` names (a type word, a pronoun, or an existing record),
        among the types that have the property ``prop_words`` names, if given."""
        named = self.schema.object_type_in(who)
        if named in _TYPES:
            return named
        types = [t for t in _TYPES if prop_words is None or self.schema.property_named(t, prop_words)]
        name = re.sub(r"(?i)^(?:the|our|my)\s+", "", who.strip())
        if re.fullmatch(SINGLE_WORDS + "|" + GROUP_WORDS, name.lower()):
            return await self.guess_type(name)
        if fold(name) in self.people:
            return str(self.actions[self.people[fold(name)]].args.get("object_type_name"))
        for type_name in types:
            if await self.lookup(type_name, name):
                return type_name
        return None

    async def _set_terse(self: Interpreter, who: str, prop_words: str | None, raw: str) -> bool:
        """Apply ``raw`` to ``who`` as ``prop_words`` (or as the property it is a value of)."""
        who = re.sub(r"['’]s$", "", who.strip(" ,:;-")).strip()
        is_set = bool(re.search(r"(?i)\b(?:all|every|each|any)\b", who))
        if not who or len(who.split()) > (14 if is_set else 8):
            return False
        type_name = self.schema.object_type_in(who) if is_set else await self._record_type(who, prop_words)
        if type_name not in _TYPES:
            return False
        if prop_words is None:
            props = self.infer_properties(type_name, raw)
        else:
            prop = self.schema.property_named(type_name, prop_words)
            value = self.strict_value(type_name, prop, raw) if prop else None
            props = {prop: value} if prop and value is not None else None
        if not props:
            return False
        return await self.apply_to(who, props, type_hint=type_name)

    def _split_property(self: Interpreter, text: str) -> list[tuple[str, str, str]]:
        """Every way ``text`` reads as WHO PROPERTY VALUE, the property named by one to three words."""
        words = text.split()
        splits = []
        for start in range(1, len(words)):
            for size in (3, 2, 1):
                if start + size > len(words):
                    continue
                phrase = " ".join(words[start : start + size]).strip(":=,")
                if any(self.schema.property_named(t, phrase) for t in _TYPES):
                    splits.append((" ".join(words[:start]), phrase, " ".join(words[start + size :])))
                    break
        return splits

    async def arrow(self: Interpreter, text: str) -> bool:
        """``Kevin Doyle -> SQL``, ``hooli search analytics amount -> €1.2m``, ``Acme renewal => Tom``."""
        match = _ARROW.match(text)
        if not match or "@" in match.group("left") or re.match(r"(?i)^(?:set|update|change|make|edit)\b", text):
            return False
        left, value = match.group("left").strip(), match.group("value").strip()
        pieces = re.split(r"\s*(?:,(?!\d{3}\b)|;|\band\b)\s*", value)
        items = [self._prop_value(p) for p in pieces] if len(pieces) > 1 or _SET_WORDS.search(left) else []
        if items and all(items) and await self._update_items(left, items):  # type: ignore[arg-type]
            return True
        for who, prop, rest in self._split_property(left):
            if not rest.strip() and await self._set_terse(who, prop, value):
                return True
        possessive = re.match(r"(?i)^(?P<who>.+?)['’]s?\s+(?P<prop>[\w -]+)$", left)
        if possessive and await self._set_terse(possessive.group("who"), possessive.group("prop"), value):
            return True
        return await self._set_terse(left, None, value)

    async def verbless_update(self: Interpreter, text: str) -> bool:
        """``wayne foods loyalty app amount 8k``, ``Tanya's number changed, it's 973-555-0188 now``,
        ``Dakota has a new email: d@x.com``, ``new phone for Ben: 555-0100``."""
        for pattern in (_CHANGED, _HAS_NEW, _NEW_FOR):
            match = pattern.match(text)
            if match and await self._set_terse(match.group("who"), match.group("prop"), match.group("value")):
                return True
        for who, prop, value in self._split_property(text):
            if value and await self._set_terse(who, prop, value):
                return True
            more = re.split(r"\s*(?:,|;|\band\b)\s*", value)
            pairs = [self._prop_value(part) for part in more[1:]]
            if len(more) > 1 and all(pairs) and await self._set_terse(who, prop, more[0]):
                for prop_words, raw in pairs:  # type: ignore[misc]
                    await self._set_terse(who, prop_words, raw)
                return True
        return False

    async def target_first(self: Interpreter, text: str) -> bool:
        """The records first, then what to do with them: ``all deals in appointment scheduled: push close
        date to jan 31``, ``Acme renewal - mark as won``, ``Nadia's leads: give them to Tom``."""
        match = _TARGET_FIRST.match(text)
        if not match or not match.group("rest"):
            return False
        target, verb, rest = match.group("target").strip(), match.group("verb").lower(), match.group("rest").strip()
        rest = re.sub(r"(?i)^(?:them all|all of them|them|it|those|these|all|each)\b\s*", "", rest)
        prop_to = re.match(
            r"(?i)^(?:the\s+|its\s+|their\s+)?(?P<prop>[\w -]+?)\s+(?:out\s+)?(?:to|=|as)\s+(?P<value>.+)$", rest
        )
        if (
            prop_to
            and verb in _VERB_ALIASES
            and await self._set_terse(target, prop_to.group("prop"), prop_to.group("value"))
        ):
            return True
        if verb in {"create", "add", "make", "log", "set"} and re.search(
            r"(?i)\bfor\s+(?:each|every one|all of them)\b", rest
        ):
            return await self.question(f"list {target}") and await self.task(f"{verb} {rest}")
        candidate = casual(f"{verb} {target} {rest}".strip())
        return await self._dispatch_change(candidate)

    async def _dispatch_change(self: Interpreter, text: str) -> bool:
        for handler in (self.archive, self.reassign, self.stage_move, self.status_change, self.update):
            if await handler(text):
                return True
        return False


def _stage_forms(schema: Any, stage_id: str) -> set[str]:
    forms = {fold(schema.stage_label(stage_id)), stage_id, *STAGE_SYNONYMS.get(stage_id, [])}
    return {_norm(f) for f in forms}
