"""Evals: YAML cases that run plain-language requests on a fixture CRM and check the end state.

Each case runs on a fresh SQLite database in a temporary directory with a fixed clock: the
fixture is loaded (see :mod:`crm_agent.fixtures`), the request or the turns of the conversation
go through :class:`~crm_agent.agent.runner.AgentRunner`, then the expectations are checked: records
that must exist with given properties and associations, records that must be absent, exact counts,
the number of audited writes, step outcomes, run status and facts in the reply. The case format
is documented in ``evals/README.md``; :func:`load_cases` validates it (unknown keys, object types
and property names are errors).

A fixture is loaded once per suite run into a template database which each case then copies, so
a case starts from exactly the same bytes without paying for migrations and the load again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select

from crm_agent.audit import AuditEntry
from crm_agent.config import Settings
from crm_agent.crm.directory import match_owners
from crm_agent.crm.objects import OBJECT_TYPES, object_type
from crm_agent.crm.properties import standard_properties
from crm_agent.crm.schemas import CrmRecord, OwnerRecord, SearchRequest
from crm_agent.crm.service import LocalCrm
from crm_agent.crm.values import fold
from crm_agent.errors import CrmAgentError, FieldError, ValidationFailed
from crm_agent.fixtures import FIXTURE_ACTOR, load_fixture, read_fixture, resolve_extends
from crm_agent.storage.engine import dispose_all

DEFAULT_NOW = "2026-11-20T09:00:00Z"
EVAL_ACTOR = "eval"
RECORD_TYPES = ("contacts", "companies", "deals", "notes", "tasks")
STEP_STATUSES = ("planned", "pending", "succeeded", "failed", "skipped", "rejected")
OPERATORS = {"eq", "startswith", "contains", "icontains", "in", "not", "gt", "gte", "lt", "lte", "present", "date"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Text = str | list[str]  # a reply fact: a string, or a list of alternatives of which one must appear


# ----------------------------------------------------------------------------------------------
# case format


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepCounts(_Strict):
    """How many of the plan's write steps (reads are not counted) ended in each status."""

    succeeded: int | None = None
    failed: int | None = None
    skipped: int | None = None
    pending: int | None = None
    planned: int | None = None
    rejected: int | None = None


class ReplyExpect(_Strict):
    """Expectations on one run: its reply, status and write-step outcomes."""

    reply_contains: list[Text] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    status: str | None = None
    steps: StepCounts | None = None


class Turn(ReplyExpect):
    """One message of a conversation, with optional expectations on its own run."""

    request: str
    repeat: int = Field(default=1, ge=1)
    mode: Literal["auto", "review", "dry-run"] | None = None
    approve: bool = False

    @property
    def text(self) -> str:
        return " ".join([self.request] * self.repeat) if self.repeat > 1 else self.request


class RecordExpect(_Strict):
    """Records selected by ``match`` (``count`` of them, default 1) must satisfy ``properties`` and
    ``associations`` and be active (or archived when ``archived: true``)."""

    type: str
    match: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    associations: dict[str, Any] = Field(default_factory=dict)
    archived: bool = False
    count: int = Field(default=1, ge=0)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return _object_type_name(value)


class AbsentExpect(_Strict):
    """No active record of ``type`` matches ``match`` (it was never created, or it is archived)."""

    type: str
    match: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return _object_type_name(value)


class Expect(ReplyExpect):
    """What must hold after the last turn."""

    records: list[RecordExpect] = Field(default_factory=list)
    absent: list[AbsentExpect] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    writes: int | dict[str, Any] | None = None

    @field_validator("counts")
    @classmethod
    def _known_types(cls, value: dict[str, int]) -> dict[str, int]:
        return {_object_type_name(k): v for k, v in value.items()}


