"""Compiles HubSpot search requests into SQL over the CRM tables.

Semantics follow HubSpot's CRM search API: filters in a group are AND-ed, groups are OR-ed;
string ``EQ``/``NEQ``/``IN`` ignore case; ``NEQ``, ``NOT_IN`` and ``NOT_CONTAINS_TOKEN`` also
match records that have no value; ``CONTAINS_TOKEN`` matches a case-insensitive substring, and
``*`` in its value is a wildcard. Free-text ``query`` matches every query word as the prefix of
a word of the default searchable properties, ignoring case and accents (``search_tokens``).
Filter values arrive already coerced by the service (Decimal, aware datetime, option value,
owner id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Numeric, and_, cast, false, func, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

from crm_agent.crm.models import SearchToken
from crm_agent.crm.objects import ObjectType
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import Filter, SearchRequest
from crm_agent.crm.values import to_api, tokens

TOKEN_UPPER = "~"  # sorts after every character a token may hold (a-z, 0-9, @ . _ + -)


def property_expr(otype: ObjectType, defn: PropertyDef) -> ColumnElement[Any]:
    """The SQL expression holding property ``defn`` of ``otype`` (a column or a JSON field)."""
    model = otype.model
    if not defn.custom:
        return getattr(model, defn.name)
    expr = model.custom_properties[defn.name].as_string()
    return cast(expr, Numeric(38, 10)) if defn.type == "number" else expr


def _is_text(defn: PropertyDef) -> bool:
    return defn.type == "string" and defn.format not in {"owner", "pipeline", "dealstage"}


def _operand(defn: PropertyDef, value: Any) -> Any:
    if defn.custom and defn.type not in {"number"}:
        return to_api(value)
    return value.lower() if _is_text(defn) and isinstance(value, str) else value


def compile_filter(otype: ObjectType, defn: PropertyDef, flt: Filter) -> ColumnElement[bool]:
    """One filter as a SQL condition."""
    expr = property_expr(otype, defn)
    cmp = func.lower(expr) if _is_text(defn) and defn.format != "email" else expr
    op = flt.operator
    if op == "HAS_PROPERTY":
        return and_(expr.is_not(None), expr != "") if _is_text(defn) else expr.is_not(None)
    if op == "NOT_HAS_PROPERTY":
        return or_(expr.is_(None), expr == "") if _is_text(defn) else expr.is_(None)
    if op in {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}:
        pattern = str(flt.value).lower().replace("%", r"\%").replace("_", r"\_").replace("*", "%")
        if "%" not in pattern.replace(r"\%", ""):
            pattern = f"%{pattern}%"
        cond = func.lower(expr).like(pattern, escape="\\")
        return cond if op == "CONTAINS_TOKEN" else or_(~cond, expr.is_(None))
    if op in {"IN", "NOT_IN"}:
        values = [_operand(defn, v) for v in flt.values or []]
        cond = cmp.in_(values)
        return cond if op == "IN" else or_(~cond, expr.is_(None))
    if op == "BETWEEN":
        return cmp.between(_operand(defn, flt.value), _operand(defn, flt.highValue))
    value = _operand(defn, flt.value)
    comparisons = {"EQ": cmp == value, "LT": cmp < value, "LTE": cmp <= value, "GT": cmp > value, "GTE": cmp >= value}
    if op == "NEQ":
        return or_(cmp != value, expr.is_(None))
    return comparisons[op]


def query_condition(otype: ObjectType, text: str) -> ColumnElement[bool]:
    """Every word of ``text`` must prefix a search token of the record."""
    words = tokens(text)
    if not words:
        return false()
    conditions = []
    for word in words:
        sub = select(SearchToken.record_id).where(
            SearchToken.object_type == otype.name, SearchToken.token >= word, SearchToken.token < word + TOKEN_UPPER
        )
        conditions.append(otype.model.id.in_(sub))
    return and_(*conditions)


def compile_search(otype: ObjectType, defs: dict[str, PropertyDef], request: SearchRequest) -> Select[Any]:
    """SELECT of matching record rows (no paging), ordered by ``sorts`` then id."""
    model = otype.model
    stmt = select(model).where(model.archived == literal(request.archived))
    if request.filterGroups:
        groups = [
            and_(*(compile_filter(otype, defs[f.propertyName], f) for f in g.filters))
            for g in request.filterGroups
            if g.filters
        ]
        if groups:
            stmt = stmt.where(or_(*groups))
    if request.query and request.query.strip():
        stmt = stmt.where(query_condition(otype, request.query))
    order = []
    for sort in request.sorts:
        expr = property_expr(otype, defs[sort.propertyName])
        order.append(expr.desc() if sort.direction == "DESCENDING" else expr.asc())
    return stmt.order_by(*order, model.id.asc())
