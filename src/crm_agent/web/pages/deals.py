"""Deals: a board with a column per stage (drag a card to move the deal; every move is an audited
write through the CRM service), and a table view with filters, sorting and paging."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from crm_agent.api.deps import ServicesDep
from crm_agent.crm.schemas import Filter, FilterGroup, SearchRequest, Sort
from crm_agent.web.deps import WebCrm, redirect, render
from crm_agent.web.pages.records import lookups, table_context
from crm_agent.web.templating import Formatter

router = APIRouter()
BOARD_LIMIT = 50  # cards per column; the rest are one click away in the table


@router.get("/app/deals")
async def board(
    request: Request,
    services: ServicesDep,
    crm: WebCrm,
    pipeline: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    hubspot_owner_id: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    look = await lookups(crm, "deals")
    chosen = next((p for p in look.pipelines if p.id == pipeline), look.pipelines[0] if look.pipelines else None)
    fmt = Formatter(services.settings.tz)
    my_owner = await crm.my_owner_id()
    columns: list[dict[str, Any]] = []
    for stage in chosen.stages if chosen else []:
        filters = [
            Filter(propertyName="dealstage", operator="EQ", value=stage.id),
            Filter(propertyName="pipeline", operator="EQ", value=chosen.id),
        ]
        if hubspot_owner_id:
            filters.append(Filter(propertyName="hubspot_owner_id", operator="EQ", value=hubspot_owner_id))
        page = await crm.search(
            "deals",
            SearchRequest(
                filterGroups=[FilterGroup(filters=filters)],
                query=q or None,
                limit=BOARD_LIMIT,
                sorts=[Sort(propertyName="closedate", direction="ASCENDING")],
            ),
        )
        cards = []
        total = 0
        for deal in page.results:
            p = deal.properties
            owner = p.get("hubspot_owner_id")
            total += float(p.get("amount") or 0)
            cards.append(
                {
                    "id": deal.id,
                    "name": p.get("dealname") or f"Deal {deal.id}",
                    "amount": p.get("amount"),
                    "currency": p.get("deal_currency_code") or services.settings.default_currency,
                    "owner": look.owner_names.get(owner or "", ""),
                    "close": fmt.date(p.get("closedate")),
                    "movable": user_may_move(request, owner, my_owner),
                }
            )
        columns.append(
            {
                "id": stage.id,
                "label": stage.label,
                "count": page.total,
                "cards": cards,
                "sum": total,
                "more": page.total - len(cards),
                "closed": stage.metadata.get("isClosed") == "true",
            }
        )
    return render(
        request,
        "pages/deals_board.html",
        {
            "pipelines": look.pipelines,
            "pipeline": chosen,
            "columns": columns,
            "q": q or "",
            "owners": sorted(look.owner_names.items(), key=lambda kv: kv[1].lower()),
            "owner": hubspot_owner_id or "",
            "currency": services.settings.default_currency,
        },
    )


def user_may_move(request: Request, owner: str | None, my_owner: str | None) -> bool:
    """Whether to offer the move controls (the API enforces the rule either way)."""
    from crm_agent.auth.permissions import may_change_record

    return may_change_record(request.state.principal, owner, my_owner)


@router.get("/app/deals/table")
async def table(
    request: Request,
    services: ServicesDep,
    crm: WebCrm,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=60)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    hs_priority: Annotated[str | None, Query(max_length=20)] = None,
    hubspot_owner_id: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    filters = {"dealstage": stage or "", "hs_priority": hs_priority or "", "hubspot_owner_id": hubspot_owner_id or ""}
    context = await table_context(request, crm, services, "deals", q, sort, page, filters)
    context["base_path"] = "/app/deals/table"
    if request.headers.get("HX-Target") == "results":
        return render(request, "partials/records_table.html", context)
    return render(request, "pages/deals_table.html", context)


@router.post("/app/deals/{deal_id}/stage")
async def move(
    request: Request,
    crm: WebCrm,
    deal_id: Annotated[str, Path(pattern=r"^\d{1,18}$")],
    dealstage: Annotated[str, Form(min_length=1, max_length=64)],
    pipeline: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Move a deal to a stage (the form behind each card's "Move to" menu, for keyboards and phones)."""
    deal = await crm.update("deals", deal_id, {"dealstage": dealstage})
    look = await lookups(crm, "deals")
    label = look.stage_labels.get(deal.properties.get("dealstage") or "", dealstage)
    target = "/app/deals" + (f"?pipeline={pipeline}" if pipeline else "")
    return redirect(target, f"Moved {deal.properties.get('dealname') or 'the deal'} to {label}.", request)
