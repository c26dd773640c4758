"""Whether a set description was understood word for word.

A bulk change over "all of Nadia's leads in the pilot program" must not run over all of Nadia's leads
because "pilot program" named no filter: a word left over widens the set. :func:`unused_words` lists the
words of a description that no filter, type word or filler word accounts for; a write over the set
runs only when that list is empty.
"""

from __future__ import annotations

import re
from typing import Any

from crm_agent.agent.planner.schema import OBJECT_WORDS, STAGE_SYNONYMS, Schema, spaced
from crm_agent.agent.planner.sets import ParsedSet
from crm_agent.agent.planner.values import MONTHS
from crm_agent.crm.values import fold


def _words(text: str) -> set[str]:
    return set(text.split())


FILLER = _words(
    "the a an all every each any of my our their his her its that which who whose are is were with in at from "
    "for by on and or currently still now right those these them everyone everybody anyone anybody owned owner "
    "owns own belonging belongs to under stage status lifecycle we have has got whole entire single one ones "
    "record records account accounts opportunity opportunities opp opps deal deals task tasks company companies "
    "work works working based there everything everyone system crm database pipeline book list what which show "
    "me give find get pull up display do does did i you see tell about are there"
)
_DATE_WORDS = _words(
    "this next last end of month months week weeks day days quarter year today tomorrow before after by until "
    "no later than closing close closes due created added new since within over past ago monday tuesday "
    "wednesday thursday friday saturday sunday mon tue wed thu fri jan feb mar apr jun jul aug sep sept oct nov "
    "dec during"
) | set(MONTHS)
_STALE_WORDS = _words(
    "not never contacted reached touched spoken talked called emailed been haven't hasn't havent hasnt no nobody "
    "without being in for within over the last past since day days week weeks month months one has to"
)
_AMOUNT_WORDS = _words(
    "over above more than greater bigger larger under below less smaller at least most minimum min max up "
    "between and worth valued amount value size k m mm"
)
_STATE_WORDS = {
    "dealstage": _words("open active in progress closed"),
    "hs_task_status": _words("open pending outstanding incomplete not done overdue completed finished"),
}
_DIGITS = "<digits>"  # in the known words: numbers are accounted for (an amount, a date or a span of time)
_DATE_PROPS = {"closedate", "hs_timestamp", "createdate", "hs_meeting_start_time"}


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[\w$€£@.'’+]+", fold(text))
    return [re.sub(r"['’]s?$", "", w).strip(".-") for w in words if re.sub(r"['’]s?$", "", w).strip(".-")]


def _known(parsed: ParsedSet, schema: Schema) -> set[str]:
    known = set(FILLER)
    for words in OBJECT_WORDS.values():
        known.update(fold(w) for w in words)
    known.update(_tokens(parsed.describe()))
    if parsed.associated_with:
        known.update(_tokens(str(parsed.associated_with.get("ref", ""))))
    for spec in parsed.filters + [s for alt in parsed.alternatives for s in alt]:
        known.update(_filter_words(spec, parsed.object_type, schema))
    return known


def _filter_words(spec: dict[str, Any], object_type: str, schema: Schema) -> set[str]:
    prop = spec["property"]
    values = [spec.get("value"), *(spec.get("values") or [])]
    values = [str(v) for v in values if v is not None]
    words: set[str] = set(_STATE_WORDS.get(prop, set()))
    if prop in _DATE_PROPS:
        return words | _DATE_WORDS | {_DIGITS}
    if prop == "notes_last_contacted":
        return words | _STALE_WORDS | _DATE_WORDS | {_DIGITS}
    if prop in {"amount", "annualrevenue"}:
        return words | _AMOUNT_WORDS | {_DIGITS}
    if prop == "hubspot_owner_id":
        for owner in schema.owners:
            if owner.email in values:
                words.update(_tokens(f"{owner.firstName} {owner.lastName} {owner.email}"))
        return words
    if prop == "dealstage":
        for stage in values:
            words.update(_tokens(f"{stage} {schema.stage_label(stage)} {' '.join(STAGE_SYNONYMS.get(stage, []))}"))
        return words
    for value, form in schema._option_forms(object_type, prop):
        if value in values:
            words.update(_tokens(spaced(form)))
    for value in values:
        words.update(_tokens(value))
    return words


def unused_words(text: str, parsed: ParsedSet, schema: Schema) -> list[str]:
    """The words of ``text`` that no filter of ``parsed``, type word or filler word accounts for."""
    known = _known(parsed, schema)
    left = []
    for word in _tokens(text):
        if (
            (re.search(r"\d", word) and _DIGITS in known)
            or word in known
            or word.rstrip("s") in known
            or f"{word}s" in known
        ):
            continue
        if word.endswith("ies") and f"{word[:-3]}y" in known:
            continue
        left.append(word)
    return left
