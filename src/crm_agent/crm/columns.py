"""HubSpot CSV column names and the CRM properties they hold, both ways.

The column names of HubSpot's exports are the properties' labels ("First Name", "Contact owner",
"Lead Status", "Company Domain Name", ...), and every property definition carries its label
(standard ones in the models' column info, custom ones in their definition), so the mapping is
derived from the definitions: a header matches a property whose label or internal name it spells,
ignoring case, accents, spaces and punctuation. ``ALIASES`` only adds the few headers HubSpot
writes differently from the property's label. "Record ID" is the record id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.values import fold

RECORD_ID = "Record ID"
RECORD_ID_PROPERTY = "hs_object_id"

# Headers of HubSpot exports (and common hand-made files) that are not a property's label.
ALIASES: dict[str, dict[str, str]] = {
    "contacts": {
        "Email Address": "email",
        "Phone": "phone",
        "Company": "company",
        "Owner": "hubspot_owner_id",
        "Contact Owner Email": "hubspot_owner_id",
    },
    "companies": {
        "Name": "name",
        "Domain": "domain",
        "Website Domain": "domain",
        "Country": "country",
        "Owner": "hubspot_owner_id",
    },
    "deals": {
        "Name": "dealname",
        "Stage": "dealstage",
        "Owner": "hubspot_owner_id",
        "Deal Currency": "deal_currency_code",
    },
}
# Read-only properties that HubSpot exports and an import passes over without complaint.
EXPORTED_READONLY = ("createdate", "lastmodifieddate")


def header_key(text: str) -> str:
    """A header reduced for matching: ``" Contact  Owner "`` and ``"contact_owner"`` -> ``"contactowner"``."""
    return re.sub(r"[^a-z0-9]+", "", fold(text))


@dataclass
class ColumnMap:
    """How the columns of one file map to properties.

    ``properties`` maps column positions to property names; ``record_id`` is the position of the
    "Record ID" column; ``readonly`` and ``unknown`` list the headers of columns that are not
    imported (read-only properties, and columns no property matches); ``repeated`` lists headers
    that name a property an earlier column already holds.
    """

    headers: list[str]
    properties: dict[int, str] = field(default_factory=dict)
    record_id: int | None = None
    readonly: list[str] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)

    def header_of(self, prop: str) -> str | None:
        """The header of the column holding property ``prop`` (a phone's ``*_raw`` is its phone)."""
        prop = prop.removesuffix("_raw")
        return next((self.headers[i] for i, p in self.properties.items() if p == prop), None)


def property_index(object_type: str, defs: dict[str, PropertyDef]) -> dict[str, str]:
    """Header keys to property names: labels and internal names of every property, plus aliases.

    Where two properties share a label the writable standard one wins.
    """
    index: dict[str, str] = {}
    ranked = sorted(defs.values(), key=lambda d: (d.readonly, d.custom))
    for defn in ranked:
        index.setdefault(header_key(defn.label), defn.name)
    for defn in ranked:
        index.setdefault(header_key(defn.name), defn.name)
    for header, name in ALIASES.get(object_type, {}).items():
        if name in defs:
            index.setdefault(header_key(header), name)
    return index


def map_columns(object_type: str, headers: list[str], defs: dict[str, PropertyDef]) -> ColumnMap:
    """Match the ``headers`` of a file to the properties ``defs`` of ``object_type``."""
    index = property_index(object_type, defs)
    result = ColumnMap(headers=[h.strip() for h in headers])
    taken: set[str] = set()
    for position, header in enumerate(result.headers):
        key = header_key(header)
        if key in (header_key(RECORD_ID), RECORD_ID_PROPERTY.replace("_", "")) and result.record_id is None:
            result.record_id = position
            continue
        name = index.get(key)
        if name is None:
            if header:
                result.unknown.append(position)
            continue
        if name in taken:
            result.repeated.append(header)
            continue
        taken.add(name)
        if defs[name].readonly:
            result.readonly.append(header)
        else:
            result.properties[position] = name
    return result


def export_columns(defs: dict[str, PropertyDef]) -> list[tuple[str, str]]:
    """The (header, property) columns of an export: "Record ID", the writable standard properties
    in table order, the read-only dates HubSpot exports, then custom properties by name."""
    standard = [d for d in defs.values() if not d.custom]
    columns = [(RECORD_ID, RECORD_ID_PROPERTY)]
    columns += [(d.label, d.name) for d in standard if not d.readonly]
    columns += [(defs[n].label, n) for n in EXPORTED_READONLY if n in defs]
    seen = {header_key(h) for h, _ in columns}
    for defn in sorted((d for d in defs.values() if d.custom), key=lambda d: d.name):
        header = defn.label if header_key(defn.label) not in seen else defn.name  # keep headers unambiguous
        seen.add(header_key(header))
        columns.append((header, defn.name))
    return columns
