"""Values as salespeople type them: amounts (``$5k``, ``10,000``, ``€2.5m``), dates (``next Tuesday``,
``end of month``, ``in 2 weeks``, ``11/30``), e-mail addresses and phone numbers.

Relative dates are computed from the run's clock in the configured time zone; US month/day order
is assumed for ``11/30`` (the default locale of HubSpot's US portals).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]*[A-Za-z0-9-]*")
PHONE_RE = re.compile(r"(?<![\w$€£.])(\+?\d[\d\s().-]{5,}\d)(?:\s*(?:x|ext\.?)\s*\d+)?(?![\w%])")
_CURRENCY = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "dollars": "USD",
    "euros": "EUR",
    "pounds": "GBP",
    "bucks": "USD",
}
AMOUNT_RE = re.compile(
    r"(?P<pre>[$€£]|\b(?:usd|eur|gbp)\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?P<mult>k|m|mm|bn|b|thousand|million|billion|grand)?\b\s*(?P<post>usd|eur|gbp|dollars|euros|pounds|bucks)?",
    re.IGNORECASE,
)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = (
    {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
    | {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
    | {"sept": 9}
)
_MULT = {
    "k": 1_000,
    "thousand": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "couple of": 2,
    "few": 3,
}


def find_amount(text: str) -> tuple[Decimal, str | None, tuple[int, int]] | None:
    """The first money amount in ``text``: (value, ISO currency or None, span). Bare small numbers
    without a currency sign or multiplier (e.g. "3 weeks") are not amounts."""
    for match in AMOUNT_RE.finditer(text):
        pre, mult, post = match["pre"], match["mult"], match["post"]
        num = match["num"]
        tail = text[match.end() : match.end() + 8].lower()
        if not (pre or mult or post) and (
            len(num.replace(",", "")) < 3
            or re.match(
                r"\s*(days?|weeks?|months?|"
                r"years?|%|/)",
                tail,
            )
        ):
            continue
        if not (pre or mult or post) and re.search(r"\d[/-]\d", text[max(0, match.start() - 3) : match.end() + 3]):
            continue
        value = Decimal(num.replace(",", ""))
        if mult:
            value *= _MULT[mult.lower()]
        currency = _CURRENCY.get((pre or "").strip().lower()) or _CURRENCY.get((post or "").lower())
        return (Decimal(int(value)) if value == value.to_integral() else value), currency, match.span()
    return None


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_date(text: str, today: date) -> date | None:
    """The date a phrase names, relative to ``today``; None when it names none."""
    t = text.lower().strip()
    t = re.sub(r"\b(on|by|due|before|until|the)\b", " ", t)
    t = re.sub(r"\b(\d+)\s*(?:wks?|w)\b", r"\1 weeks", re.sub(r"\b(\d+)\s*(?:mos?|mths?)\b", r"\1 months", t))
    t = re.sub(r"\s+", " ", t).strip()
    if not t:
        return None
    if t in {"today", "tonight", "eod", "end of day"}:
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    if t == "yesterday":
        return today - timedelta(days=1)
    if t in {"end of month", "end of this month", "eom", "month end", "end of the month"}:
        return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    if t in {"end of next month"}:
        nxt = _add_months(today, 1)
        return date(nxt.year, nxt.month, calendar.monthrange(nxt.year, nxt.month)[1])
    if t in {"end of week", "end of this week", "eow", "end of the week"}:
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if t in {"end of quarter", "end of this quarter", "eoq", "end of the quarter"}:
        q_end = ((today.month - 1) // 3 + 1) * 3
        return date(today.year, q_end, calendar.monthrange(today.year, q_end)[1])
    if t in {"end of year", "end of this year", "eoy", "end of the year"}:
        return date(today.year, 12, 31)
    if t == "next week":
        return today + timedelta(days=7 - today.weekday())
    if t == "next month":
        return _add_months(today, 1).replace(day=1)
    match = re.fullmatch(r"end of ([a-z]+)", t)
    if match and match.group(1) in MONTHS:
        first = _month_day(today, MONTHS[match.group(1)], 1, None) or today
        return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    if t in MONTHS:
        month = MONTHS[t]
        year = today.year if month <= today.month else today.year - 1
        return date(year, month, 1)
    match = re.fullmatch(r"in (\w+(?: of)?) (day|week|month|year)s?", t)
    if match:
        n = int(match[1]) if match[1].isdigit() else _NUMBER_WORDS.get(match[1])
        if n is not None:
            unit = match[2]
            if unit == "day":
                return today + timedelta(days=n)
            if unit == "week":
                return today + timedelta(weeks=n)
            return _add_months(today, n * (12 if unit == "year" else 1))
    match = re.fullmatch(r"(next|this|coming)? ?(" + "|".join(WEEKDAYS) + r")", t)
    if match:
        target = WEEKDAYS.index(match[2])
        delta = (target - today.weekday()) % 7
        if match[1] == "next" or delta == 0:
            delta = delta or 7
        return today + timedelta(days=delta)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", t)
    if match:
        year = int(match[3]) if match[3] else None
        if year is not None and year < 100:
            year += 2000
        return _month_day(today, int(match[1]), int(match[2]), year)
    match = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? ?(\d{4})?", t)
    if match and match[1] in MONTHS:
        return _month_day(today, MONTHS[match[1]], int(match[2]), int(match[3]) if match[3] else None)
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+),? ?(\d{4})?", t)
    if match and match[2] in MONTHS:
        return _month_day(today, MONTHS[match[2]], int(match[1]), int(match[3]) if match[3] else None)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, month: int, day: int, year: int | None) -> date | None:
    """A month/day; without a year, the next such date on or after today."""
    if year is not None:
        return _safe_date(year, month, day)
    found = _safe_date(today.year, month, day)
    if found and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


DATE_PHRASE = re.compile(
    r"\b(?:today|tomorrow|yesterday|end of (?:the |this |next )?(?:day|week|month|quarter|year)|end of (?:"
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r")\.?|eom|eow|eoq|eoy|"
    r"next (?:week|month)|in (?:\d+|a|an|one|two|three|four|five|six|a couple of) (?:day|week|month|year)s?|"
    r"(?:next |this |coming )?(?:" + "|".join(WEEKDAYS) + r")|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|"
    r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?|"
    r"\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?:,? \d{4})?)\b",
    re.IGNORECASE,
)


def find_date(text: str, today: date) -> tuple[date, tuple[int, int]] | None:
    """The first date phrase in ``text`` and its span."""
    for match in DATE_PHRASE.finditer(text):
        found = parse_date(match.group(0), today)
        if found:
            return found, match.span()
    return None


def month_range(today: date, offset: int = 0) -> tuple[date, date]:
    """First and last day of the month ``offset`` months from today's."""
    first = _add_months(today.replace(day=1), offset)
    return first, date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def week_range(today: date, offset: int = 0) -> tuple[date, date]:
    """Monday..Sunday of the week ``offset`` weeks from today's."""
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
    return monday, monday + timedelta(days=6)


