"""Associations between records, with HubSpot's default association type names and ids.

A pair is stored once, from the type that sorts first in ``_ORDER`` to the other, so that
"contact to company" and "company to contact" are the same row. ``is_primary`` marks a
contact's (or deal's) primary company, HubSpot's type 1 (contact_to_company) / 5 (deal_to_company).
"""

from __future__ import annotations

_ORDER = ["contacts", "companies", "deals", "notes", "tasks", "meetings", "emails"]

# HubSpot default association type ids (unlabeled), keyed by (from, to).
TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("notes", "contacts"): 202,
    ("notes", "companies"): 190,
    ("notes", "deals"): 214,
    ("tasks", "contacts"): 204,
    ("tasks", "companies"): 192,
    ("tasks", "deals"): 216,
    ("meetings", "contacts"): 200,
    ("meetings", "companies"): 188,
    ("meetings", "deals"): 212,
    ("emails", "contacts"): 198,
    ("emails", "companies"): 186,
    ("emails", "deals"): 210,
}
PRIMARY_TYPE_IDS = {("contacts", "companies"): 1, ("deals", "companies"): 5}
_SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "notes": "note",
    "tasks": "task",
    "meetings": "meeting_event",
    "emails": "email",
}


def canonical(a_type: str, a_id: int, b_type: str, b_id: int) -> tuple[str, int, str, int]:
    """The stored direction of a pair."""
    if _ORDER.index(a_type) <= _ORDER.index(b_type):
        return a_type, a_id, b_type, b_id
    return b_type, b_id, a_type, a_id


def allowed(a_type: str, b_type: str) -> bool:
    """Whether HubSpot has a default association type between these object types (either direction)."""
    return (a_type, b_type) in TYPE_IDS or (b_type, a_type) in TYPE_IDS


def type_name(from_type: str, to_type: str, primary: bool = False) -> str:
    """HubSpot's label for an association, e.g. ``contact_to_company`` or ``..._primary``."""
    name = f"{_SINGULAR[from_type]}_to_{_SINGULAR[to_type]}"
    return name + ("_primary" if primary and (from_type, to_type) in PRIMARY_TYPE_IDS else "")