class Case(_Strict):
    """One eval case (see evals/README.md)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    category: str = ""
    description: str = ""
    fixture: str | dict[str, Any] = "demo"
    now: datetime | None = None
    timezone: str = "UTC"
    mode: Literal["auto", "review", "dry-run"] = "auto"
    request: str | None = None
    repeat: int = Field(default=1, ge=1)
    approve: bool = False
    conversation: list[str | Turn] | None = None
    expect: Expect

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if (self.request is None) == (self.conversation is None):
            raise ValueError("give either `request` or `conversation`")
        if self.conversation is not None and (not self.conversation or self.repeat != 1 or self.approve):
            raise ValueError("`conversation` needs at least one turn (`repeat` and `approve` go on a turn)")
        return self

    def turns(self) -> list[Turn]:
        """The messages to send, in order, each with its mode filled in."""
        if self.request is not None:
            return [Turn(request=self.request, repeat=self.repeat, mode=self.mode, approve=self.approve)]
        turns = [Turn(request=t) if isinstance(t, str) else t for t in self.conversation or []]
        return [t.model_copy(update={"mode": t.mode or self.mode}) for t in turns]


def _object_type_name(value: str) -> str:
    name = object_type(value).name
    if name not in RECORD_TYPES:
        raise ValueError(f"evals check {', '.join(RECORD_TYPES)}, not {value}")
    return name


@dataclass
class LoadedCase:
    """A case with where it came from and its fixture resolved to a dict."""

    case: Case
    file: Path
    fixture: dict[str, Any]


def case_files(path: Path) -> list[Path]:
    """The case files under ``path`` (a file, or a directory's ``*.yaml`` outside ``fixtures/``)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.yaml") if "fixtures" not in p.relative_to(path).parts)


def load_cases(path: Path) -> list[LoadedCase]:
    """Every case under ``path``, validated: schema, unique ids, fixtures that resolve, and
    property names that exist for the type (standard or defined by the fixture).

    Raises ValidationFailed listing every problem as ``file: case: message``.
    """
    path = Path(path)
    errors: list[FieldError] = []
    loaded: list[LoadedCase] = []
    seen: dict[str, Path] = {}
    fixtures_dir = (path if path.is_dir() else path.parent) / "fixtures"
    fixture_cache: dict[str, dict[str, Any]] = {}
    for file in case_files(path):
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            errors.append(FieldError(str(file), "", f"not valid YAML: {exc}"))
            continue
        items = raw.get("cases") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            errors.append(FieldError(str(file), "", "a case file is a mapping with a `cases` list"))
            continue
        defaults = {k: v for k, v in raw.items() if k != "cases"}
        unknown = set(defaults) - {"category", "fixture", "now", "timezone"}
        if unknown:
            errors.append(FieldError(str(file), sorted(unknown), "file-level keys: category, fixture, now, timezone"))
            continue
        for index, item in enumerate(items):
            where = f"{file.name}: case {item.get('id', index) if isinstance(item, dict) else index}"
            try:
                case = Case.model_validate({"category": file.stem, **defaults, **item})
            except ValidationError as exc:
                for err in exc.errors():
                    location = ".".join(str(p) for p in err["loc"])
                    errors.append(FieldError(where, location, err["msg"]))
                continue
            except (TypeError, CrmAgentError) as exc:
                errors.append(FieldError(where, "", str(exc)))
                continue
            if case.id in seen:
                errors.append(FieldError(where, case.id, f"id repeats a case of {seen[case.id].name}"))
                continue
            seen[case.id] = file
            try:
                fixture = _resolve_fixture(case.fixture, fixtures_dir, fixture_cache)
                errors += [FieldError(where, p, m) for p, m in _unknown_properties(case, fixture)]
            except CrmAgentError as exc:
                errors.append(FieldError(where, "fixture", str(exc)))
                continue
            loaded.append(LoadedCase(case, file, fixture))
    if errors:
        raise ValidationFailed(errors)
    return loaded


def _resolve_fixture(ref: str | dict[str, Any], base: Path, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(ref, dict):
        return resolve_extends(ref, base)
    if ref not in cache:
        cache[ref] = read_fixture(ref, base)
    return cache[ref]


def _unknown_properties(case: Case, fixture: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, message) for every property name in the expectations that the type does not have."""
    custom = {t: {d["name"] for d in defs or []} for t, defs in (fixture.get("properties") or {}).items()}
    problems: list[tuple[str, str]] = []

    def check(otype: str, criteria: dict[str, Any], where: str, allow_links: bool) -> None:
        known = set(standard_properties(OBJECT_TYPES[otype])) | custom.get(otype, set()) | {"owner", "hs_object_id"}
        for key, value in criteria.items():
            if key in RECORD_TYPES and allow_links:
                for sub in value if isinstance(value, list) else [value]:
                    if isinstance(sub, dict):
                        check(key, {k: v for k, v in sub.items() if k != "primary"}, f"{where}.{key}", True)
                    elif not isinstance(sub, int):
                        problems.append((f"{where}.{key}", "give a count, a mapping of criteria or a list of them"))
            elif key not in known:
                problems.append((f"{where}.{key}", f"{otype} have no property {key!r}"))
            elif isinstance(value, dict) and not set(value) <= OPERATORS:
                problems.append((f"{where}.{key}", f"unknown operator(s) {sorted(set(value) - OPERATORS)}"))

    for n, rec in enumerate(case.expect.records):
        check(rec.type, rec.match, f"records[{n}].match", True)
        check(rec.type, rec.properties, f"records[{n}].properties", False)
        links = {k: v for k, v in rec.associations.items() if k in RECORD_TYPES}
        check(rec.type, links, f"records[{n}].associations", True)
        problems += [(f"records[{n}].associations.{k}", "not an object type") for k in rec.associations.keys() - links]
    for n, absent in enumerate(case.expect.absent):
        check(absent.type, absent.match, f"absent[{n}].match", True)
    return problems


# ----------------------------------------------------------------------------------------------
# checking the end state


@dataclass
class Snapshot:
    """Every record of the CRM (active and archived) by type and id, and the owners."""

    records: dict[str, dict[str, CrmRecord]]
    owners: list[OwnerRecord]

    @classmethod
    async def take(cls, crm: LocalCrm) -> Snapshot:
        records: dict[str, dict[str, CrmRecord]] = {}
        for otype in RECORD_TYPES:
            found: dict[str, CrmRecord] = {}
            for archived in (False, True):
                after: str | None = None
                while True:
                    page = await crm.search(otype, SearchRequest(limit=200, after=after, archived=archived))
                    found.update({r.id: r for r in page.results})
                    if page.paging is None or page.paging.next is None:
                        break
                    after = page.paging.next["after"]
            records[otype] = found
        return cls(records, await crm.list_owners())

    def active(self, otype: str) -> list[CrmRecord]:
        return [r for r in self.records[otype].values() if not r.archived]

    def linked(self, record: CrmRecord, otype: str) -> list[tuple[CrmRecord, bool]]:
        """Active records of ``otype`` linked to ``record``, each with whether the link is primary."""
        out = []
        refs = record.associations[otype].results if otype in record.associations else []
        for ref in refs:
            other = self.records[otype].get(ref.id)
            if other is not None and not other.archived:
                out.append((other, ref.type.endswith("_primary")))
        return out


def describe(otype: str, record: CrmRecord) -> str:
    """A record as a person would name it in a failure message."""
    p = record.properties
    if otype == "contacts":
        name = f"{p.get('firstname') or ''} {p.get('lastname') or ''}".strip()
        return f"contact {name or '(no name)'} <{p.get('email') or 'no email'}> (id {record.id})"
    if otype == "companies":
        return f"company {p.get('name')} ({p.get('domain')}, id {record.id})"
    if otype == "deals":
        return f"deal {p.get('dealname')!r} (id {record.id})"
    field_name = "hs_note_body" if otype == "notes" else "hs_task_subject"
    return f"{otype[:-1]} {str(p.get(field_name) or '')[:50]!r} (id {record.id})"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None


def value_matches(expected: Any, actual: str | None) -> bool:
    """Whether a property's API value ``actual`` satisfies ``expected`` (see evals/README.md).

    ``None`` means empty; a number compares numerically; a bool as ``true``/``false``; a
    ``YYYY-MM-DD`` string matches a datetime on that (UTC) day; other strings must be equal; a
    mapping applies operators (all must hold).
    """
    if isinstance(expected, dict):
        return all(_operator(op, arg, actual) for op, arg in expected.items())
    if expected is None:
        return actual is None or actual == ""
    if actual is None:
        return False
    if isinstance(expected, bool):
        return actual == ("true" if expected else "false")
    if isinstance(expected, (int, float, Decimal)):
        return _number(actual) == _number(expected)
    text = str(expected)
    if _DATE_RE.match(text) and re.match(r"^\d{4}-\d{2}-\d{2}T", actual):
        return actual[:10] == text
    return actual == text


def _operator(op: str, arg: Any, actual: str | None) -> bool:
    if op == "present":
        return (actual not in (None, "")) == bool(arg)
    if op == "eq":
        return value_matches(arg, actual)
    if op == "not":
        return not value_matches(arg, actual)
    if op == "in":
        return any(value_matches(a, actual) for a in arg)
    if actual is None:
        return False
    if op == "startswith":
        return actual.startswith(str(arg))
    if op == "contains":
        return str(arg) in actual
    if op == "icontains":
        return fold(str(arg)) in fold(actual)
    if op == "date":
        return actual[:10] == str(arg)
    number, bound = _number(actual), _number(arg)
    if (number is None or bound is None) and _DATE_RE.match(str(arg)):
        number, bound = actual[:10], str(arg)  # ISO dates order as strings
    if number is None or bound is None:
        return False
    return {"gt": number > bound, "gte": number >= bound, "lt": number < bound, "lte": number <= bound}[op]


def _owner_matches(snap: Snapshot, expected: Any, actual: str | None) -> bool:
    if expected is None:
        return actual in (None, "")
    return actual in {o.id for o in match_owners(snap.owners, expected)}


def mismatches(snap: Snapshot, otype: str, record: CrmRecord, criteria: dict[str, Any]) -> list[str]:
    """Why ``record`` does not satisfy ``criteria`` (property values, ``owner``, and association
    criteria keyed by object type); empty when it does."""
    problems = []
    for key, expected in criteria.items():
        if key in RECORD_TYPES:
            problems += _link_mismatches(snap, record, key, expected)
            continue
        actual = record.properties.get("hubspot_owner_id" if key == "owner" else key)
        ok = _owner_matches(snap, expected, actual) if key == "owner" else value_matches(expected, actual)
        if not ok:
            problems.append(f"{key} is {actual!r}, expected {expected!r}")
    return problems


def _link_mismatches(snap: Snapshot, record: CrmRecord, otype: str, expected: Any) -> list[str]:
    links = snap.linked(record, otype)
    if isinstance(expected, int) and not isinstance(expected, bool):
        if len(links) != expected:
            names = ", ".join(describe(otype, r) for r, _ in links) or "none"
            return [f"has {len(links)} associated {otype} ({names}), expected {expected}"]
        return []
    problems = []
    for crit in expected if isinstance(expected, list) else [expected]:
        wanted = {k: v for k, v in crit.items() if k != "primary"}
        hit = [
            (r, primary)
            for r, primary in links
            if not mismatches(snap, otype, r, wanted) and (not crit.get("primary") or primary)
        ]
        if not hit:
            names = ", ".join(describe(otype, r) for r, _ in links) or "none"
            problems.append(f"is not associated with {otype} matching {crit} (associated: {names})")
    return problems


def check_records(snap: Snapshot, expect: Expect) -> list[str]:
    """Failures of the ``records``, ``absent`` and ``counts`` expectations."""
    failures = []
    for spec in expect.records:
        pool = [r for r in snap.records[spec.type].values() if r.archived == spec.archived]
        selected = [r for r in pool if not mismatches(snap, spec.type, r, spec.match)]
        state = "archived" if spec.archived else "active"
        if len(selected) != spec.count:
            other = [
                r
                for r in snap.records[spec.type].values()
                if r.archived != spec.archived and not mismatches(snap, spec.type, r, spec.match)
            ]
            found = "; ".join(describe(spec.type, r) for r in selected[:5])
            hint = f" ({len(other)} {'active' if spec.archived else 'archived'} one(s) match)" if other else ""
            failures.append(
                f"records: expected {spec.count} {state} {spec.type} matching {spec.match}, "
                f"found {len(selected)}{': ' + found if found else ''}{hint}"
            )
            continue
        for record in selected:
            problems = mismatches(snap, spec.type, record, {**spec.properties, **spec.associations})
            failures += [f"records: {describe(spec.type, record)} {p}" for p in problems]
    for spec in expect.absent:
        present = [r for r in snap.active(spec.type) if not mismatches(snap, spec.type, r, spec.match)]
        if present:
            names = "; ".join(describe(spec.type, r) for r in present[:5])
            failures.append(f"absent: expected no active {spec.type} matching {spec.match}, found {names}")
    for otype, wanted in expect.counts.items():
        actual = len(snap.active(otype))
        if actual != wanted:
            failures.append(f"counts: expected {wanted} active {otype}, found {actual}")
    return failures


def check_reply(expect: ReplyExpect, run: Any, label: str = "") -> list[str]:
    """Failures of the reply, status and step expectations on one run (a RunView)."""
    failures = []
    reply = fold(run.reply or "")
    prefix = f"{label}: " if label else ""
    for fact in expect.reply_contains:
        options = fact if isinstance(fact, list) else [fact]
        if not any(fold(str(o)) in reply for o in options):
            wanted = " or ".join(repr(o) for o in options)
            failures.append(f"{prefix}reply should contain {wanted}; reply was: {_short(run.reply)}")
    for fact in expect.reply_not_contains:
        if fold(fact) in reply:
            failures.append(f"{prefix}reply should not contain {fact!r}; reply was: {_short(run.reply)}")
    if expect.status is not None and run.status != expect.status:
        failures.append(f"{prefix}run status is {run.status!r}, expected {expect.status!r}")
    if expect.steps is not None:
        writes = [s for s in run.steps if s.risk != "read"]
        for status, wanted in expect.steps.model_dump(exclude_none=True).items():
            actual = sum(1 for s in writes if s.status == status)
            if actual != wanted:
                lines = "; ".join(f"{s.position} {s.status} {s.description}" for s in writes) or "no write steps"
                failures.append(f"{prefix}{status} write steps: {actual}, expected {wanted} ({lines})")
    return failures


def _short(text: str, limit: int = 400) -> str:
    flat = " | ".join(line for line in (text or "").splitlines() if line.strip())
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")


# ----------------------------------------------------------------------------------------------
# running


@dataclass
class CaseResult:
    """The outcome of one case."""

    id: str
    category: str
    file: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    replies: list[str] = field(default_factory=list)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The outcome of a suite: per-case results and totals."""

    model: str
    results: list[CaseResult]
    seconds: float

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.results) if self.results else 0.0

    def latency(self, quantile: float) -> float:
        values = sorted(v for r in self.results for v in r.latencies_ms)
        if not values:
            return 0.0
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(quantile * 100) - 1]

    def by_category(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self.results:
            passed, total = out.get(r.category, (0, 0))
            out[r.category] = (passed + r.passed, total + 1)
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "cases": len(self.results),
            "passed": self.passed,
            "pass_rate": round(self.pass_rate, 4),
            "llm_calls": sum(r.llm_calls for r in self.results),
            "input_tokens": sum(r.input_tokens for r in self.results),
            "output_tokens": sum(r.output_tokens for r in self.results),
            "latency_ms": {"p50": round(self.latency(0.5), 2), "p95": round(self.latency(0.95), 2)},
            "seconds": round(self.seconds, 2),
            "categories": {k: {"passed": p, "total": t} for k, (p, t) in self.by_category().items()},
            "results": [r.__dict__ for r in self.results],
        }


