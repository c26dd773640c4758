"""Filters on amounts and dates in a set phrase: "over $10k", "between 5k and 20k", "closing this month",
"due before friday", "created last week", "not contacted in 3 weeks"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from crm_agent.agent.planner.values import (
    MONTHS,
    day_bounds,
    find_amount,
    find_date,
    month_range,
    parse_date,
    quarter_range,
    week_range,
)
from crm_agent.crm.values import fold

if TYPE_CHECKING:
    from crm_agent.agent.planner.sets import ParsedSet

_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}


def filter_spec(prop: str, op: str, value: Any = None, **kw: Any) -> dict[str, Any]:
    spec = {"property": prop, "operator": op}
    if value is not None:
        spec["value"] = value
    spec.update(kw)
    return spec


def range_phrase(text: str, today: date) -> tuple[date, date, str] | None:
    t = fold(text)
    table = [
        (r"\bthis month\b", lambda: month_range(today), "this month"),
        (r"\bnext month\b", lambda: month_range(today, 1), "next month"),
        (r"\blast month\b", lambda: month_range(today, -1), "last month"),
        (r"\bthis week\b", lambda: week_range(today), "this week"),
        (r"\bnext week\b", lambda: week_range(today, 1), "next week"),
        (r"\blast week\b", lambda: week_range(today, -1), "last week"),
        (r"\bthis quarter\b", lambda: quarter_range(today), "this quarter"),
        (r"\btoday\b", lambda: (today, today), "today"),
        (r"\btomorrow\b", lambda: (today + timedelta(days=1),) * 2, "tomorrow"),
        (r"\bthis year\b", lambda: (date(today.year, 1, 1), date(today.year, 12, 31)), "this year"),
    ]
    for pattern, make, words in table:
        if re.search(pattern, t):
            first, last = make()
            return first, last, words
    named = re.search(r"\b(?:in|during|by end of)\s+(" + "|".join(MONTHS) + r")\b\.?(?:\s+(\d{4}))?", t)
    if named:
        month = MONTHS[named.group(1)]
        year = int(named.group(2)) if named.group(2) else today.year + (month < today.month)
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return first, last, f"in {first.strftime('%B %Y')}"
    return None


STALE = (
    r"(?:not|n't|never|no one has|nobody has|haven't been|hasn't been|without being)\s*(?:been\s+)?(?:contacted|"
    r"reached|touched|spoken to|talked to|called|emailed)"
)


def amount_filter(text: str, otype: str, found: ParsedSet, words: list[str]) -> int:
    prop = {"deals": "amount", "companies": "annualrevenue"}.get(otype)
    if not prop:
        return 0
    t = text.lower()
    between = re.search(r"between\s+(.+?)\s+and\s+(.+)", t)
    if between:
        low, high = find_amount(between.group(1)), find_amount(between.group(2))
        if low and high:
            found.filters.append(filter_spec(prop, "BETWEEN", str(low[0]), high_value=str(high[0])))
            words.append(f"with {prop} between {low[0]} and {high[0]}")
            return 1
    ops = [
        (r"(?:over|above|more than|greater than|bigger than|larger than|>)\s*", "GT", "over"),
        (r"(?:at least|minimum of|min\.?|>=)\s*", "GTE", "at least"),
        (r"(?:under|below|less than|smaller than|<)\s*", "LT", "under"),
        (r"(?:at most|max\.?|up to|<=)\s*", "LTE", "at most"),
    ]
    for pattern, op, word in ops:
        match = re.search(pattern + r"(?=[$€£\d])", t)
        if match:
            amount = find_amount(text[match.end() :])
            if amount:
                found.filters.append(filter_spec(prop, op, str(amount[0])))
                words.append(f"{word} {amount[0]:,}")
                return 1
    return 0


def date_filters(text: str, otype: str, today: date, found: ParsedSet, words: list[str]) -> int:
    t = fold(text)
    count = 0
    stale = re.search(
        r"(?:not|n't|never|no one has|nobody has|haven't been|hasn't been|without being)\s*"
        r"(?:been\s+)?(?:contacted|reached|touched|spoken to|talked to|called|emailed)"
        r"(?:\s+(?:in|for|within|over)\s+(?:the\s+)?(?:last\s+|past\s+)?(\d+|\w+)\s+(day|week|month)s?"
        r"|\s+since\s+(.+))?",
        t,
    )
    if stale and otype == "contacts":
        if stale.group(1):
            n = int(stale.group(1)) if stale.group(1).isdigit() else _NUM.get(stale.group(1), 1)
            days = {"day": 1, "week": 7, "month": 30}[stale.group(2)] * n
            cutoff = today - timedelta(days=days)
            phrase = f"not contacted in {n} {stale.group(2)}{'s' if n != 1 else ''}"
        elif stale.group(3) and (
            since := parse_date(stale.group(3).strip(" ?.!"), today) or (find_date(stale.group(3), today) or (None,))[0]
        ):
            cutoff = since
            phrase = f"not contacted since {cutoff.isoformat()}"
        else:
            cutoff, phrase = None, "never contacted"
        if cutoff:
            found.alternatives = [
                [filter_spec("notes_last_contacted", "LT", cutoff.isoformat())],
                [filter_spec("notes_last_contacted", "NOT_HAS_PROPERTY")],
            ]
        else:
            found.filters.append(filter_spec("notes_last_contacted", "NOT_HAS_PROPERTY"))
        words.append(phrase)
        return 1
    prop = {"deals": "closedate", "tasks": "hs_timestamp", "meetings": "hs_meeting_start_time"}.get(otype)
    created = re.search(r"\b(created|added|new)\b", t)
    if created:
        prop = "createdate"
    if not prop:
        return 0
    rng = range_phrase(text, today)
    if rng:
        first, last, phrase = rng
        low, high = day_bounds(first, last)
        found.filters.append(filter_spec(prop, "BETWEEN", low, high_value=high))
        verb = {"closedate": "closing", "hs_timestamp": "due", "createdate": "created"}.get(prop, "on")
        words.append(f"{verb} {phrase}")
        count += 1
    else:
        for pattern, op in ((r"\b(?:before|by|until|no later than)\s+(.+)", "LTE"), (r"\bafter\s+(.+)", "GT")):
            match = re.search(pattern, t)
            if match:
                hit = find_date(match.group(1), today)
                if hit:
                    found.filters.append(filter_spec(prop, op, day_bounds(hit[0], hit[0])[1]))
                    words.append(
                        f"{'closing' if prop == 'closedate' else 'due'} {match.group(0).split()[0]} "
                        f"{hit[0].isoformat()}"
                    )
                    count += 1
                    break
    return count
