"""Import contacts, companies and deals from CSV files in HubSpot's export format.

Columns are matched to properties by their HubSpot labels (see :mod:`crm_agent.crm.columns`).
Every row goes through the same validation as any other write; a row with a bad cell is reported
with its line number, column, value and reason, and nothing of it is written, while every valid
row is imported. Blank cells leave a property as it is (as in HubSpot's imports).

Imports are idempotent: a row updates the record it matches instead of creating another one.

- contacts match by email and companies by domain (HubSpot's deduplication keys), through
  :meth:`LocalCrm.batch_upsert`; a row without one updates the record its "Record ID" names when
  that record exists here, and is created otherwise;
- deals match by "Record ID" when it names a deal of this CRM; otherwise by deal name and close
  date (a blank close date matches any), the n-th row of the file with a given name and date
  updating the n-th such deal (oldest first). Deals a file's Record IDs name in another system
  (HubSpot's own ids) are therefore found by name and date on a second import.

Columns no property matches are reported and ignored, or with ``create_properties`` become
custom properties whose type is inferred from the column's values: number, date (or datetime
when times are given), enumeration when there are at most 20 distinct values, else string.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crm_agent.crm import columns as cols
from crm_agent.crm.objects import object_type
from crm_agent.crm.properties import PropertyDef
from crm_agent.crm.records import table_of
from crm_agent.crm.schemas import RecordInput
from crm_agent.crm.service import UNIQUE_KEYS, LocalCrm
from crm_agent.crm.values import coerce, fold, normalize_domain, parse_datetime, parse_decimal
from crm_agent.errors import Conflict, CrmAgentError, FieldError, NotFound, ValidationFailed

IMPORTABLE = ("contacts", "companies", "deals")
CHUNK = 10_000  # rows per call of the service, which writes them in transactions of writes.TRANSACTION_SIZE
MAX_ENUM_OPTIONS = 20
_YOUNG_THRESHOLD = 100_000  # objects allocated between collections of the youngest generation, during an import
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}")
_TIME_RE = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?")

Progress = Callable[[int, int], None]


@dataclass
class RowIssue:
    """A problem with one row: its line in the file, the column (if one is to blame), the value
    and the reason."""

    line: int
    column: str | None
    value: Any
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        value = f" (got {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.reason}{value}"


@dataclass
class ImportReport:
    """What an import did: rows read, records created and updated, failed rows with every error,
    warnings, columns ignored and custom properties created."""

    object_type: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    readonly_columns: list[str] = field(default_factory=list)
    created_properties: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether every row was imported."""
        return self.failed == 0

    def to_json(self) -> dict[str, Any]:
        """The report as stable JSON (``crm-agent import --json``)."""
        return {
            "objectType": self.object_type,
            "file": self.file,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            "ignoredColumns": self.ignored_columns,
            "readOnlyColumns": self.readonly_columns,
            "createdProperties": self.created_properties,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Row:
    line: int
    cells: list[str]


@dataclass
class _Batch:
    """Inputs of one chunk, grouped by how they are written, with the line of each input."""

    upserts: list[tuple[int, RecordInput]] = field(default_factory=list)
    updates: list[tuple[int, RecordInput]] = field(default_factory=list)
    creates: list[tuple[int, RecordInput]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.upserts) + len(self.updates) + len(self.creates)


def read_csv(path: str | Path) -> tuple[list[str], list[_Row], list[RowIssue]]:
    """The header and the non-blank rows of a CSV file, each with the line it starts on.

    Accepts UTF-8 (with or without BOM; Windows-1252 as a fallback) and comma, semicolon or tab
    separators. Raises ValidationFailed for an empty or unreadable file.
    """
    warnings: list[RowIssue] = []
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationFailed([FieldError("file", str(path), f"cannot be read ({exc.strerror})")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        warnings.append(RowIssue(1, None, None, "the file is not UTF-8; read it as Windows-1252"))
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise ValidationFailed([FieldError("file", str(path), f"is not a CSV file ({exc})")]) from None
    if not any(h.strip() for h in header):
        raise ValidationFailed(
            [FieldError("file", str(path), "is empty; expected a header row such as Email,First Name")]
        )
    rows: list[_Row] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            warnings.append(RowIssue(line, None, None, f"unreadable CSV from here on ({exc})"))
            break
        if any(c.strip() for c in cells):
            rows.append(_Row(line, cells))
        line = reader.line_num + 1
    return header, rows, warnings


def infer_type(values: list[str]) -> tuple[str, list[str] | None]:
    """The type of a new custom property holding ``values``, and its options for an enumeration."""
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return "string", None
    if all(_is_number(v) for v in present):
        return "number", None
    if all(_DATE_RE.match(v) and _is_date(v) for v in present):
        return ("datetime" if any(_TIME_RE.search(v) for v in present) else "date"), None
    distinct: dict[str, str] = {}
    for value in present:
        distinct.setdefault(re.sub(r"[\s_\-]+", "", fold(value)), value)
    if len(distinct) <= MAX_ENUM_OPTIONS and all(len(v) <= 100 for v in distinct.values()):
        return "enumeration", list(distinct.values())
    return "string", None


def _is_number(text: str) -> bool:
    try:
        parse_decimal(text)
    except ValueError:
        return False
    return True


def _is_date(text: str) -> bool:
    try:
        parse_datetime(text)
    except ValueError:
        return False
    return True


def property_name(header: str, taken: set[str]) -> str:
    """An internal name for a new custom property from a column header (``"Annual Budget"`` ->
    ``annual_budget``), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")[:90] or "column"
    if not base[0].isalpha():
        base = f"x_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


async def import_csv(
    crm: LocalCrm,
    object_type_name: str,
    path: str | Path,
    *,
    create_properties: bool = False,
    chunk_size: int = CHUNK,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a HubSpot-style CSV export of contacts, companies or deals into ``crm``.

    Raises ValidationFailed when the file cannot be read or the object type cannot be imported;
    problems with rows are reported in the returned :class:`ImportReport`.
    """
    started = time.perf_counter()
    otype = object_type(object_type_name)
    if otype.name not in IMPORTABLE:
        raise ValidationFailed([FieldError("objectType", object_type_name, f"import one of {', '.join(IMPORTABLE)}")])
    header, rows, warnings = read_csv(path)
    report = ImportReport(object_type=otype.name, file=str(path), rows=len(rows), warnings=warnings)
    mapping, defs = await _map_columns(crm, otype.name, header, rows, create_properties, report)
    with _lighter_collection():
        await _import_rows(crm, otype.name, rows, mapping, defs, report, chunk_size, progress)
    report.errors.sort(key=lambda e: e.line)
    report.warnings.sort(key=lambda w: w.line)
    report.failed = len({e.line for e in report.errors})
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _lighter_collection() -> Iterator[None]:
    """The rows of a file stay in memory for its whole import: frozen, they are not scanned again
    by every garbage collection (otherwise a sixth of a large import's time). The youngest
    generation is collected after ``_YOUNG_THRESHOLD`` new objects instead of CPython's 700, since
    an import makes millions of short-lived containers that reference counting frees anyway
    (another tenth of the time)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], _YOUNG_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def _map_columns(
    crm: LocalCrm,
    object_type_name: str,
    header: list[str],
    rows: list[_Row],
    create_properties: bool,
    report: ImportReport,
) -> tuple[cols.ColumnMap, dict[str, PropertyDef]]:
    """The file's columns matched to properties (created first where asked), with warnings about
    the columns that are not imported."""
    defs = await crm.properties(object_type_name)
    mapping = cols.map_columns(object_type_name, header, defs)
    if mapping.unknown and create_properties:
        await _create_properties(crm, object_type_name, mapping, rows, defs, report)
        defs = await crm.properties(object_type_name)
        mapping = cols.map_columns(object_type_name, header, defs)
    report.ignored_columns = [mapping.headers[i] for i in mapping.unknown]
    report.readonly_columns = list(mapping.readonly)
    for header_text in mapping.repeated:
        report.warnings.append(RowIssue(1, header_text, None, "repeats a column already imported; ignored"))
    if report.ignored_columns:
        report.warnings.append(
            RowIssue(
                1,
                None,
                None,
                "no property matches column(s) " + ", ".join(report.ignored_columns) + "; they were ignored "
                "(import with --create-properties to create them as custom properties)",
            )
        )
    key = UNIQUE_KEYS.get(object_type_name)
    if key and key not in mapping.properties.values():
        message = f"no {defs[key].label} column: rows are matched to existing {object_type_name} only by Record ID"
        report.warnings.append(RowIssue(1, None, None, message))
    return mapping, defs


async def _import_rows(
    crm: LocalCrm,
    object_type_name: str,
    rows: list[_Row],
    mapping: cols.ColumnMap,
    defs: dict[str, PropertyDef],
    report: ImportReport,
    chunk_size: int,
    progress: Progress | None,
) -> None:
    matcher = await _Matcher.load(crm, object_type_name, mapping, defs)
    headers = {name: mapping.headers[i] for i, name in mapping.properties.items()}
    batch = _Batch()
    for done, row in enumerate(rows, start=1):
        prepared = _prepare(row, mapping, report)
        if prepared is not None:
            matcher.place(row.line, *prepared, batch, report)
        if len(batch) >= chunk_size:
            await _write(crm, object_type_name, batch, headers, report)
            batch = _Batch()
            if progress:
                progress(done, len(rows))
    await _write(crm, object_type_name, batch, headers, report)
    if progress:
        progress(len(rows), len(rows))


def _prepare(row: _Row, mapping: cols.ColumnMap, report: ImportReport) -> tuple[dict[str, str], int | None] | None:
    """A row's non-blank cells by property, and its Record ID; None (reported) if it is malformed."""
    if len(row.cells) > len(mapping.headers) and any(c.strip() for c in row.cells[len(mapping.headers) :]):
        report.errors.append(
            RowIssue(
                row.line,
                None,
                None,
                f"has {len(row.cells)} cells but the header has {len(mapping.headers)} columns; check for an "
                "unquoted separator",
            )
        )
        return None
    cells = row.cells
    props = {}
    for position, name in mapping.properties.items():
        if position < len(cells):
            value = cells[position].strip()
            if value:
                props[name] = value
    record_id = None
    if mapping.record_id is not None and mapping.record_id < len(cells):
        text = cells[mapping.record_id].strip()
        if text:
            if text.isdigit():
                record_id = int(text)
            else:
                report.warnings.append(RowIssue(row.line, cols.RECORD_ID, text, "is not a record id; ignored"))
    return props, record_id


class _Matcher:
    """Decides, row by row, whether a row creates a record or updates which one."""

    def __init__(self, object_type_name: str, mapping: cols.ColumnMap, defs: dict[str, PropertyDef]):
        self.object_type = object_type_name
        self.mapping = mapping
        self.defs = defs
        self.key = UNIQUE_KEYS.get(object_type_name)
        self.singular = object_type(object_type_name).singular
        self.live_ids: set[int] = set()
        self.first_line: dict[str, int] = {}
        self.deals_by_name: dict[str, list[tuple[int, datetime | None]]] = {}
        self.claimed: set[int] = set()

    @classmethod
    async def load(
        cls, crm: LocalCrm, object_type_name: str, mapping: cols.ColumnMap, defs: dict[str, PropertyDef]
    ) -> _Matcher:
        """A matcher knowing the records that exist before the import."""
        self = cls(object_type_name, mapping, defs)
        table = table_of(object_type(object_type_name))
        wanted = [table.c.id]
        if object_type_name == "deals":
            wanted += [table.c.dealname, table.c.closedate]
        elif mapping.record_id is None:
            return self
        async with crm.sessions() as session:
            result = await session.execute(select(*wanted).where(table.c.archived.is_(False)).order_by(table.c.id))
            for row in result:
                self.live_ids.add(row[0])
                if object_type_name == "deals" and row[1]:
                    self.deals_by_name.setdefault(row[1].strip(), []).append((row[0], row[2]))
        return self

    def place(
        self, line: int, props: dict[str, str], record_id: int | None, batch: _Batch, report: ImportReport
    ) -> None:
        """Add the row to ``batch`` as an upsert, an update of a matched record or a create."""
        if self.key:
            return self._place_keyed(line, props, record_id, batch, report)
        return self._place_deal(line, props, record_id, batch, report)

    def _place_keyed(
        self, line: int, props: dict[str, str], record_id: int | None, batch: _Batch, report: ImportReport
    ) -> None:
        assert self.key
        value = props.get(self.key)
        if value:
            normalized = _normalize_key(self.key, value)
            if normalized:
                first = self.first_line.setdefault(normalized, line)
                if first != line:
                    report.warnings.append(
                        RowIssue(
                            line,
                            self.mapping.header_of(self.key),
                            value,
                            f"same {self.key} as line {first}: this row updates the same {self.singular}",
                        )
                    )
            batch.upserts.append((line, _input(None, props)))
        elif record_id is not None and record_id in self.live_ids:
            batch.updates.append((line, _input(record_id, props)))
        else:
            batch.creates.append((line, _input(None, props)))

    def _place_deal(
        self, line: int, props: dict[str, str], record_id: int | None, batch: _Batch, report: ImportReport
    ) -> None:
        if record_id is not None and record_id in self.live_ids and record_id not in self.claimed:
            self.claimed.add(record_id)
            batch.updates.append((line, _input(record_id, props)))
            return
        name = props.get("dealname", "").strip()
        candidates = [c for c in self.deals_by_name.get(name, []) if c[0] not in self.claimed] if name else []
        if candidates and "closedate" in props:
            try:
                close = coerce(self.defs["closedate"], props["closedate"])
            except ValueError:
                close = None  # the write reports the bad date
            candidates = [c for c in candidates if c[1] == close]
        if candidates:
            target = candidates[0][0]
            self.claimed.add(target)
            batch.updates.append((line, _input(target, props)))
        else:
            batch.creates.append((line, _input(None, props)))


def _input(record_id: int | None, props: dict[str, str]) -> RecordInput:
    # every field given: model_construct skips validation (the values are strings already) and
    # pydantic's default-factory inspection, which costs more than the rest of a row's import
    return RecordInput.model_construct(
        id=None if record_id is None else str(record_id), properties=props, associations=[]
    )


def _normalize_key(key: str, value: str) -> str | None:
    if key == "email":
        return value.strip().lower()
    try:
        return normalize_domain(value)
    except ValueError:
        return None


async def _create_properties(
    crm: LocalCrm,
    object_type_name: str,
    mapping: cols.ColumnMap,
    rows: list[_Row],
    defs: dict[str, PropertyDef],
    report: ImportReport,
) -> None:
    taken = set(defs)
    for position in mapping.unknown:
        header = mapping.headers[position]
        values = [r.cells[position] for r in rows if position < len(r.cells)]
        type_, options = infer_type(values)
        name = property_name(header, taken)
        taken.add(name)
        try:
            defn = await crm.create_property(object_type_name, name, header, type_, options)
        except CrmAgentError as exc:
            report.warnings.append(RowIssue(1, header, None, f"could not be created as a property: {exc}"))
            continue
        report.created_properties.append(
            {"name": defn.name, "label": defn.label, "type": defn.type, "options": [lbl for _, lbl in defn.options]}
        )


async def _write(
    crm: LocalCrm, object_type_name: str, batch: _Batch, headers: dict[str, str], report: ImportReport
) -> None:
    for inputs, method in (
        (batch.upserts, crm.batch_upsert),
        (batch.updates, crm.batch_update),
        (batch.creates, crm.batch_create),
    ):
        if not inputs:
            continue
        result = await method(object_type_name, [i for _, i in inputs], limit=None, return_records=False)
        report.created += result.created
        report.updated += result.updated
        for error in result.errors:
            line, inp = inputs[error.index]
            report.errors.extend(_issues(line, inp, result.exception(error.index), headers))


def _issues(line: int, inp: RecordInput, exc: CrmAgentError, headers: dict[str, str]) -> list[RowIssue]:
    """The row issues of a failed input, with property names turned back into the file's headers."""
    if isinstance(exc, ValidationFailed):
        return [
            RowIssue(line, headers.get(e.field.removesuffix("_raw"), e.field), e.value, e.message) for e in exc.errors
        ]
    if isinstance(exc, Conflict):
        key = next((k for k in ("email", "domain") if k in inp.properties), None)
        return [RowIssue(line, headers.get(key, key) if key else None, inp.properties.get(key or ""), str(exc))]
    if isinstance(exc, NotFound):
        return [RowIssue(line, cols.RECORD_ID, inp.id, str(exc))]
    return [RowIssue(line, None, None, str(exc))]
