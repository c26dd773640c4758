"""The embedded CRM service: records, batches, search and associations over SQLAlchemy.

:class:`LocalCrm` implements :class:`crm_agent.crm.protocol.CrmService`. Every write is
validated completely before anything is written, runs in one transaction together with its
search tokens, deal stage history and audit entries, and is reported per record: in a batch a
bad record never takes the good ones down. Unique keys are ``email`` for contacts and ``domain``
for companies (HubSpot's deduplication keys).

The work is done by smaller modules: :mod:`~crm_agent.crm.writes` (the write path),
:mod:`~crm_agent.crm.coercion` (validating values), :mod:`~crm_agent.crm.search` (compiling
searches), :mod:`~crm_agent.crm.records` (rendering rows) and :mod:`~crm_agent.crm.links`
(associations); this class opens the sessions and holds them together.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from crm_agent import audit
from crm_agent.config import Settings
from crm_agent.crm import directory, links, writes
from crm_agent.crm.coercion import Refs, coerce_request, load_refs
from crm_agent.crm.models import DealStageChange
from crm_agent.crm.objects import ObjectType, object_type
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.records import image, parse_id, table_of, to_records
from crm_agent.crm.schemas import (
    BatchResult,
    CrmRecord,
    OwnerRecord,
    Paging,
    PipelineRecord,
    RecordInput,
    SearchPage,
    SearchRequest,
)
from crm_agent.crm.search import compile_search
from crm_agent.errors import FieldError, NotFound, ValidationFailed
from crm_agent.storage.engine import get_engine, read_connection, session_factory

__all__ = ["MAX_BATCH", "UNIQUE_KEYS", "LocalCrm", "image"]

UNIQUE_KEYS = writes.UNIQUE_KEYS
_REFERENCES = {"owner", "pipeline", "dealstage"}  # property formats whose values name reference data
MAX_BATCH = 100  # HubSpot's batch API limit


class LocalCrm:
    """The embedded CRM over one database. Thread of control: one instance per process is fine;
    every method opens its own session and transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings):
        self.sessions = sessions
        self.settings = settings

    @classmethod
    async def connect(cls, settings: Settings) -> LocalCrm:
        """Open (and migrate on first use) the database named by ``settings``."""
        engine = await get_engine(settings.resolved_database_url)
        return cls(session_factory(engine), settings)

    def now(self) -> datetime:
        """The current time (aware UTC), from the settable clock."""
        return self.settings.current_time()

    # reference data -----------------------------------------------------------------------
    async def list_owners(self) -> list[OwnerRecord]:
        """All active owners."""
        async with self.read_only() as conn:
            return await directory.list_owners(conn)

    async def create_owner(self, email: str, first_name: str = "", last_name: str = "") -> OwnerRecord:
        """Add an owner (a CRM user). Raises ValidationFailed or Conflict."""
        async with self.sessions.begin() as session:
            return await directory.create_owner(session, self.now(), email, first_name, last_name)

    async def list_pipelines(self) -> list[PipelineRecord]:
        """Deal pipelines with their stages."""
        async with self.read_only() as conn:
            return await directory.list_pipelines(conn)

    async def create_pipeline(self, label: str, stages: list[tuple[str, Any, bool]]) -> PipelineRecord:
        """Add a deal pipeline; ``stages`` are (label, probability 0..1, is_closed)."""
        async with self.sessions.begin() as session:
            return await directory.create_pipeline(
                session, self.now(), label, [(lbl, Decimal(str(p)), c) for lbl, p, c in stages]
            )

    async def properties(self, object_type_name: str) -> dict[str, PropertyDef]:
        """Standard and custom property definitions of an object type, by name."""
        async with self.read_only() as conn:
            return await directory.property_defs(conn, object_type(object_type_name))

    async def create_property(
        self, object_type_name: str, name: str, label: str, type_: str, options: list[str] | None = None
    ) -> PropertyDef:
        """Define a custom property (see :func:`crm_agent.crm.directory.create_property`)."""
        async with self.sessions.begin() as session:
            return await directory.create_property(
                session, self.now(), object_type(object_type_name), name, label, type_, options
            )

    # reads --------------------------------------------------------------------------------
    async def get(self, object_type_name: str, record_id: str | int, *, archived: bool = False) -> CrmRecord:
        """One record with its associations. Raises NotFound (also when archived, unless asked)."""
        otype = object_type(object_type_name)
        table = table_of(otype)
        async with self.read_only() as session:
            row = (
                (await session.execute(select(table).where(table.c.id == parse_id(record_id, otype))))
                .mappings()
                .first()
            )
            if row is None or (row["archived"] and not archived):
                raise NotFound(otype.singular, record_id)
            defs = await directory.property_defs(session, otype)
            return (await to_records(session, otype, defs, [row]))[0]

    async def search(self, object_type_name: str, request: SearchRequest) -> SearchPage:
        """HubSpot-style search (see :mod:`crm_agent.crm.search`). Raises ValidationFailed for
        unknown properties or bad filter values."""
        otype = object_type(object_type_name)
        async with self.read_only() as session:
            defs = await directory.property_defs(session, otype)
            named = {f.propertyName for g in request.filterGroups for f in g.filters}
            formats = {defs[n].format for n in named if n in defs}
            refs = await load_refs(session, otype, formats) if formats & _REFERENCES else Refs(owners=[], pipelines=[])
            request = coerce_request(otype, defs, refs, request)
            stmt = compile_search(otype, defs, request)
            offset = int(request.after or 0)
            rows = (await session.execute(stmt.offset(offset).limit(request.limit))).mappings().all()
            if len(rows) < request.limit and (rows or offset == 0):
                total = offset + len(rows)  # this is the last page
            else:
                total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
            results = await to_records(session, otype, defs, rows, request.properties)
        next_after = offset + len(rows)
        paging = Paging(next={"after": str(next_after)}) if next_after < total else None
        return SearchPage(total=total, results=results, paging=paging)

    async def count(self, object_type_name: str, request: SearchRequest) -> int:
        """How many records match ``request``."""
        return (await self.search(object_type_name, request.model_copy(update={"limit": 1}))).total

    async def stage_history(self, deal_id: str | int) -> list[dict[str, Any]]:
        """A deal's stage changes, oldest first: ``{"at", "by", "from", "to"}``."""
        table = DealStageChange.__table__
        async with self.read_only() as conn:
            rows = await conn.execute(select(table).where(table.c.deal_id == int(deal_id)).order_by(table.c.id))
            return [{"at": r.changed_at, "by": r.changed_by, "from": r.from_stage, "to": r.to_stage} for r in rows]

    # writes -------------------------------------------------------------------------------
    async def create(
        self, object_type_name: str, properties: dict[str, Any], associations: list[dict[str, Any]] | None = None
    ) -> CrmRecord:
        """Create one record. Raises ValidationFailed, Conflict (naming the existing record) or NotFound."""
        result = await self.batch_create(
            object_type_name, [RecordInput(properties=properties, associations=associations or [])]
        )
        return _single(result)

    async def update(self, object_type_name: str, record_id: str | int, properties: dict[str, Any]) -> CrmRecord:
        """Update one record's properties. Raises ValidationFailed, Conflict or NotFound."""
        result = await self.batch_update(object_type_name, [RecordInput(id=str(record_id), properties=properties)])
        return _single(result)

    async def upsert(self, object_type_name: str, properties: dict[str, Any]) -> CrmRecord:
        """Create, or update the record with the same unique key (contacts: email, companies: domain)."""
        return _single(await self.batch_upsert(object_type_name, [RecordInput(properties=properties)]))

    async def batch_create(
        self,
        object_type_name: str,
        inputs: list[RecordInput],
        *,
        limit: int | None = MAX_BATCH,
        return_records: bool = True,
    ) -> BatchResult:
        """Create up to 100 records; per-record results and errors. ``limit=None`` lifts the cap
        for the importer; ``return_records=False`` leaves ``results`` empty (counts and errors only)."""
        _check_batch(inputs, limit)
        return await self._write(object_type(object_type_name), inputs, "create", return_records)

    async def batch_update(
        self,
        object_type_name: str,
        inputs: list[RecordInput],
        *,
        limit: int | None = MAX_BATCH,
        return_records: bool = True,
    ) -> BatchResult:
        """Update up to 100 records (each input names its ``id``); per-record results and errors.
        ``limit=None`` lifts the cap for the importer; ``return_records=False`` leaves ``results``
        empty (counts and errors only)."""
        _check_batch(inputs, limit)
        return await self._write(object_type(object_type_name), inputs, "update", return_records)

    async def batch_upsert(
        self,
        object_type_name: str,
        inputs: list[RecordInput],
        *,
        limit: int | None = MAX_BATCH,
        return_records: bool = True,
    ) -> BatchResult:
        """Create-or-update by unique key; later inputs with the same key update earlier ones.

        An archived record holding the key is not updated: its input fails with a Conflict
        naming it (restore it first). ``limit=None`` lifts the 100-record cap for the importer;
        ``return_records=False`` leaves ``results`` empty (counts and errors only).
        """
        _check_batch(inputs, limit)
        otype = object_type(object_type_name)
        if otype.name not in UNIQUE_KEYS:
            raise ValidationFailed([FieldError("objectType", otype.name, "upsert needs contacts or companies")])
        return await self._write(otype, inputs, "upsert", return_records)

    async def archive(self, object_type_name: str, record_id: str | int) -> CrmRecord:
        """Archive (HubSpot's delete) a record; it can be restored. Raises NotFound."""
        return await self._set_archived(object_type(object_type_name), record_id, True)

    async def restore(self, object_type_name: str, record_id: str | int) -> CrmRecord:
        """Restore an archived record. Raises NotFound."""
        return await self._set_archived(object_type(object_type_name), record_id, False)

    async def associate(
        self, a_type: str, a_id: str | int, b_type: str, b_id: str | int, *, primary: bool = False
    ) -> None:
        """Link two records (idempotent). Raises ValidationFailed for a pair HubSpot has no
        default type for, NotFound for a missing record."""
        at, bt = object_type(a_type), object_type(b_type)
        async with self.sessions.begin() as session:
            await links.associate(session, self.now(), at, parse_id(a_id, at), bt, parse_id(b_id, bt), primary)

    async def disassociate(self, a_type: str, a_id: str | int, b_type: str, b_id: str | int) -> bool:
        """Remove a link; returns whether one existed."""
        at, bt = object_type(a_type), object_type(b_type)
        async with self.sessions.begin() as session:
            return await links.disassociate(session, self.now(), at, parse_id(a_id, at), bt, parse_id(b_id, bt))

    # internals ----------------------------------------------------------------------------
    def read_only(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reads: lighter than a session, and never queued behind a writer."""
        return read_connection(self.sessions.kw["bind"])

    async def _write(
        self, otype: ObjectType, inputs: list[RecordInput], mode: str, return_records: bool = True
    ) -> BatchResult:
        return await writes.write(
            self.sessions,
            self.now(),
            self.settings.default_currency,
            otype,
            inputs,
            mode,
            with_records=return_records,
        )

    async def _set_archived(self, otype: ObjectType, record_id: str | int, archived: bool) -> CrmRecord:
        table = table_of(otype)
        now = self.now()
        async with self.sessions.begin() as session:
            row = (
                (await session.execute(select(table).where(table.c.id == parse_id(record_id, otype))))
                .mappings()
                .first()
            )
            if row is None or row["archived"] == archived:
                state = "active" if archived else "archived"
                raise NotFound(otype.singular, record_id, f"there is no {state} {otype.singular} with that id")
            defs = await directory.property_defs(session, otype)
            before = image(row, defs)
            after_row = {**row, "archived": archived, "lastmodifieddate": now}
            await session.execute(
                update(table).where(table.c.id == row["id"]).values(archived=archived, lastmodifieddate=now)
            )
            action = "archive" if archived else "restore"
            await audit.append(session, now, action, otype.name, str(row["id"]), before, image(after_row, defs))
            return (await to_records(session, otype, defs, [after_row]))[0]


def _check_batch(inputs: list[RecordInput], limit: int | None) -> None:
    if limit is not None and len(inputs) > limit:
        raise ValidationFailed([FieldError("inputs", len(inputs), f"at most {limit} records per batch")])


def _single(result: BatchResult) -> CrmRecord:
    if result.errors:
        raise result.exception(result.errors[0].index)
    return result.results[0]