SettingsFactory = Callable[..., Settings]


class Suite:
    """Runs loaded cases, one fresh database each, sharing fixture templates within the run."""

    def __init__(self, model: str = "rules", settings_factory: SettingsFactory = Settings):
        self.model = model
        self.settings_factory = settings_factory
        self._workdir = Path(tempfile.mkdtemp(prefix="crm-agent-eval-"))
        self._templates: dict[str, Path] = {}

    def close(self) -> None:
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _settings(self, data_dir: Path, case: Case) -> Settings:
        return self.settings_factory(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir / 'crm.db'}",
            now=case.now or DEFAULT_NOW,
            timezone=case.timezone,
            model=self.model,
            mode="auto",
            default_currency="USD",
            business_profile=None,
            actor=EVAL_ACTOR,
        )

    async def _template(self, loaded: LoadedCase) -> Path:
        """A database file holding the case's fixture, built on first use."""
        settings = self._settings(self._workdir, loaded.case)
        key = hashlib.sha256(
            json.dumps([loaded.fixture, str(settings.now), settings.timezone], sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        if key not in self._templates:
            directory = self._workdir / f"template-{key}"
            settings = self._settings(directory, loaded.case)
            crm = await LocalCrm.connect(settings)
            try:
                await load_fixture(crm, loaded.fixture)
            finally:
                await dispose_all()
            self._templates[key] = directory / "crm.db"
        return self._templates[key]

    async def run_case(self, loaded: LoadedCase) -> CaseResult:
        """Run one case on a copy of its fixture's template; never raises for the case's failure."""
        case = loaded.case
        result = CaseResult(case.id, case.category, loaded.file.name, passed=False)
        directory = self._workdir / f"case-{case.id}"
        try:
            template = await self._template(loaded)
            directory.mkdir(parents=True)
            for suffix in ("", "-wal"):
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", directory / f"crm.db{suffix}")
            settings = self._settings(directory, case)
            await self._run_turns(case, settings, result)
        except Exception as exc:  # a crash of the agent is a failed case, not a failed suite
            result.error = f"{type(exc).__name__}: {exc}"
            result.failures.append("crashed: " + "".join(traceback.format_exception_only(exc)).strip())
            result.failures.append(traceback.format_exc(limit=-4))
        finally:
            await dispose_all()
            shutil.rmtree(directory, ignore_errors=True)
        result.passed = not result.failures
        return result

    async def _run_turns(self, case: Case, settings: Settings, result: CaseResult) -> None:
        from crm_agent.agent.runner import AgentRunner  # the agent imports a lot; load it only to run

        crm = await LocalCrm.connect(settings)
        runner = AgentRunner(crm, settings)
        conversation_id: str | None = None
        run = None
        turns = case.turns()
        for number, turn in enumerate(turns, start=1):
            started = time.perf_counter()
            run = await runner.run(turn.text, actor=EVAL_ACTOR, mode=turn.mode, conversation_id=conversation_id)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            conversation_id = run.conversation_id
            result.llm_calls += run.llm_calls
            result.input_tokens += run.input_tokens
            result.output_tokens += run.output_tokens
            if run.fallback_reason:
                result.fallbacks.append(run.fallback_reason)
            if turn.approve:
                if run.status == "awaiting_approval":
                    run = await runner.approve(run.id, actor=EVAL_ACTOR)
                else:
                    result.failures.append(f"turn {number}: nothing to approve, the run is {run.status}")
            result.replies.append(run.reply)
            if len(turns) > 1:
                result.failures += check_reply(turn, run, f"turn {number}")
        assert run is not None
        result.failures += check_reply(case.expect, run)
        snap = await Snapshot.take(crm)
        result.failures += check_records(snap, case.expect)
        if case.expect.writes is not None:
            async with crm.sessions() as session:
                writes = await session.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.actor != FIXTURE_ACTOR)
                )
            if not value_matches(case.expect.writes, str(writes)):
                result.failures.append(f"writes: {writes} audited writes, expected {case.expect.writes}")

    async def run(self, cases: list[LoadedCase], on_result: Callable[[CaseResult], None] | None = None) -> Report:
        """Run ``cases`` in order and report."""
        started = time.perf_counter()
        results = []
        for loaded in cases:
            outcome = await self.run_case(loaded)
            results.append(outcome)
            if on_result:
                on_result(outcome)
        return Report(self.model, results, time.perf_counter() - started)


async def run_suite(
    path: Path,
    *,
    model: str = "rules",
    case_ids: list[str] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
    settings_factory: SettingsFactory = Settings,
) -> Report:
    """Load the cases under ``path`` (only ``case_ids`` when given) and run them.

    Raises ValidationFailed for malformed case files or unknown case ids.
    """
    cases = load_cases(path)
    if case_ids:
        known = {c.case.id for c in cases}
        missing = [i for i in case_ids if i not in known]
        if missing:
            raise ValidationFailed([FieldError("case", i, "no case has this id") for i in missing])
        cases = [c for c in cases if c.case.id in case_ids]
    suite = Suite(model, settings_factory)
    try:
        return await suite.run(cases, on_result)
    finally:
        suite.close()
