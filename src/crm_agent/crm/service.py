"""The embedded CRM service: records, batches, search and associations over SQLAlchemy.

:class:`LocalCrm` implements :class:`crm_agent.crm.protocol.CrmService`. Every write is
validated completely before anything is written, runs in one transaction together with its
search tokens, deal stage history and audit entries, and is reported per record: in a batch a
bad record never takes the good ones down. Unique keys are ``email`` for contacts and ``domain``
for companies (HubSpot's deduplication keys).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent import audit
from crm_agent.config import Settings
from crm_agent.crm import directory
from crm_agent.crm.associations import allowed, canonical, type_name
from crm_agent.crm.models import Association, DealStageChange, RecordMixin, SearchToken
from crm_agent.crm.objects import ObjectType, object_type
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.schemas import (
    AssociationList,
    AssociationRef,
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
from crm_agent.crm.values import coerce, to_api, tokens
from crm_agent.errors import Conflict, FieldError, NotFound, ValidationFailed
from crm_agent.storage.engine import get_engine, session_factory

UNIQUE_KEYS = {"contacts": "email", "companies": "domain"}
MAX_BATCH = 100  # HubSpot's batch API limit


@dataclass
class _Refs:
    """Reference data loaded once per batch."""

    owners: list[OwnerRecord]
    pipelines: list[PipelineRecord]


@dataclass
class _Item:
    index: int
    values: dict[str, Any]
    custom: dict[str, str | None]
    associations: list[tuple[str, int, bool]] = field(default_factory=list)
    target_id: int | None = None


def image(obj: RecordMixin, defs: dict[str, PropertyDef]) -> dict[str, Any]:
    """A record's audit image: its API property values and archived flag."""
    props = {name: to_api(getattr(obj, name)) for name, d in defs.items() if not d.custom}
    props.update({k: v for k, v in (obj.custom_properties or {}).items()})
    return {"properties": props, "archived": bool(obj.archived)}


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
        async with self.sessions() as session:
            return await directory.list_owners(session)

    async def create_owner(self, email: str, first_name: str = "", last_name: str = "") -> OwnerRecord:
        """Add an owner (a CRM user). Raises ValidationFailed or Conflict."""
        async with self.sessions.begin() as session:
            return await directory.create_owner(session, self.now(), email, first_name, last_name)

    async def list_pipelines(self) -> list[PipelineRecord]:
        """Deal pipelines with their stages."""
        async with self.sessions() as session:
            return await directory.list_pipelines(session)

    async def create_pipeline(self, label: str, stages: list[tuple[str, Any, bool]]) -> PipelineRecord:
        """Add a deal pipeline; ``stages`` are (label, probability 0..1, is_closed)."""
        from decimal import Decimal

        async with self.sessions.begin() as session:
            return await directory.create_pipeline(
                session, self.now(), label, [(lbl, Decimal(str(p)), c) for lbl, p, c in stages]
            )

    async def properties(self, object_type_name: str) -> dict[str, PropertyDef]:
        """Standard and custom property definitions of an object type, by name."""
        async with self.sessions() as session:
            return await directory.property_defs(session, object_type(object_type_name))

    async def validate(self, object_type_name: str, properties: dict[str, Any],
                       record_id: str | int | None = None) -> None:
        """Check ``properties`` as a create (or an update of ``record_id``) would, writing nothing.

        Raises ValidationFailed naming every bad field, or NotFound for an unknown ``record_id``.
        """
        otype = object_type(object_type_name)
        async with self.sessions() as session:
            defs = await directory.property_defs(session, otype)
            refs = await self._refs(session, otype)
            pipeline = None
            if record_id is not None:
                obj = await session.get(otype.model, _int_id(record_id, otype))
                if obj is None or obj.archived:
                    raise NotFound(otype.singular, record_id)
                pipeline = getattr(obj, "pipeline", None)
            self._coerce_properties(otype, defs, refs, properties, pipeline)

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
        async with self.sessions() as session:
            obj = await session.get(otype.model, _int_id(record_id, otype))
            if obj is None or (obj.archived and not archived):
                raise NotFound(otype.singular, record_id)
            defs = await directory.property_defs(session, otype)
            return (await self._records(session, otype, defs, [obj]))[0]

    async def search(self, object_type_name: str, request: SearchRequest) -> SearchPage:
        """HubSpot-style search (see :mod:`crm_agent.crm.search`). Raises ValidationFailed for
        unknown properties or bad filter values."""
        otype = object_type(object_type_name)
        async with self.sessions() as session:
            defs = await directory.property_defs(session, otype)
            refs = await self._refs(session, otype)
            request = self._coerce_request(otype, defs, refs, request)
            stmt = compile_search(otype, defs, request)
            total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
            offset = int(request.after or 0)
            rows = (await session.scalars(stmt.offset(offset).limit(request.limit))).all()
            results = await self._records(session, otype, defs, rows, request.properties)
        next_after = offset + len(rows)
        paging = Paging(next={"after": str(next_after)}) if next_after < (total or 0) else None
        return SearchPage(total=total or 0, results=results, paging=paging)

    async def count(self, object_type_name: str, request: SearchRequest) -> int:
        """How many records match ``request``."""
        return (await self.search(object_type_name, request.model_copy(update={"limit": 1}))).total

    async def stage_history(self, deal_id: str | int) -> list[dict[str, Any]]:
        """A deal's stage changes, oldest first: ``{"at", "by", "from", "to"}``."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(DealStageChange).where(DealStageChange.deal_id == int(deal_id)).order_by(DealStageChange.id)
            )
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

    async def batch_create(self, object_type_name: str, inputs: list[RecordInput]) -> BatchResult:
        """Create up to 100 records; per-record results and errors."""
        _check_batch(inputs)
        return await self._write(object_type(object_type_name), inputs, "create")

    async def batch_update(self, object_type_name: str, inputs: list[RecordInput]) -> BatchResult:
        """Update up to 100 records (each input names its ``id``); per-record results and errors."""
        _check_batch(inputs)
        return await self._write(object_type(object_type_name), inputs, "update")

    async def batch_upsert(
        self, object_type_name: str, inputs: list[RecordInput], *, limit: int | None = MAX_BATCH
    ) -> BatchResult:
        """Create-or-update by unique key; later inputs with the same key update earlier ones.

        ``limit=None`` lifts the 100-record cap for the importer.
        """
        if limit is not None:
            _check_batch(inputs)
        otype = object_type(object_type_name)
        if otype.name not in UNIQUE_KEYS:
            raise ValidationFailed([FieldError("objectType", otype.name, "upsert needs contacts or companies")])
        return await self._write(otype, inputs, "upsert")

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
            await self._associate(session, at, _int_id(a_id, at), bt, _int_id(b_id, bt), primary)

    async def disassociate(self, a_type: str, a_id: str | int, b_type: str, b_id: str | int) -> bool:
        """Remove a link; returns whether one existed."""
        at, bt = object_type(a_type), object_type(b_type)
        ft, fid, tt, tid = canonical(at.name, _int_id(a_id, at), bt.name, _int_id(b_id, bt))
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(Association).where(
                    Association.from_type == ft,
                    Association.from_id == fid,
                    Association.to_type == tt,
                    Association.to_id == tid,
                )
            )
            if row is None:
                return False
            await session.delete(row)
            pair = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": row.is_primary}
            await audit.append(
                session, self.now(), "disassociate", "associations", f"{ft}:{fid}-{tt}:{tid}", pair, None
            )
            return True

    # internals ----------------------------------------------------------------------------
    async def _refs(self, session: AsyncSession, otype: ObjectType) -> _Refs:
        pipelines = await directory.list_pipelines(session) if otype.name == "deals" else []
        return _Refs(owners=await directory.list_owners(session), pipelines=pipelines)

    def _coerce_value(
        self, otype: ObjectType, defn: PropertyDef, raw: Any, refs: _Refs, pipeline: str | None = None
    ) -> Any:
        value = coerce(defn, raw, phone_region="US")
        if value is None:
            return None
        if defn.format == "owner":
            return directory.resolve_owner(refs.owners, value, defn.name)
        if defn.format == "pipeline":
            return directory.resolve_pipeline(refs.pipelines, value)
        if defn.format == "dealstage":
            return directory.resolve_stage(refs.pipelines, pipeline or "default", value)
        return value

    def _coerce_properties(
        self,
        otype: ObjectType,
        defs: dict[str, PropertyDef],
        refs: _Refs,
        props: dict[str, Any],
        current_pipeline: str | None,
    ) -> tuple[dict, dict]:
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        custom: dict[str, str | None] = {}
        pipeline = current_pipeline
        if "pipeline" in props:
            with contextlib.suppress(ValueError, ValidationFailed):
                pipeline = self._coerce_value(otype, defs["pipeline"], props["pipeline"], refs) or pipeline
        for name, raw in props.items():
            defn = defs.get(name)
            if defn is None:
                errors.append(
                    FieldError(
                        name,
                        raw,
                        f"{otype.name} have no property {name!r}; see "
                        f"`crm-agent properties list {otype.name}` or create it",
                    )
                )
                continue
            if defn.readonly:
                errors.append(FieldError(name, raw, "is read-only"))
                continue
            try:
                value = self._coerce_value(otype, defn, raw, refs, pipeline)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
                continue
            except ValueError as exc:
                errors.append(FieldError(name, raw, str(exc)))
                continue
            if defn.custom:
                custom[name] = to_api(value)
            else:
                values[name] = value
                if defn.format == "phone":
                    values[f"{name}_raw"] = str(raw).strip() if value is not None else None
        if errors:
            raise ValidationFailed(errors)
        values = {k: v for k, v in values.items() if k in defs}
        return values, custom

    def _coerce_request(
        self, otype: ObjectType, defs: dict[str, PropertyDef], refs: _Refs, request: SearchRequest
    ) -> SearchRequest:
        errors: list[FieldError] = []
        groups = []
        for group in request.filterGroups:
            filters = []
            for flt in group.filters:
                defn = defs.get(flt.propertyName)
                if defn is None:
                    errors.append(FieldError(flt.propertyName, flt.value, f"{otype.name} have no such property"))
                    continue
                try:
                    update = {
                        "value": None if flt.value is None else self._coerce_value(otype, defn, flt.value, refs),
                        "highValue": None
                        if flt.highValue is None
                        else self._coerce_value(otype, defn, flt.highValue, refs),
                        "values": None
                        if flt.values is None
                        else [self._coerce_value(otype, defn, v, refs) for v in flt.values],
                    }
                    if flt.operator in {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}:
                        update["value"] = str(flt.value)
                    filters.append(flt.model_copy(update=update))
                except ValidationFailed as exc:
                    errors.extend(exc.errors)
                except ValueError as exc:
                    errors.append(FieldError(flt.propertyName, flt.value, str(exc)))
            groups.append(group.model_copy(update={"filters": filters}))
        for sort in request.sorts:
            if sort.propertyName not in defs:
                errors.append(FieldError("sorts", sort.propertyName, f"{otype.name} have no such property"))
        if request.after is not None and not request.after.isdigit():
            errors.append(FieldError("after", request.after, "use the paging.next.after value of the last page"))
        if errors:
            raise ValidationFailed(errors)
        return request.model_copy(update={"filterGroups": groups})

    async def _records(
        self,
        session: AsyncSession,
        otype: ObjectType,
        defs: dict[str, PropertyDef],
        rows: Iterable[RecordMixin],
        only: list[str] | None = None,
    ) -> list[CrmRecord]:
        rows = list(rows)
        links = await self._associations(session, otype, [r.id for r in rows])
        records = []
        for row in rows:
            props = image(row, defs)["properties"]
            props["hs_object_id"] = str(row.id)
            if only:
                props = {k: props.get(k) for k in [*only, "hs_object_id"]}
            records.append(
                CrmRecord(
                    id=str(row.id),
                    properties=props,
                    associations=links.get(row.id, {}),
                    archived=row.archived,
                    createdAt=row.createdate,
                    updatedAt=row.lastmodifieddate,
                )
            )
        return records

    async def _associations(
        self, session: AsyncSession, otype: ObjectType, ids: list[int]
    ) -> dict[int, dict[str, AssociationList]]:
        out: dict[int, dict[str, AssociationList]] = {}
        if not ids:
            return out
        rows = await session.scalars(
            select(Association)
            .where(
                or_(
                    (Association.from_type == otype.name) & Association.from_id.in_(ids),
                    (Association.to_type == otype.name) & Association.to_id.in_(ids),
                )
            )
            .order_by(Association.id)
        )
        for row in rows:
            if row.from_type == otype.name and row.from_id in ids:
                mine, other_type, other_id = row.from_id, row.to_type, row.to_id
            else:
                mine, other_type, other_id = row.to_id, row.from_type, row.from_id
            bucket = out.setdefault(mine, {}).setdefault(other_type, AssociationList())
            bucket.results.append(
                AssociationRef(id=str(other_id), type=type_name(otype.name, other_type, row.is_primary))
            )
        return out

    async def _associate(
        self, session: AsyncSession, at: ObjectType, a_id: int, bt: ObjectType, b_id: int, primary: bool
    ) -> None:
        if not allowed(at.name, bt.name):
            raise ValidationFailed(
                [
                    FieldError(
                        "associations",
                        f"{at.name}->{bt.name}",
                        "HubSpot has no default association between these types",
                    )
                ]
            )
        for t, i in ((at, a_id), (bt, b_id)):
            obj = await session.get(t.model, i)
            if obj is None or obj.archived:
                raise NotFound(t.singular, i)
        ft, fid, tt, tid = canonical(at.name, a_id, bt.name, b_id)
        existing = await session.scalar(
            select(Association).where(
                Association.from_type == ft,
                Association.from_id == fid,
                Association.to_type == tt,
                Association.to_id == tid,
            )
        )
        if existing is not None and existing.is_primary == primary:
            return
        if primary and ft in {"contacts", "deals"} and tt == "companies":
            others = await session.scalars(
                select(Association).where(
                    Association.from_type == ft,
                    Association.from_id == fid,
                    Association.to_type == tt,
                    Association.is_primary.is_(True),
                )
            )
            for other in others:
                other.is_primary = False
        before = None
        if existing is None:
            session.add(Association(from_type=ft, from_id=fid, to_type=tt, to_id=tid, is_primary=primary))
        else:
            before = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": existing.is_primary}
            existing.is_primary = primary
        pair = {"from_type": ft, "from_id": fid, "to_type": tt, "to_id": tid, "primary": primary}
        await audit.append(session, self.now(), "associate", "associations", f"{ft}:{fid}-{tt}:{tid}", before, pair)

    async def _set_archived(self, otype: ObjectType, record_id: str | int, archived: bool) -> CrmRecord:
        async with self.sessions.begin() as session:
            obj = await session.get(otype.model, _int_id(record_id, otype))
            if obj is None or obj.archived == archived:
                state = "active" if archived else "archived"
                raise NotFound(otype.singular, record_id, f"there is no {state} {otype.singular} with that id")
            defs = await directory.property_defs(session, otype)
            before = image(obj, defs)
            obj.archived = archived
            obj.lastmodifieddate = self.now()
            await session.flush()
            await audit.append(
                session,
                self.now(),
                "archive" if archived else "restore",
                otype.name,
                str(obj.id),
                before,
                image(obj, defs),
            )
            return (await self._records(session, otype, defs, [obj]))[0]

    async def _write(self, otype: ObjectType, inputs: list[RecordInput], mode: str) -> BatchResult:
        try:
            return await self._write_once(otype, list(enumerate(inputs)), mode)
        except IntegrityError:
            if len(inputs) == 1:
                raise
        merged = BatchResult()
        for index, inp in enumerate(inputs):
            try:
                part = await self._write_once(otype, [(index, inp)], mode)
            except IntegrityError as exc:
                merged.fail(index, Conflict(f"a concurrent write conflicted: {exc.orig}"))
                continue
            merged.merge(part)
        return merged

    async def _write_once(self, otype: ObjectType, inputs: list[tuple[int, RecordInput]], mode: str) -> BatchResult:
        result = BatchResult()
        now = self.now()
        key = UNIQUE_KEYS.get(otype.name)
        async with self.sessions.begin() as session:
            defs = await directory.property_defs(session, otype)
            refs = await self._refs(session, otype)
            model = otype.model
            targets: dict[int, RecordMixin] = {}
            if mode == "update":
                ids = [_maybe_int(i.id) for _, i in inputs]
                found = (await session.scalars(select(model).where(model.id.in_([i for i in ids if i])))).all()
                targets = {o.id: o for o in found}
            items: list[_Item] = []
            for index, inp in inputs:
                try:
                    target = None
                    if mode == "update":
                        target = targets.get(_maybe_int(inp.id) or -1)
                        if target is None or target.archived:
                            raise NotFound(otype.singular, inp.id)
                    pipeline = getattr(target, "pipeline", None) if target else None
                    values, custom = self._coerce_properties(otype, defs, refs, inp.properties, pipeline)
                    links = [self._parse_link(a) for a in inp.associations]
                    items.append(_Item(index, values, custom, links, target.id if target else None))
                except (ValidationFailed, NotFound) as exc:
                    result.fail(index, exc)
            if key:
                items = await self._apply_unique_key(session, otype, key, items, mode, targets, result)
            written: list[tuple[_Item, RecordMixin, dict | None, bool]] = []
            for item in items:
                obj = targets.get(item.target_id) if item.target_id else None
                is_new = obj is None
                before = None if is_new else image(obj, defs)
                if is_new:
                    obj = model(createdate=now, lastmodifieddate=now, archived=False, custom_properties={})
                    session.add(obj)
                self._apply(otype, obj, item, now, is_new)
                written.append((item, obj, before, is_new))
                if item.target_id is None and key and getattr(obj, key):
                    targets[-(item.index + 1)] = obj
            await session.flush()
            await self._after_write(session, otype, defs, written, now)
            entries = []
            for _item, obj, before, is_new in written:
                after = image(obj, defs)
                entries.append(audit.pending("create" if is_new else "update", otype.name, str(obj.id), before, after))
            await audit.append_many(session, now, entries)
            records = await self._records(session, otype, defs, [obj for _, obj, _, _ in written])
        result.results = records
        result.created = sum(1 for w in written if w[3])
        result.updated = len(written) - result.created
        result.errors.sort(key=lambda e: e.index)
        return result

    async def _apply_unique_key(
        self,
        session: AsyncSession,
        otype: ObjectType,
        key: str,
        items: list[_Item],
        mode: str,
        targets: dict[int, RecordMixin],
        result: BatchResult,
    ) -> list[_Item]:
        model = otype.model
        wanted = {i.values[key] for i in items if i.values.get(key)}
        existing = (
            {
                getattr(o, key): o
                for o in (await session.scalars(select(model).where(getattr(model, key).in_(wanted)))).all()
            }
            if wanted
            else {}
        )
        kept: list[_Item] = []
        seen: dict[str, _Item] = {}
        for item in items:
            value = item.values.get(key)
            holder = existing.get(value) if value else None
            if value and value in seen and mode != "upsert":
                result.fail(item.index, Conflict(f"{key} {value} repeats input {seen[value].index} of this batch"))
                continue
            if holder is not None and holder.id != item.target_id:
                if mode == "upsert":
                    item.target_id = holder.id
                    targets[holder.id] = holder
                else:
                    state = " (archived; restore it instead)" if holder.archived else ""
                    result.fail(
                        item.index,
                        Conflict(
                            f"a {otype.singular} with {key} {value} already exists: id {holder.id}{state}",
                            str(holder.id),
                        ),
                    )
                    continue
            elif mode == "upsert" and value in seen:
                first = seen[value]
                item.target_id = first.target_id if first.target_id else None
                if item.target_id is None:
                    item.target_id = -(first.index + 1)
            if value:
                seen.setdefault(value, item)
            kept.append(item)
        return kept

    def _parse_link(self, spec: dict[str, Any]) -> tuple[str, int, bool]:
        try:
            to_type = object_type(spec.get("objectType") or spec.get("toObjectType") or "")
            to_id = _int_id((spec.get("to") or {}).get("id", spec.get("id")), to_type)
        except (ValidationFailed, NotFound) as exc:
            raise ValidationFailed([FieldError("associations", spec, str(exc))]) from None
        return to_type.name, to_id, bool(spec.get("primary", False))

    def _apply(self, otype: ObjectType, obj: RecordMixin, item: _Item, now: datetime, is_new: bool) -> None:
        values = dict(item.values)
        if otype.name == "deals" and is_new:
            values.setdefault("pipeline", "default")
            values.setdefault("deal_currency_code", self.settings.default_currency)
        for name, value in values.items():
            setattr(obj, name, value)
        if item.custom:
            obj.custom_properties = {**(obj.custom_properties or {}), **item.custom}
        obj.lastmodifieddate = now

    async def _after_write(
        self,
        session: AsyncSession,
        otype: ObjectType,
        defs: dict[str, PropertyDef],
        written: list[tuple[_Item, RecordMixin, dict | None, bool]],
        now: datetime,
    ) -> None:
        searchable = [n for n, d in defs.items() if d.searchable]
        changed = {
            obj.id: obj for item, obj, _, is_new in written if is_new or any(n in item.values for n in searchable)
        }
        updated_ids = [obj.id for _, obj, _, is_new in written if not is_new and obj.id in changed]
        if updated_ids:
            await session.execute(
                delete(SearchToken).where(SearchToken.object_type == otype.name, SearchToken.record_id.in_(updated_ids))
            )
        rows = [
            {"object_type": otype.name, "record_id": obj.id, "token": tok[:200]}
            for obj in changed.values()
            for tok in tokens(" ".join(str(getattr(obj, n)) for n in searchable if getattr(obj, n)))
        ]
        if rows:
            await session.execute(insert(SearchToken), rows)
        if otype.name == "deals":
            await self._deal_stage_changes(session, written, now)
        for item, obj, _, _ in written:
            for to_type, to_id, primary in item.associations:
                await self._associate(session, otype, obj.id, object_type(to_type), to_id, primary)

    async def _deal_stage_changes(self, session: AsyncSession, written: list, now: datetime) -> None:
        pipelines = {p.id: p for p in await directory.list_pipelines(session)}
        actor = audit.current_write_context.get().actor
        for _, obj, before, is_new in written:
            if obj.dealstage is None:
                obj.dealstage = pipelines[obj.pipeline].stages[0].id
            previous = None if is_new else (before or {}).get("properties", {}).get("dealstage")
            if previous != obj.dealstage:
                session.add(
                    DealStageChange(
                        deal_id=obj.id, from_stage=previous, to_stage=obj.dealstage, changed_at=now, changed_by=actor
                    )
                )
                stage = next(s for s in pipelines[obj.pipeline].stages if s.id == obj.dealstage)
                if stage.metadata["isClosed"] == "true" and obj.closedate is None:
                    obj.closedate = now
        await session.flush()


def _int_id(record_id: Any, otype: ObjectType) -> int:
    value = _maybe_int(record_id)
    if value is None:
        raise NotFound(otype.singular, record_id, "ids are numbers such as 42")
    return value


def _maybe_int(record_id: Any) -> int | None:
    try:
        return int(str(record_id).strip())
    except (TypeError, ValueError):
        return None


def _check_batch(inputs: list[RecordInput]) -> None:
    if len(inputs) > MAX_BATCH:
        raise ValidationFailed([FieldError("inputs", len(inputs), f"at most {MAX_BATCH} records per batch")])


def _single(result: BatchResult) -> CrmRecord:
    if result.errors:
        raise result.exception(result.errors[0].index)
    return result.results[0]
