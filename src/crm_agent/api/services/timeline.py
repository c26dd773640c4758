"""A record's timeline: its notes, tasks, meetings and emails, and deal stage changes, newest first.

Engagements come from the record's associations through the CRM service; stage changes from the
deal stage history (the record's own for a deal, its associated deals' for a contact or company).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from crm_agent.crm.schemas import CrmRecord, PipelineRecord
from crm_agent.errors import NotFound

ENGAGEMENTS = ("notes", "tasks", "meetings", "emails")
MAX_PER_TYPE = 100


class ReadableCrm(Protocol):
    async def get(self, object_type: str, record_id: str | int, *, archived: bool = False) -> CrmRecord: ...
    async def stage_history(self, deal_id: str | int) -> list[dict[str, Any]]: ...
    async def list_pipelines(self) -> list[PipelineRecord]: ...


@dataclass
class TimelineItem:
    """One thing that happened: ``kind`` is note, task, meeting, email or stage."""

    kind: str
    at: datetime | None
    title: str
    body: str = ""
    status: str = ""
    record_type: str = ""
    record_id: str = ""
    actor: str = ""
    detail: str = ""


def _when(record: CrmRecord, *names: str) -> datetime | None:
    for name in names:
        value = record.properties.get(name)
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
    return record.createdAt


def _item(object_type: str, r: CrmRecord) -> TimelineItem:
    p = r.properties
    if object_type == "notes":
        return TimelineItem(
            "note", _when(r, "hs_timestamp"), "Note", p.get("hs_note_body") or "", record_type="notes", record_id=r.id
        )
    if object_type == "tasks":
        status = (p.get("hs_task_status") or "NOT_STARTED").replace("_", " ").lower()
        return TimelineItem(
            "task",
            _when(r, "hs_timestamp"),
            p.get("hs_task_subject") or "Task",
            p.get("hs_task_body") or "",
            status=status,
            record_type="tasks",
            record_id=r.id,
            detail="due",
        )
    if object_type == "meetings":
        where = p.get("hs_meeting_location") or ""
        return TimelineItem(
            "meeting",
            _when(r, "hs_meeting_start_time", "hs_timestamp"),
            p.get("hs_meeting_title") or "Meeting",
            where,
            status=(p.get("hs_meeting_outcome") or "").lower(),
            record_type="meetings",
            record_id=r.id,
        )
    direction = "received" if p.get("hs_email_direction") == "INCOMING_EMAIL" else "sent"
    parties = p.get("hs_email_from_email") if direction == "received" else p.get("hs_email_to_email")
    return TimelineItem(
        "email",
        _when(r, "hs_timestamp"),
        p.get("hs_email_subject") or "(no subject)",
        (p.get("hs_email_text") or "")[:600],
        status=(p.get("hs_email_status") or direction).lower(),
        record_type="emails",
        record_id=r.id,
        detail=parties or "",
    )


async def _get_many(crm: ReadableCrm, object_type: str, ids: list[str]) -> list[CrmRecord]:
    async def one(record_id: str) -> CrmRecord | None:
        try:
            return await crm.get(object_type, record_id)
        except NotFound:
            return None

    found = await asyncio.gather(*(one(i) for i in ids[-MAX_PER_TYPE:]))
    return [r for r in found if r is not None]


async def timeline(crm: ReadableCrm, object_type: str, record: CrmRecord) -> list[TimelineItem]:
    """Everything on ``record``'s timeline, newest first (undated items last)."""
    items: list[TimelineItem] = []
    if object_type == "deals":
        deals = [record]
    else:
        links = record.associations.get("deals")
        deals = await _get_many(crm, "deals", [a.id for a in links.results]) if links else []
    if deals:
        labels = {s.id: s.label for p in await crm.list_pipelines() for s in p.stages}
        for deal in deals:
            name = deal.properties.get("dealname") or f"deal {deal.id}"
            for change in await crm.stage_history(deal.id):
                to = labels.get(change["to"], change["to"])
                if change["from"] is None:
                    title = f"{name} created in {to}" if object_type != "deals" else f"Created in {to}"
                else:
                    src = labels.get(change["from"], change["from"])
                    title = f"{name}: {src} → {to}" if object_type != "deals" else f"{src} → {to}"
                items.append(
                    TimelineItem(
                        "stage", change["at"], title, record_type="deals", record_id=deal.id, actor=change["by"]
                    )
                )
    for kind in ENGAGEMENTS:
        links = record.associations.get(kind)
        if links and links.results:
            items += [_item(kind, r) for r in await _get_many(crm, kind, [a.id for a in links.results])]
    # Newest first; among equal times the later-recorded item first (stage history comes oldest first).
    order = sorted(((i.at, n, i) for n, i in enumerate(items) if i.at), key=lambda t: (t[0], t[1]), reverse=True)
    return [i for _, _, i in order] + [i for i in items if not i.at]
