"""The web app's navigation: one entry per top-level page, in menu order.

To add a page (for example the email approvals inbox): write a router in ``web/pages/`` with
its templates in ``templates/pages/``, add it to ``PAGE_ROUTERS`` in ``web/__init__.py`` and add
a :class:`NavItem` here. ``badge`` may name an async function ``(request) -> int | None`` that
fills the small counter next to the entry (e.g. pending drafts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

Badge = Callable[[Request], Awaitable[int | None]]


@dataclass(frozen=True)
class NavItem:
    """A menu entry: label, path, and the path prefix that marks it as the current page."""

    label: str
    path: str
    match: str
    badge: Badge | None = None


NAV: list[NavItem] = [
    NavItem("Dashboard", "/app", "/app$"),
    NavItem("Chat", "/app/chat", "/app/chat"),
    NavItem("Contacts", "/app/contacts", "/app/contacts"),
    NavItem("Companies", "/app/companies", "/app/companies"),
    NavItem("Deals", "/app/deals", "/app/deals"),
    NavItem("Runs", "/app/runs", "/app/runs"),
    NavItem("Audit log", "/app/audit", "/app/audit"),
]


def register(item: NavItem, *, before: str | None = None) -> None:
    """Add a menu entry (before the entry labelled ``before``, else at the end); idempotent."""
    if any(existing.path == item.path for existing in NAV):
        return
    index = next((i for i, existing in enumerate(NAV) if existing.label == before), len(NAV))
    NAV.insert(index, item)
