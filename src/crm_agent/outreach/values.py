"""What templates are filled with: contacts, deals and summaries read from the CRM.

:class:`TemplateValues` turns ids into the dictionaries the templates use (``contact``, ``deal``
with stage and pipeline labels, ``from_stage``/``to_stage``, the day's lists for the summaries,
proposed meeting times). A summary is ``{"total", "rows", "more", "amount"}``; :func:`render_fitting`
lists fewer rows until the body fits in one email.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from crm_agent.config import Settings
from crm_agent.crm.schemas import CrmRecord, Filter, FilterGroup, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.errors import FieldError, NotFound, ValidationFailed
from crm_agent.outreach.compliance import MAX_BODY
from crm_agent.outreach.templates import Rendered, Templates

SUMMARY_ROWS = 15


def day_bounds(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    """Local midnight before and after ``now`` in the configured time zone."""
    tz = settings.tz
    day = now.astimezone(tz).date()
    return datetime.combine(day, time(), tzinfo=tz), datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)


class TemplateValues:
    """Reads what a template needs from the CRM."""

    def __init__(self, crm: LocalCrm):
        self.crm = crm
        self.settings = crm.settings

    async def for_template(
        self,
        name: str,
        needs: list[str],
        contact_id: str | int | None,
        deal_id: str | int | None,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        """The values of template ``name``; ``variables`` win. Raises ValidationFailed naming a
        needed value that is missing, NotFound for a missing record."""
        values: dict[str, Any] = {}
        if contact_id is not None:
            values["contact"] = await self.contact(contact_id)
        if deal_id is not None:
            values["deal"] = await self.deal(deal_id)
            if values.get("contact") is None and values["deal"]["contact_ids"]:
                values["contact"] = await self.contact(values["deal"]["contact_ids"][0])
        if name == "deal_stage_changed" and deal_id is not None:
            history = await self.crm.stage_history(deal_id)
            labels = values["deal"]["stage_labels"]
            last = history[-1] if history else {"from": None, "to": values["deal"]["stage_id"]}
            values["from_stage"] = labels.get(last["from"], last["from"])
            values["to_stage"] = labels.get(last["to"], last["to"])
        if name in ("daily_summary", "deals_created_today"):
            values.update(await self.day())
        if name == "meeting_request":
            values["duration_minutes"] = 30
            values["proposed_times"] = self.proposed_times()
        values.update(variables)
        missing = [n for n in needs if values.get(n) is None]
        if missing:
            hints = {"contact": "pass contact_id", "deal": "pass deal_id"}
            raise ValidationFailed(
                [
                    FieldError(n, None, f"template {name} needs {n}; {hints.get(n, 'pass it in variables')}")
                    for n in missing
                ]
            )
        return values

    async def contact(self, contact_id: str | int) -> dict[str, Any]:
        """A contact as templates see it (``name`` is the full name, or the email)."""
        record = await self.crm.get("contacts", contact_id)
        p = record.properties
        name = (
            " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x)
            or p.get("email")
            or f"contact {record.id}"
        )
        return {
            "id": record.id,
            "name": name,
            "firstname": p.get("firstname"),
            "lastname": p.get("lastname"),
            "email": p.get("email"),
            "company": p.get("company"),
            "phone": p.get("phone"),
            "jobtitle": p.get("jobtitle"),
            "lifecyclestage": p.get("lifecyclestage"),
            "created": record.createdAt,
        }

    async def deal(self, deal_id: str | int) -> dict[str, Any]:
        """A deal with its amount, pipeline and stage labels and its contacts' names."""
        record = await self.crm.get("deals", deal_id)
        p = record.properties
        pipelines = {pl.id: pl for pl in await self.crm.list_pipelines()}
        pipeline = pipelines.get(p.get("pipeline") or "default")
        labels = {st.id: st.label for st in pipeline.stages} if pipeline else {}
        linked = record.associations.get("contacts")
        contact_ids = [a.id for a in linked.results] if linked else []
        names = []
        for cid in contact_ids[:5]:
            with contextlib.suppress(NotFound):
                names.append((await self.contact(cid))["name"])
        return {
            "id": record.id,
            "name": p.get("dealname") or f"deal {record.id}",
            "amount": Decimal(p["amount"]) if p.get("amount") else None,
            "currency": p.get("deal_currency_code") or self.settings.default_currency,
            "pipeline": pipeline.label if pipeline else p.get("pipeline"),
            "stage": labels.get(p.get("dealstage") or "", p.get("dealstage")),
            "stage_id": p.get("dealstage"),
            "stage_labels": labels,
            "closedate": p.get("closedate"),
            "created": record.createdAt,
            "contacts": names,
            "contact_ids": contact_ids,
        }

    def proposed_times(self) -> list[str]:
        """The next two working days at 10:00 and 14:00 in the configured time zone."""
        day, out = self.crm.now().astimezone(self.settings.tz).date(), []
        while len(out) < 4:
            day += timedelta(days=1)
            if day.weekday() < 5:
                out += [f"{day:%A %d %B} at {h}:00 ({self.settings.timezone})" for h in (10, 14)]
        return out

    async def day(self) -> dict[str, Any]:
        """Today's new contacts and deals, stage changes and open tasks due (local day)."""
        start, end = day_bounds(self.crm.now(), self.settings)
        today = [
            Filter(propertyName="createdate", operator="GTE", value=start),
            Filter(propertyName="createdate", operator="LT", value=end),
        ]
        contacts = await self.summary("contacts", SearchRequest(filterGroups=[FilterGroup(filters=today)]))
        deals = await self.summary("deals", SearchRequest(filterGroups=[FilterGroup(filters=today)]))
        modified = await self.all(
            "deals",
            SearchRequest(
                filterGroups=[
                    FilterGroup(
                        filters=[
                            Filter(propertyName="lastmodifieddate", operator="GTE", value=start),
                            Filter(propertyName="lastmodifieddate", operator="LT", value=end),
                        ]
                    )
                ]
            ),
        )
        pipelines = {pl.id: {st.id: st.label for st in pl.stages} for pl in await self.crm.list_pipelines()}
        changes = []
        for deal in modified:
            labels = pipelines.get(deal.properties.get("pipeline") or "default", {})
            for change in await self.crm.stage_history(deal.id):
                if change["from"] is not None and start <= change["at"] < end:
                    changes.append(
                        f"{deal.properties.get('dealname')}: {labels.get(change['from'], change['from'])} -> "
                        f"{labels.get(change['to'], change['to'])}"
                    )
        tasks = await self.summary(
            "tasks",
            SearchRequest(
                filterGroups=[
                    FilterGroup(
                        filters=[
                            Filter(propertyName="hs_timestamp", operator="GTE", value=start),
                            Filter(propertyName="hs_timestamp", operator="LT", value=end),
                            Filter(propertyName="hs_task_status", operator="NEQ", value="COMPLETED"),
                        ]
                    )
                ]
            ),
        )
        return {
            "day": start.date().isoformat(),
            "contacts": contacts,
            "deals": deals,
            "stage_changes": rows(changes, len(changes)),
            "tasks_due": tasks,
        }

    async def all(self, object_type: str, request: SearchRequest, cap: int = 1000) -> list[CrmRecord]:
        """Every record the search finds (up to ``cap``), page by page."""
        out: list[CrmRecord] = []
        request = request.model_copy(update={"limit": 200, "after": None})
        while len(out) < cap:
            page = await self.crm.search(object_type, request)
            out += page.results
            if not page.paging or not page.paging.next:
                break
            request = request.model_copy(update={"after": page.paging.next["after"]})
        return out

    async def summary(self, object_type: str, request: SearchRequest) -> dict[str, Any]:
        """Total, one line per record, and for deals the amount per currency."""
        total = await self.crm.count(object_type, request)
        records = await self.all(object_type, request)
        stages = {}
        if object_type == "deals":
            stages = {st.id: st.label for pl in await self.crm.list_pipelines() for st in pl.stages}
        summary = rows([_label(object_type, r, stages) for r in records], total)
        if object_type == "deals":
            sums: dict[str, Decimal] = {}
            for r in records:
                if r.properties.get("amount"):
                    cur = r.properties.get("deal_currency_code") or self.settings.default_currency
                    sums[cur] = sums.get(cur, Decimal(0)) + Decimal(r.properties["amount"])
            summary["amount"] = ", ".join(f"{v:,.2f} {k}" for k, v in sorted(sums.items()))
        return summary


