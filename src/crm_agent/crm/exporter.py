"""Export contacts, companies or deals as a CSV file in HubSpot's export format.

The columns are those :func:`crm_agent.crm.columns.export_columns` lists ("Record ID", then the
properties under their HubSpot labels, custom properties last) and the values are written the way
HubSpot exports them: phone numbers as typed, enumeration options, pipelines and stages by label,
owners by full name
(by email where two owners share a name), times as ``YYYY-MM-DD HH:MM`` in UTC (seconds only
where there are some) and dates as ``YYYY-MM-DD``. The file imports back unchanged with
:func:`crm_agent.crm.importer.import_csv`.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crm_agent.crm import columns as cols
from crm_agent.crm.importer import IMPORTABLE
from crm_agent.crm.objects import object_type
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.records import table_of
from crm_agent.crm.schemas import OwnerRecord, PipelineRecord
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import fold, parse_datetime, to_api
from crm_agent.errors import FieldError, ValidationFailed

PAGE = 1000


@dataclass
class ExportReport:
    """What an export wrote."""

    object_type: str
    file: str
    rows: int
    columns: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"objectType": self.object_type, "file": self.file, "rows": self.rows, "columns": self.columns}


class _Formatter:
    """Stored values as HubSpot writes them in an export."""

    def __init__(self, owners: list[OwnerRecord], pipelines: list[PipelineRecord]):
        names = Counter(fold(f"{o.firstName} {o.lastName}".strip()) for o in owners)
        self.owners = {
            int(o.id): (
                f"{o.firstName} {o.lastName}".strip()
                if names[fold(f"{o.firstName} {o.lastName}".strip())] == 1 and (o.firstName or o.lastName)
                else o.email
            )
            for o in owners
        }
        self.pipelines = {p.id: p.label for p in pipelines}
        self.stages = {s.id: s.label for p in pipelines for s in p.stages}

    def cell(self, defn: PropertyDef, value: Any) -> str:
        if value is None or value == "":
            return ""
        if defn.format == "owner":
            return self.owners.get(int(value), str(value))
        if defn.format == "pipeline":
            return self.pipelines.get(value, value)
        if defn.format == "dealstage":
            return self.stages.get(value, value)
        if defn.type == "enumeration":
            return dict(defn.options).get(str(value), str(value))
        if defn.type in {"date", "datetime"}:
            when = value if isinstance(value, datetime) else parse_datetime(value)
            return format_time(when, date_only=defn.type == "date")
        return to_api(value) or ""


def format_time(value: datetime, *, date_only: bool = False) -> str:
    """HubSpot's export form of a time (UTC): ``2026-11-30 15:00``, or ``2026-11-30`` for a date."""
    value = value.astimezone(UTC)
    if date_only:
        return value.strftime("%Y-%m-%d")
    if value.second or value.microsecond:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.strftime("%Y-%m-%d %H:%M")


async def export_csv(
    crm: LocalCrm,
    object_type_name: str,
    path: str | Path,
    *,
    archived: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write every active (or, with ``archived``, every archived) record of a type to ``path``.

    Raises ValidationFailed for a type that cannot be exported or a path that cannot be written.
    """
    otype = object_type(object_type_name)
    if otype.name not in IMPORTABLE:
        raise ValidationFailed([FieldError("objectType", object_type_name, f"export one of {', '.join(IMPORTABLE)}")])
    defs = await crm.properties(otype.name)
    formatter = _Formatter(await crm.list_owners(), await crm.list_pipelines())
    columns = cols.export_columns(defs)
    table = table_of(otype)
    condition = table.c.archived.is_(archived)
    written = 0
    try:
        handle = Path(path).open("w", newline="", encoding="utf-8")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise ValidationFailed([FieldError("file", str(path), f"cannot be written ({exc.strerror})")]) from None
    with handle:
        writer = csv.writer(handle)
        writer.writerow([header for header, _ in columns])
        async with crm.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(table).where(condition)) or 0
            last = 0
            while True:
                page = (
                    (
                        await session.execute(
                            select(table).where(condition, table.c.id > last).order_by(table.c.id).limit(PAGE)
                        )
                    )
                    .mappings()
                    .all()
                )
                if not page:
                    break
                for row in page:
                    writer.writerow(_cells(row, columns, defs, formatter))
                written += len(page)
                last = page[-1]["id"]
                if progress:
                    progress(written, total)
    return ExportReport(otype.name, str(path), written, [header for header, _ in columns])


def _cells(row: Any, columns: list[tuple[str, str]], defs: dict[str, PropertyDef], formatter: _Formatter) -> list[str]:
    custom = row["custom_properties"] or {}
    out = []
    for _, name in columns:
        if name == cols.RECORD_ID_PROPERTY:
            out.append(str(row["id"]))
            continue
        defn = defs[name]
        if defn.custom:
            value = custom.get(name)
        elif defn.format == "phone" and row.get(f"{name}_raw"):
            value = row[f"{name}_raw"]  # the number as it was typed, as HubSpot shows it
        else:
            value = row[name]
        out.append(formatter.cell(defn, value))
    return out
