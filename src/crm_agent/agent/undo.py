"""Undo a run by replaying its audit entries backwards.

Every entry of the run is checked before anything is reverted: if a record's current state differs
from what the run left (a later change would be overwritten), undo refuses and names the record.
Updates revert only the properties the run changed; creates become archives; archives are restored;
associations are removed or re-added. The reverting writes are audited under the undoing actor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crm_agent import audit
from crm_agent.audit import AuditEntry
from crm_agent.crm.objects import OBJECT_TYPES
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import NotFound, UndoRefused

_IGNORED = {"lastmodifieddate", "hs_object_id"}


def _changed(entry: AuditEntry) -> dict[str, tuple[Any, Any]]:
    before = (entry.before or {}).get("properties", {})
    after = (entry.after or {}).get("properties", {})
    return {
        k: (before.get(k), after.get(k))
        for k in set(before) | set(after)
        if k not in _IGNORED and before.get(k) != after.get(k)
    }


async def _current(crm: LocalCrm, entry: AuditEntry) -> dict[str, Any]:
    try:
        record = await crm.get(entry.object_type, entry.object_id, archived=True)
    except NotFound:
        raise UndoRefused(f"{entry.object_type} {entry.object_id} no longer exists") from None
    return {"properties": record.properties, "archived": record.archived}


def _name(entry: AuditEntry) -> str:
    props = (entry.after or entry.before or {}).get("properties", {})
    name = (
        " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        or props.get("name")
        or props.get("dealname")
        or props.get("email")
        or ""
    )
    return f"{OBJECT_TYPES[entry.object_type].singular} {entry.object_id}" + (f" ({name})" if name else "")


async def _check(crm: LocalCrm, entry: AuditEntry) -> None:
    if entry.object_type == "associations" or entry.object_type not in OBJECT_TYPES:
        return
    current = await _current(crm, entry)
    after = entry.after or {}
    if entry.action in {"archive", "restore"}:
        if current["archived"] != after.get("archived"):
            raise UndoRefused(
                f"{_name(entry)} was {'restored' if after.get('archived') else 'archived'} after "
                "this run; undo would overwrite that"
            )
        return
    keys = (
        _changed(entry)
        if entry.action == "update"
        else {k: (None, v) for k, v in after.get("properties", {}).items() if k not in _IGNORED}
    )
    drift = [k for k, (_, value) in keys.items() if current["properties"].get(k) != value]
    if drift:
        raise UndoRefused(
            f"{_name(entry)} was changed after this run ({', '.join(sorted(drift))}); undo would overwrite that change"
        )


async def _revert(crm: LocalCrm, entry: AuditEntry) -> None:
    if entry.object_type == "associations":
        pair = entry.after or entry.before or {}
        if entry.action == "associate" and entry.before is None:
            await crm.disassociate(pair["from_type"], pair["from_id"], pair["to_type"], pair["to_id"])
        else:
            old = entry.before or {}
            await crm.associate(
                pair["from_type"], pair["from_id"], pair["to_type"], pair["to_id"], primary=bool(old.get("primary"))
            )
        return
    if entry.object_type not in OBJECT_TYPES:
        return
    if entry.action == "create":
        await crm.archive(entry.object_type, entry.object_id)
    elif entry.action == "archive":
        await crm.restore(entry.object_type, entry.object_id)
    elif entry.action == "restore":
        await crm.archive(entry.object_type, entry.object_id)
    elif entry.action == "update":
        defs = await crm.properties(entry.object_type)
        values = {k: before for k, (before, _) in _changed(entry).items() if k in defs and not defs[k].readonly}
        if values:
            await crm.update(
                entry.object_type, entry.object_id, {k: v if v is not None else "" for k, v in values.items()}
            )


async def undo_run(crm: LocalCrm, run_id: str, actor: str) -> int:
    """Revert every audited write of ``run_id``, newest first; returns how many were reverted.

    Raises UndoRefused (naming the record) before changing anything if a later change would be lost.
    """
    async with crm.sessions() as session:
        entries = list(
            (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.run_id == run_id).order_by(AuditEntry.id.desc())
                )
            ).all()
        )
    if not entries:
        raise UndoRefused(f"run {run_id} wrote nothing; there is nothing to undo")
    touched: set[tuple[str, str]] = set()
    for entry in entries:
        key = (entry.object_type, entry.object_id)
        if key not in touched:
            await _check(crm, entry)
            touched.add(key)
    token = audit.current_write_context.set(audit.WriteContext(actor=f"{actor} (undo of run {run_id})"))
    try:
        for entry in entries:
            await _revert(crm, entry)
    finally:
        audit.current_write_context.reset(token)
    return len(entries)
