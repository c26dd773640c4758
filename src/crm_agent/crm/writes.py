"""The write path of the embedded CRM: create, update and upsert records in batches.

A batch is written in two phases. First every input is validated completely (reading only):
its properties against their definitions, with owners, pipelines and stages resolved, and the
record an update names. Then, in one transaction, the unique keys (``email`` for contacts,
``domain`` for companies; HubSpot's deduplication keys) and the targets of associations are
checked, and the valid inputs are written together with bulk statements: the records, their
search tokens, deal stage history, associations and one audit entry per record write. An input
that fails any check is reported in the :class:`BatchResult` and nothing of it is written: a bad
input never takes the good ones down. An update that gives every property the value it already
has is reported as updated but writes nothing: no new modification time, no audit entry (so
re-running an import leaves no trace). Batches larger than ``TRANSACTION_SIZE`` (imports) are
written in transactions of that size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent import audit
from crm_agent.crm import directory, links
from crm_agent.crm.coercion import Refs, coerce_properties, load_refs
from crm_agent.crm.models import DealStageChange, SearchToken
from crm_agent.crm.objects import ObjectType, object_type
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.records import (
    any_of,
    chunks,
    dialect_of,
    image,
    load_rows,
    maybe_int,
    standard_names,
    table_of,
    to_records,
)
from crm_agent.crm.schemas import BatchResult, RecordInput
from crm_agent.crm.values import index_words, to_api
from crm_agent.errors import Conflict, NotFound, ValidationFailed
from crm_agent.storage.bulk import insert_rows
from crm_agent.storage.engine import read_connection

UNIQUE_KEYS = {"contacts": "email", "companies": "domain"}
TRANSACTION_SIZE = 5000  # inputs per transaction of a larger batch (an import): fewer index pages rewritten per row


@dataclass
class Pending:
    """One validated input waiting to be written."""

    index: int
    values: dict[str, Any]
    custom: dict[str, str | None]
    links: list[links.Link] = field(default_factory=list)
    target_id: int | None = None  # the stored record it updates
    same_as: Pending | None = None  # an earlier input of this upsert batch with the same key


@dataclass
class _Row:
    """A record being written: its column values (``id`` None until inserted)."""

    values: dict[str, Any]
    is_new: bool
    written: bool = False  # an earlier input of this batch already wrote to it
    dirty: bool = False  # some input of this batch changed it (else it is not written at all)


@dataclass
class _Write:
    pending: Pending
    row: _Row
    before: dict[str, Any] | None
    after: dict[str, Any]
    creates: bool
    changes: bool  # False for an update that sets every property to the value it already has


@dataclass
class _Checked:
    """A part of a batch after validation: what its write needs."""

    inputs: list[tuple[int, RecordInput]]
    defs: dict[str, PropertyDef]
    refs: Refs
    pending: list[Pending]
    result: BatchResult


async def write(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    currency: str,
    otype: ObjectType,
    inputs: list[RecordInput],
    mode: str,
    *,
    with_records: bool = True,
) -> BatchResult:
    """Write ``inputs`` (``mode``: create, update or upsert) in one transaction.

    A batch of more than ``TRANSACTION_SIZE`` inputs (an import) is written in transactions of
    that size. Should a concurrent writer take a unique key between validation
    and commit, that transaction is retried input by input so that only the input that lost the
    race fails.
    """
    merged = BatchResult()
    running: asyncio.Task[BatchResult] | None = None
    try:
        for part in chunks(list(enumerate(inputs)), TRANSACTION_SIZE):
            checked = await _check(sessions, otype, part, mode)  # while the part before is written
            if running is not None:
                merged.merge(await running)
            running = asyncio.create_task(_write_retrying(sessions, now, currency, otype, checked, mode, with_records))
        if running is not None:
            merged.merge(await running)
            running = None
    finally:
        if running is not None:  # validation failed unexpectedly: let the part being written finish
            await asyncio.gather(running, return_exceptions=True)
    merged.errors.sort(key=lambda e: e.index)
    return merged


async def _check(
    sessions: async_sessionmaker[AsyncSession], otype: ObjectType, inputs: list[tuple[int, RecordInput]], mode: str
) -> _Checked:
    """Validate every input (phase one, reading only)."""
    result = BatchResult()
    table = table_of(otype)
    async with read_connection(sessions.kw["bind"]) as session:
        defs = await directory.property_defs(session, otype)
        refs = await load_refs(session, otype)
        stored: dict[int, dict[str, Any]] = {}
        if mode == "update":
            stored = await load_rows(session, table, table.c.id, (maybe_int(i.id) for _, i in inputs))
    pending = await _validate(otype, defs, refs, inputs, mode, stored, result)
    return _Checked(inputs, defs, refs, pending, result)


async def _write_retrying(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    currency: str,
    otype: ObjectType,
    checked: _Checked,
    mode: str,
    with_records: bool,
) -> BatchResult:
    try:
        return await _write_checked(sessions, now, currency, otype, checked, mode, with_records)
    except IntegrityError:
        if len(checked.inputs) == 1:
            raise
    merged = BatchResult()
    for index, inp in checked.inputs:
        try:
            one = await _check(sessions, otype, [(index, inp)], mode)
            part = await _write_checked(sessions, now, currency, otype, one, mode, with_records)
        except IntegrityError as exc:
            merged.fail(index, Conflict(f"a concurrent write conflicted: {exc.orig}"))
            continue
        merged.merge(part)
    merged.errors.sort(key=lambda e: e.index)
    return merged


async def _write_checked(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    currency: str,
    otype: ObjectType,
    checked: _Checked,
    mode: str,
    with_records: bool,
) -> BatchResult:
    """Write the validated inputs (phase two, one transaction)."""
    result = BatchResult()
    result.merge(checked.result)
    table = table_of(otype)
    defs, refs = checked.defs, checked.refs
    async with sessions.begin() as session:
        stored: dict[int, dict[str, Any]] = {}
        if mode == "update":  # read again in this transaction: the rows the updates apply to
            stored = await load_rows(session, table, table.c.id, (p.target_id for p in checked.pending))
        pending = []
        for p in checked.pending:
            if mode == "update" and (p.target_id not in stored or stored[p.target_id]["archived"]):
                result.fail(p.index, NotFound(otype.singular, p.target_id))  # archived since validation
            else:
                pending.append(p)
        pending = await _check_links(session, pending, result)
        key = UNIQUE_KEYS.get(otype.name)
        if key:
            pending = await _apply_unique_key(session, otype, key, pending, mode, stored, result)
        writes, history = _apply_all(otype, defs, refs, pending, stored, now, currency)
        # Python prepares the next statement while the database runs the one before: records,
        # then search tokens (while the audit chain is hashed), then audit entries
        async with _overlapping(await _store(session, table, writes)):
            token_rows, stale = _token_rows(otype, defs, writes)
        await _delete_tokens(session, otype, stale)
        entries = [
            audit.pending("create" if w.creates else "update", otype.name, str(w.row.values["id"]), w.before, w.after)
            for w in writes
            if w.changes
        ]
        end = await audit.chain_end(session) if entries else (0, "")
        async with _overlapping(insert_rows(session, SearchToken.__table__, TOKEN_COLUMNS, token_rows)):
            audit_rows = audit.chain(end, now, entries) if entries else []
        await audit.insert_entries(session, audit_rows)
        if history:
            await _store_history(session, history)
        for w in writes:
            for to_type, to_id, primary in w.pending.links:
                await links.associate(session, now, otype, w.row.values["id"], object_type(to_type), to_id, primary)
        if with_records:
            final = {id(w.row): w.after for w in writes}  # the last image of each row is its state now
            result.results = await to_records(
                session, otype, defs, [w.row.values for w in writes], images=[final[id(w.row)] for w in writes]
            )
    result.created = sum(1 for w in writes if w.creates)
    result.updated = len(writes) - result.created
    result.errors.sort(key=lambda e: e.index)
    return result


async def _validate(
    otype: ObjectType,
    defs: dict[str, PropertyDef],
    refs: Refs,
    inputs: list[tuple[int, RecordInput]],
    mode: str,
    stored: dict[int, dict[str, Any]],
    result: BatchResult,
) -> list[Pending]:
    pending = []
    for n, (index, inp) in enumerate(inputs, start=1):
        if n % 200 == 0:
            await asyncio.sleep(0)  # let the write in progress go on with its next statement
        try:
            target = None
            if mode == "update":
                target = stored.get(maybe_int(inp.id) or -1)
                if target is None or target["archived"]:
                    raise NotFound(otype.singular, inp.id)
            values, custom = coerce_properties(otype, defs, refs, inp.properties, target)
            specs = [links.parse_link(otype, a) for a in inp.associations]
            pending.append(Pending(index, values, custom, specs, target["id"] if target else None))
        except (ValidationFailed, NotFound) as exc:
            result.fail(index, exc)
    return pending


async def _check_links(session: AsyncSession, pending: list[Pending], result: BatchResult) -> list[Pending]:
    wanted = {p.index: p.links for p in pending if p.links}
    if not wanted:
        return pending
    missing = await links.check_targets(session, wanted)
    for index, exc in missing.items():
        result.fail(index, exc)
    return [p for p in pending if p.index not in missing]


async def _apply_unique_key(
    session: AsyncSession,
    otype: ObjectType,
    key: str,
    pending: list[Pending],
    mode: str,
    stored: dict[int, dict[str, Any]],
    result: BatchResult,
) -> list[Pending]:
    """Match inputs to stored records by unique key: conflicts for create/update, targets for upsert."""
    table = table_of(otype)
    holders = await load_rows(session, table, table.c[key], (p.values.get(key) for p in pending))
    kept: list[Pending] = []
    seen: dict[str, Pending] = {}
    for p in pending:
        value = p.values.get(key)
        if not value:
            kept.append(p)
            continue
        first = seen.get(value)
        holder = holders.get(value)
        if first is not None:
            if mode != "upsert":
                result.fail(p.index, Conflict(f"{key} {value} repeats input {first.index} of this batch"))
                continue
            p.same_as = first
        elif holder is not None and holder["id"] != p.target_id:
            if mode == "upsert" and not holder["archived"]:
                p.target_id = holder["id"]
                stored[holder["id"]] = holder
            else:
                state = " (archived; restore it first)" if holder["archived"] else ""
                result.fail(
                    p.index,
                    Conflict(
                        f"a {otype.singular} with {key} {value} already exists: id {holder['id']}{state}",
                        str(holder["id"]),
                    ),
                )
                continue
        seen.setdefault(value, p)
        kept.append(p)
    return kept


_NO_CUSTOM: dict[str, str] = {}  # shared by new rows (never changed in place: custom values make a new dict)


def _new_row(table: Table, now: datetime) -> dict[str, Any]:
    """The column values of a new record of ``table`` before its input applies (copy it per record)."""
    row: dict[str, Any] = dict.fromkeys(c.name for c in table.columns)
    row.update(createdate=now, lastmodifieddate=now, archived=False, custom_properties=_NO_CUSTOM)
    return row


def _apply_all(
    otype: ObjectType,
    defs: dict[str, PropertyDef],
    refs: Refs,
    pending: list[Pending],
    stored: dict[int, dict[str, Any]],
    now: datetime,
    currency: str,
) -> tuple[list[_Write], list[dict[str, Any]]]:
    """Apply every pending input to its row in input order; returns the writes and stage changes."""
    table = table_of(otype)
    rows_by_target: dict[int, _Row] = {}
    rows_by_index: dict[int, _Row] = {}
    writes: list[_Write] = []
    history: list[dict[str, Any]] = []
    is_deal = otype.name == "deals"
    standard = standard_names(defs)
    blank = _new_row(table, now)
    for p in pending:
        if p.same_as is not None:
            row = rows_by_index[p.same_as.index]
        elif p.target_id is not None:
            row = rows_by_target.get(p.target_id) or _Row(dict(stored[p.target_id]), is_new=False)
            rows_by_target[p.target_id] = row
        else:
            row = _Row(dict(blank), is_new=True)
        rows_by_index[p.index] = row
        creates = row.is_new and not row.written
        before = None if creates else image(row.values, defs, standard)
        previous_stage = None if creates else row.values.get("dealstage")
        row.values.update(p.values)
        if p.custom:
            merged = {**(row.values["custom_properties"] or {}), **p.custom}
            row.values["custom_properties"] = {k: v for k, v in merged.items() if v is not None}
        if is_deal:
            _deal_defaults(refs, row.values, creates, currency)
            if row.values["dealstage"] != previous_stage:
                history.append({"row": row, "from_stage": previous_stage, "to_stage": row.values["dealstage"]})
                stage = refs.stage(row.values["pipeline"], row.values["dealstage"])
                if stage is not None and stage.metadata["isClosed"] == "true" and row.values["closedate"] is None:
                    row.values["closedate"] = now
        after = image(row.values, defs, standard)
        changes = creates or after != before
        if changes:
            row.values["lastmodifieddate"] = now
            after["properties"]["lastmodifieddate"] = to_api(now)
            row.dirty = True
        row.written = True
        writes.append(_Write(p, row, before, after, creates, changes))
    return writes, history


def _deal_defaults(refs: Refs, values: dict[str, Any], creates: bool, currency: str) -> None:
    if creates:
        values["pipeline"] = values["pipeline"] or "default"
        values["deal_currency_code"] = values["deal_currency_code"] or currency
    if values["dealstage"] is None:
        values["dealstage"] = refs.first_stage(values["pipeline"])


async def _store(session: AsyncSession, table: Table, writes: list[_Write]) -> Coroutine[Any, Any, None] | None:
    """Update changed rows and give new rows their ids, in bulk. On SQLite the insert of the new
    rows is returned to be awaited (the caller works meanwhile); elsewhere it is done already."""
    rows: dict[int, _Row] = {id(w.row): w.row for w in writes if w.row.dirty}
    new = [r for r in rows.values() if r.is_new]
    old = [r for r in rows.values() if not r.is_new]
    columns = [c.name for c in table.columns if c.name != "id"]
    if old:
        changed = [c for c in columns if c != "createdate"]
        stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(f"_v_{c}") for c in changed})
        params = [{"_id": r.values["id"], **{f"_v_{c}": r.values[c] for c in changed}} for r in old]
        await session.execute(stmt, params)
    if new and session.bind.dialect.name == "sqlite":
        # SQLite hands out max(id) + 1 itself; assigning the ids here lets one bulk INSERT write the
        # batch (several times faster than INSERT ... RETURNING). A concurrent writer that takes an
        # id first makes the insert fail, and write() retries input by input.
        start = await session.scalar(select(func.max(table.c.id))) or 0
        for offset, row in enumerate(new, start=1):
            row.values["id"] = start + offset
        all_columns = ["id", *columns]
        return insert_rows(session, table, all_columns, [[r.values[c] for c in all_columns] for r in new])
    for part in chunks(new, 500):
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = (await session.execute(stmt, [{c: r.values[c] for c in columns} for r in part])).scalars().all()
        for row, new_id in zip(part, ids, strict=True):
            row.values["id"] = new_id
    return None


@asynccontextmanager
async def _overlapping(statement: Coroutine[Any, Any, None] | None) -> AsyncIterator[None]:
    """Run ``statement`` (a database write) while the body of the ``with`` runs; leave the block
    only when both are done. The body must not use the session."""
    task = asyncio.create_task(statement) if statement is not None else None
    try:
        await asyncio.sleep(0)  # hand the statement to the database before the body takes the CPU
        yield
    finally:
        if task is not None:
            await task


TOKEN_COLUMNS = ["object_type", "record_id", "token"]


def _token_rows(
    otype: ObjectType, defs: dict[str, PropertyDef], writes: list[_Write]
) -> tuple[list[tuple[str, int, str]], list[int]]:
    """The search token rows of every written record whose searchable text changed (in token order,
    which the index takes page by page), and the updated records whose old tokens must go."""
    searchable = [n for n, d in defs.items() if d.searchable]
    changed: dict[int, dict[str, Any]] = {}
    for w in writes:
        if w.creates or (w.changes and any(n in w.pending.values for n in searchable)):
            changed[w.row.values["id"]] = w.row.values
    created = {w.row.values["id"] for w in writes if w.creates}
    rows = [
        (otype.name, rid, tok[:200])
        for rid, values in changed.items()
        for tok in index_words(" ".join(str(values[n]) for n in searchable if values[n]))
    ]
    rows.sort(key=lambda row: row[2])
    return rows, [rid for rid in changed if rid not in created]


async def _delete_tokens(session: AsyncSession, otype: ObjectType, record_ids: list[int]) -> None:
    for part in chunks(record_ids):
        await session.execute(
            delete(SearchToken).where(
                SearchToken.object_type == otype.name, any_of(SearchToken.record_id, part, dialect_of(session))
            )
        )


async def _store_history(session: AsyncSession, history: list[dict[str, Any]]) -> None:
    actor = audit.current_write_context.get().actor
    at = history[0]["row"].values["lastmodifieddate"]
    await session.execute(
        insert(DealStageChange.__table__),
        [
            {
                "deal_id": h["row"].values["id"],
                "from_stage": h["from_stage"],
                "to_stage": h["to_stage"],
                "changed_at": at,
                "changed_by": actor,
            }
            for h in history
        ],
    )
