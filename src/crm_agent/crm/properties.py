"""Property definitions: standard ones read from the models' column info, custom ones from the
``property_definitions`` table. HubSpot's properties API is the model (name, label, type,
options, ``hubspotDefined``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String

from crm_agent.crm.objects import ObjectType

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")


@dataclass(frozen=True)
class PropertyDef:
    """One property of an object type.

    ``options`` is a list of (value, label) pairs for enumerations; ``format`` narrows a type
    (email, phone, domain, currency, owner, pipeline, dealstage, money, integer).
    """

    name: str
    label: str
    type: str
    options: list[tuple[str, str]] = field(default_factory=list)
    format: str | None = None
    searchable: bool = False
    readonly: bool = False
    custom: bool = False
    max_length: int | None = None

    def to_api(self, object_type: str) -> dict[str, Any]:
        """The definition as HubSpot's properties API shows it."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "objectType": object_type,
            "fieldType": "select" if self.type == "enumeration" else "text",
            "options": [{"value": v, "label": lbl} for v, lbl in self.options],
            "hubspotDefined": not self.custom,
            "readOnlyValue": self.readonly,
        }


def standard_properties(otype: ObjectType) -> dict[str, PropertyDef]:
    """The standard properties of ``otype``, read from its table's column ``info``."""
    defs: dict[str, PropertyDef] = {}
    for column in otype.model.__table__.columns:
        info = column.info
        if "type" not in info:
            continue
        max_length = column.type.length if isinstance(column.type, String) else None
        defs[column.name] = PropertyDef(
            name=column.name,
            label=info["label"],
            type=info["type"],
            options=list(info["options"] or []),
            format=info["format"],
            searchable=info["searchable"],
            readonly=info["readonly"],
            max_length=max_length,
        )
    return defs


def custom_property(
    object_type: str, name: str, label: str, type_: str, options: list[dict[str, str]] | None
) -> PropertyDef:
    """A custom property's definition from its stored row values."""
    pairs = [(o["value"], o.get("label", o["value"])) for o in options or []]
    return PropertyDef(
        name=name, label=label, type=type_, options=pairs, custom=True, max_length=65536 if type_ == "string" else None
    )