def render_fitting(templates: Templates, template: str, values: dict[str, Any]) -> Rendered:
    """Render, listing fewer rows of any summary until the body fits in one email (2,000 characters)."""
    lists = [v for v in values.values() if isinstance(v, dict) and "all_rows" in v]
    cap = SUMMARY_ROWS
    while True:
        for summary in lists:
            summary["rows"] = summary["all_rows"][:cap]
            summary["more"] = summary["total"] - len(summary["rows"])
        rendered = templates.render(template, values)
        if len(rendered.body.strip()) <= MAX_BODY or cap == 0 or not lists:
            return rendered
        cap -= 1


def rows(labels: list[str], total: int) -> dict[str, Any]:
    """A summary of ``total`` records from one line per record (``all_rows``)."""
    return {
        "total": total,
        "all_rows": labels,
        "rows": labels[:SUMMARY_ROWS],
        "more": max(0, total - SUMMARY_ROWS),
        "amount": "",
    }


def _label(object_type: str, record: CrmRecord, stages: dict[str, str]) -> str:
    p = record.properties
    if object_type == "contacts":
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x)
        parts = [name, f"<{p['email']}>" if p.get("email") else "", f"({p['company']})" if p.get("company") else ""]
        return " ".join(x for x in parts if x) or f"contact {record.id}"
    if object_type == "deals":
        amount = (
            f"{Decimal(p['amount']):,.2f} {p.get('deal_currency_code') or ''}".strip()
            if p.get("amount")
            else "no amount"
        )
        stage = stages.get(p.get("dealstage") or "", p.get("dealstage") or "")
        return f"{p.get('dealname') or 'deal ' + record.id} - {amount} - {stage}".rstrip(" -")
    if object_type == "companies":
        return f"{p.get('name') or 'company ' + record.id}" + (f" ({p['domain']})" if p.get("domain") else "")
    if object_type == "tasks":
        due = (p.get("hs_timestamp") or "")[:10]
        return f"{p.get('hs_task_subject') or 'task ' + record.id}" + (f" (due {due})" if due else "")
    for key in ("hs_meeting_title", "hs_email_subject", "hs_note_body"):
        if p.get(key):
            return str(p[key])[:120]
    return f"{object_type} {record.id}"
