"""Jinja2 templates of the web app, with the filters and globals every page uses."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from crm_agent.web.nav import NAV

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


@cache
def _file_version(path: str) -> str:
    target = STATIC_DIR / path
    return hashlib.sha256(target.read_bytes()).hexdigest()[:10] if target.is_file() else "0"


def static_url(path: str) -> str:
    """``/static/PATH?v=HASH``, so browsers fetch a file again only when it changed."""
    return f"/static/{path}?v={_file_version(path)}"


def money(value: Any, currency: str | None = "USD", *, short: bool = False) -> str:
    """``5000.00`` -> ``$5,000`` (``$5k`` with ``short``); empty for no value."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    symbol = CURRENCY_SYMBOLS.get((currency or "USD").upper(), f"{currency} ")
    if short and abs(amount) >= 1000:
        for limit, suffix in ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1000), "k")):
            if abs(amount) >= limit:
                text = f"{amount / limit:.1f}".rstrip("0").rstrip(".")
                return f"{symbol}{text}{suffix}"
    text = f"{amount:,.2f}"
    return symbol + (text[:-3] if text.endswith(".00") else text)


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class Formatter:
    """Date formatting in the configured time zone."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def dt(self, value: Any) -> str:
        moment = _parse(value)
        if moment is None:
            return "" if not value else str(value)
        if moment.tzinfo:
            moment = moment.astimezone(self.tz)
        if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
            return moment.strftime("%d %b %Y")  # a date stored as midnight
        return moment.strftime("%d %b %Y, %H:%M")

    def date(self, value: Any) -> str:
        moment = _parse(value)
        if moment is None:
            return "" if not value else str(value)
        if moment.tzinfo:
            moment = moment.astimezone(self.tz)
        return moment.strftime("%d %b %Y")

    def iso(self, value: Any) -> str:
        moment = _parse(value)
        return moment.isoformat() if moment else ""

    def input_date(self, value: Any) -> str:
        """``YYYY-MM-DD`` for an ``<input type=date>``."""
        moment = _parse(value)
        if moment is None:
            return ""
        if moment.tzinfo:
            moment = moment.astimezone(self.tz)
        return moment.strftime("%Y-%m-%d")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def humanize(name: str) -> str:
    """``hs_lead_status`` -> ``Lead status``."""
    text = re.sub(r"^hs_", "", name).replace("_", " ")
    return text[:1].upper() + text[1:]


def make_templates(tz: ZoneInfo) -> Jinja2Templates:
    """The template set, with ``money``, ``dt``, ``date``, ``pretty_json`` filters and the nav."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    fmt = Formatter(tz)
    env = templates.env
    env.filters.update(
        money=money,
        dt=fmt.dt,
        date=fmt.date,
        iso=fmt.iso,
        input_date=fmt.input_date,
        pretty_json=pretty_json,
        humanize=humanize,
    )
    env.globals.update(static_url=static_url, nav=NAV, is_current=is_current, money=money, url_with=url_with)
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def url_with(request: Request, path: str | None = None, **changes: Any) -> str:
    """The current URL (or ``path``) with query parameters changed; ``None`` removes one."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return (path or request.url.path) + (f"?{query}" if query else "")


def is_current(request: Request, match: str) -> bool:
    """Whether the nav entry whose path pattern is ``match`` is the current page."""
    return re.match(match, request.url.path) is not None
