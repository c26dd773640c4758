"""The CRM object types: their HubSpot names, tables and the properties searched by ``query``.

Object type names are HubSpot's plural API names (``contacts``, ``companies``, ``deals``,
``notes``, ``tasks``, ``meetings``, ``emails``).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_agent.crm.models import Company, Contact, Deal, Email, Meeting, Note, RecordMixin, Task
from crm_agent.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type: API name, singular noun, table model and its display property."""

    name: str
    singular: str
    model: type[RecordMixin]
    display_property: str
    is_engagement: bool = False


OBJECT_TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        ObjectType("contacts", "contact", Contact, "email"),
        ObjectType("companies", "company", Company, "name"),
        ObjectType("deals", "deal", Deal, "dealname"),
        ObjectType("notes", "note", Note, "hs_note_body", is_engagement=True),
        ObjectType("tasks", "task", Task, "hs_task_subject", is_engagement=True),
        ObjectType("meetings", "meeting", Meeting, "hs_meeting_title", is_engagement=True),
        ObjectType("emails", "email", Email, "hs_email_subject", is_engagement=True),
    )
}
_ALIASES = {t.singular: t.name for t in OBJECT_TYPES.values()} | {"meeting_event": "meetings", "meetings": "meetings"}


def object_type(name: str) -> ObjectType:
    """The object type called ``name`` (plural or singular, any case).

    Raises ValidationFailed naming the accepted types when ``name`` is unknown.
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in OBJECT_TYPES:
        raise ValidationFailed(
            [FieldError("objectType", name, f"unknown object type; use one of {', '.join(OBJECT_TYPES)}")]
        )
    return OBJECT_TYPES[key]
