"""Compiles HubSpot search requests into SQL over the CRM tables.

Semantics follow HubSpot's CRM search API: filters in a group are AND-ed, groups are OR-ed;
string ``EQ``/``NEQ``/``IN`` ignore case; ``NEQ``, ``NOT_IN`` and ``NOT_CONTAINS_TOKEN`` also
match records that have no value; ``CONTAINS_TOKEN`` matches a case-insensitive substring, and
``*`` in its value is a wildcard. Free-text ``query`` matches every query word as the prefix of
a word of the default searchable properties, ignoring case and accents (``search_tokens``; words
as :func:`~crm_agent.crm.values.search_words` splits them, so a phone number is one word).
Filter values arrive already coerced by the service (Decimal, aware datetime, option value,
owner id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Numeric, String, and_, cast, false, func, intersect, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

from crm_agent.crm.coercion import RECORD_ID, search_property
from crm_agent.crm.models import SearchToken
from crm_agent.crm.objects import ObjectType
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import Filter, SearchRequest
from crm_agent.crm.values import search_words, to_api

TOKEN_UPPER = "~"  # sorts after every character a token may hold (a-z, 0-9)


def property_expr(otype: ObjectType, defn: PropertyDef) -> ColumnElement[Any]:
    """The SQL expression holding property ``defn`` of ``otype`` (a column or a JSON field)."""
    table = otype.model.__table__
    if defn is RECORD_ID:
        return table.c.id
    if not defn.custom:
        return table.c[defn.name]
    expr = table.c.custom_properties[defn.name].as_string()
    return cast(expr, Numeric(38, 10)) if defn.type == "number" else expr


def _text_expr(otype: ObjectType, defn: PropertyDef) -> ColumnElement[Any]:
    """The property as text, for substring matching."""
    if defn.custom:
        return otype.model.__table__.c.custom_properties[defn.name].as_string()
    expr = property_expr(otype, defn)
    return expr if defn.type == "string" else cast(expr, String)


def _is_text(defn: PropertyDef) -> bool:
    return defn.type == "string" and defn.format not in {"owner", "pipeline", "dealstage"}


def _operand(defn: PropertyDef, value: Any) -> Any:
    if defn.custom and defn.type != "number":
        value = to_api(value)
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
        cond = func.lower(_text_expr(otype, defn)).like(pattern, escape="\\")
        return cond if op == "CONTAINS_TOKEN" else or_(~cond, expr.is_(None))
    if op in {"IN", "NOT_IN"}:
        values = [_operand(defn, v) for v in flt.values or []]
        cond = cmp.in_(values)
        return cond if op == "IN" else or_(~cond, expr.is_(None))
    if op == "BETWEEN":
        return cmp.between(_operand(defn, flt.value), _operand(defn, flt.highValue))
    value = _operand(defn, flt.value)
    if op == "NEQ":
        return or_(cmp != value, expr.is_(None))
    comparisons = {"EQ": cmp == value, "LT": cmp < value, "LTE": cmp <= value, "GT": cmp > value, "GTE": cmp >= value}
    return comparisons[op]


def query_condition(otype: ObjectType, text: str) -> ColumnElement[bool]:
    """Every word of ``text`` must prefix a search token of the record: the record ids of each
    word's token range (read from the covering index), intersected."""
    words = search_words(text)
    if not words:
        return false()
    ranges = [
        select(SearchToken.record_id).where(
            SearchToken.object_type == otype.name, SearchToken.token >= word, SearchToken.token < word + TOKEN_UPPER
        )
        for word in words
    ]
    ids = ranges[0] if len(ranges) == 1 else intersect(*ranges)
    return otype.model.__table__.c.id.in_(ids)


def compile_search(otype: ObjectType, defs: dict[str, PropertyDef], request: SearchRequest) -> Select[Any]:
    """SELECT of matching record rows (all columns, no paging), ordered by ``sorts`` (records
    without a value last) then id.

    ``hs_object_id`` (the record id) may be filtered and sorted on like any property.
    """
    table = otype.model.__table__
    stmt = select(table).where(table.c.archived == literal(request.archived))
    if request.filterGroups:
        groups = [
            and_(*(compile_filter(otype, _defn(defs, f.propertyName), f) for f in g.filters))
            for g in request.filterGroups
            if g.filters
        ]
        if groups:
            stmt = stmt.where(or_(*groups))
    if request.query and request.query.strip():
        stmt = stmt.where(query_condition(otype, request.query))
    order = []
    for sort in request.sorts:
        expr = property_expr(otype, _defn(defs, sort.propertyName))
        # records without a value come last either way, on SQLite as on PostgreSQL
        order.append((expr.desc() if sort.direction == "DESCENDING" else expr.asc()).nulls_last())
    return stmt.order_by(*order, table.c.id.asc())


def _defn(defs: dict[str, PropertyDef], name: str) -> PropertyDef:
    defn = search_property(defs, name)
    if defn is None:
        raise KeyError(name)
    return defn
