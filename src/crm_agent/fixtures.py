"""Fixtures: a CRM's starting content written as YAML (or a dict), loaded through the public
:class:`~crm_agent.crm.service.LocalCrm` API.

Records refer to each other by natural keys instead of ids: an owner by email, full name or first
name; a company by domain (or name); a contact by email (or "First Last"); a deal by its name. The
format (documented with examples in ``evals/README.md``)::

    extends: demo                 # optional: load this fixture first ("demo" is the packaged dataset)
    properties:                   # custom property definitions, per object type
      contacts:
        - {name: preferred_channel, label: Preferred channel, type: enumeration,
           options: [Email, Phone call, WhatsApp]}
    owners:
      - {email: raj@brightline.io, firstname: Raj, lastname: Patel}
    companies:
      - {name: Acme Corp, domain: acme.com, owner: Raj}
    contacts:
      - {firstname: Greg, lastname: Hall, email: greg.hall@acme.com, owner: raj@brightline.io,
         companies: [acme.com]}           # the first company is the primary one
    deals:
      - {dealname: Acme renewal, amount: 24000, dealstage: contractsent, closedate: 2026-11-27,
         owner: Raj, contacts: [greg.hall@acme.com], companies: [acme.com]}
    notes:
      - {hs_note_body: "Wants the quote split by plant", hs_timestamp: 2026-11-16T15:00:00Z,
         contacts: [greg.hall@acme.com], deals: [Acme renewal]}
    tasks:
      - {hs_task_subject: Send contract, hs_timestamp: 2026-11-23, deals: [Acme renewal]}

Every other key of a record is a property (standard or custom, HubSpot internal name; enumeration
values by option value or label); ``owner`` is short for ``hubspot_owner_id``. A contact without a
``company`` property gets its primary company's name there. A bad record stops the load with
:class:`~crm_agent.errors.ValidationFailed` naming it (e.g. ``contacts[3]``): a fixture that does
not load as written would test something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from crm_agent import audit
from crm_agent.crm.schemas import RecordInput
from crm_agent.crm.service import MAX_BATCH, LocalCrm
from crm_agent.crm.values import fold, normalize_domain
from crm_agent.errors import CrmAgentError, FieldError, ValidationFailed

SECTIONS = ("extends", "properties", "owners", "companies", "contacts", "deals", "notes", "tasks")
RECORD_SECTIONS = ("companies", "contacts", "deals", "notes", "tasks")
LINK_KEYS = ("companies", "contacts", "deals")  # association keys a record may carry, by target type
DEMO = "demo"
FIXTURE_ACTOR = "fixture"


@dataclass
class FixtureIds:
    """The ids of what a fixture created, by natural key (keys folded: lower case, no accents)."""

    owners: dict[str, str] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    deals: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)

    def id_of(self, object_type: str, ref: str) -> str:
        """The id of the owner, company, contact or deal that ``ref`` names; raises ValidationFailed."""
        table: dict[str, str] = getattr(self, object_type, None) or {}
        found = table.get(_key(object_type, ref))
        if found is None:
            raise ValidationFailed([FieldError(object_type, ref, f"no {object_type} in the fixture is called {ref!r}")])
        return found


def _key(object_type: str, ref: Any) -> str:
    text = fold(str(ref).strip())
    if object_type == "companies" and "." in text and " " not in text:
        try:
            return normalize_domain(text)
        except ValueError:
            return text
    return text


def packaged_demo() -> dict[str, Any]:
    """The demo dataset shipped in the package (``demo_data.yaml``, readable from an installed wheel)."""
    text = resources.files("crm_agent").joinpath("demo_data.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def read_fixture(ref: str | Path, base_dir: Path | None = None) -> dict[str, Any]:
    """The fixture named ``ref`` with every ``extends`` merged in (base first).

    ``ref`` is a path to a YAML file, or a name looked up as ``base_dir/NAME.yaml``; the name
    ``demo`` falls back to the packaged demo dataset.
    """
    path = Path(ref)
    if path.suffix not in {".yaml", ".yml"}:
        path = (base_dir or Path.cwd()) / f"{ref}.yaml"
        if str(ref) == DEMO and not path.exists():
            return resolve_extends(packaged_demo(), base_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed([FieldError("fixture", str(ref), f"cannot read {path}: {exc.strerror}")]) from None
    return resolve_extends(yaml.safe_load(text) or {}, path.parent)


def resolve_extends(data: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    """``data`` with its ``extends`` chain loaded and merged: sections of the base come first."""
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("fixture", data, "a fixture is a mapping of sections")])
    parent_ref = data.get("extends")
    if not parent_ref:
        return {k: v for k, v in data.items() if k != "extends"}
    base = read_fixture(parent_ref, base_dir)
    merged: dict[str, Any] = dict(base)
    for section, value in data.items():
        if section == "extends":
            continue
        if section == "properties":
            props = {k: list(v) for k, v in (merged.get("properties") or {}).items()}
            for otype, defs in (value or {}).items():
                props.setdefault(otype, []).extend(defs or [])
            merged["properties"] = props
        else:
            merged[section] = [*(merged.get(section) or []), *(value or [])]
    return merged


async def load_fixture(crm: LocalCrm, data: dict[str, Any], *, base_dir: Path | None = None) -> FixtureIds:
    """Create everything ``data`` describes in ``crm`` and return the new ids by natural key.

    Writes are audited with the actor ``fixture``. Raises ValidationFailed naming the first bad
    section or record.
    """
    data = resolve_extends(data, base_dir)
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise ValidationFailed(
            [FieldError("fixture", k, f"unknown section; use {', '.join(SECTIONS)}") for k in unknown]
        )
    token = audit.current_write_context.set(audit.WriteContext(actor=FIXTURE_ACTOR))
    try:
        ids = FixtureIds()
        await _load_properties(crm, data.get("properties") or {})
        await _load_owners(crm, data.get("owners") or [], ids)
        company_names: dict[str, str] = {}
        for section in RECORD_SECTIONS:
            await _load_records(crm, section, data.get(section) or [], ids, company_names)
        return ids
    finally:
        audit.current_write_context.reset(token)


async def _load_properties(crm: LocalCrm, sections: dict[str, list[dict[str, Any]]]) -> None:
    for object_type, defs in sections.items():
        for index, spec in enumerate(defs or []):
            where = f"properties.{object_type}[{index}]"
            try:
                await crm.create_property(
                    object_type,
                    spec["name"],
                    spec.get("label", spec["name"]),
                    spec.get("type", "string"),
                    spec.get("options"),
                )
            except KeyError as exc:
                raise ValidationFailed([FieldError(where, spec, f"missing {exc.args[0]!r}")]) from None
            except CrmAgentError as exc:
                raise ValidationFailed([FieldError(where, spec.get("name"), str(exc))]) from None


async def _load_owners(crm: LocalCrm, owners: list[dict[str, Any]], ids: FixtureIds) -> None:
    for index, spec in enumerate(owners):
        try:
            owner = await crm.create_owner(spec["email"], spec.get("firstname", ""), spec.get("lastname", ""))
        except KeyError:
            raise ValidationFailed([FieldError(f"owners[{index}]", spec, "an owner needs an email")]) from None
        except CrmAgentError as exc:
            raise ValidationFailed([FieldError(f"owners[{index}]", spec.get("email"), str(exc))]) from None
        ids.owners[owner.email] = owner.id
        for name in (f"{owner.firstName} {owner.lastName}", owner.firstName):
            ids.owners.setdefault(fold(name.strip()), owner.id)


def _natural_keys(section: str, props: dict[str, Any]) -> list[str | None]:
    """The keys other records may use for a record, the unique one first."""
    if section == "companies":
        return [props.get("domain") or props.get("name"), props.get("name")]
    if section == "contacts":
        full = f"{props.get('firstname') or ''} {props.get('lastname') or ''}".strip()
        return [props.get("email") or full, full]
    if section == "deals":
        return [props.get("dealname")]
    return []


async def _load_records(
    crm: LocalCrm, section: str, specs: list[dict[str, Any]], ids: FixtureIds, company_names: dict[str, str]
) -> None:
    inputs: list[RecordInput] = []
    keys: list[list[str]] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        where = f"{section}[{index}]"
        if not isinstance(spec, dict):
            raise ValidationFailed([FieldError(where, spec, "a record is a mapping of properties")])
        props = {k: v for k, v in spec.items() if k not in LINK_KEYS}
        if "owner" in props:
            props["hubspot_owner_id"] = props.pop("owner")
        associations = []
        for target in LINK_KEYS:
            refs = spec.get(target) or []
            for position, ref in enumerate([refs] if isinstance(refs, str) else refs):
                try:
                    target_id = ids.id_of(target, ref)
                except ValidationFailed as exc:
                    raise ValidationFailed([FieldError(f"{where}.{target}", ref, exc.errors[0].message)]) from None
                primary = target == "companies" and position == 0 and section in {"contacts", "deals"}
                associations.append({"to": {"id": target_id}, "objectType": target, "primary": primary})
                if primary and section == "contacts" and "company" not in props:
                    props["company"] = company_names.get(target_id)
        inputs.append(RecordInput(properties=props, associations=associations))
        names = [n for n in _natural_keys(section, props) if n]
        if names:
            key = _key(section, names[0])
            if key in (getattr(ids, section, None) or {}) or key in seen:
                raise ValidationFailed([FieldError(where, names[0], "repeats the key of an earlier record")])
            seen.add(key)
        keys.append(names)
    for start in range(0, len(inputs), MAX_BATCH):
        result = await crm.batch_create(section, inputs[start : start + MAX_BATCH])
        if result.errors:
            first = result.errors[0]
            index = start + first.index
            raise ValidationFailed([FieldError(f"{section}[{index}]", (keys[index] or [None])[0], first.message)])
        for offset, record in enumerate(result.results):
            index = start + offset
            if section in {"notes", "tasks"}:
                getattr(ids, section).append(record.id)
                continue
            if section == "companies":
                company_names[record.id] = record.properties.get("name") or ""
            table: dict[str, str] = getattr(ids, section)
            for natural in keys[index]:
                table.setdefault(_key(section, natural), record.id)