def quarter_range(today: date) -> tuple[date, date]:
    """First and last day of today's quarter."""
    start_month = (today.month - 1) // 3 * 3 + 1
    end_month = start_month + 2
    return date(today.year, start_month, 1), date(today.year, end_month, calendar.monthrange(today.year, end_month)[1])


def day_bounds(first: date, last: date) -> tuple[str, str]:
    """ISO timestamps covering whole days first..last (UTC)."""
    return (
        datetime(first.year, first.month, first.day).isoformat() + "Z",
        datetime(last.year, last.month, last.day, 23, 59, 59).isoformat() + "Z",
    )


def find_email(text: str) -> str | None:
    """The first thing that looks like an e-mail address (possibly invalid, e.g. ``grace@``)."""
    token = re.search(r"[^\s,;()<>\[\]\"]*@[^\s,;()<>\[\]\"]*", text)
    if token:
        return token.group(0).rstrip(".:")
    match = EMAIL_RE.search(text)
    return match.group(0).rstrip(".,;:") if match else None


def find_phone(text: str) -> str | None:
    """The first phone-number-like run of digits (7+), as typed."""
    for match in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if 7 <= len(digits) <= 15 and not re.fullmatch(r"\d{1,2}/\d{1,2}(/\d{2,4})?", match.group(1).strip()):
            return match.group(0).strip()
    return None
