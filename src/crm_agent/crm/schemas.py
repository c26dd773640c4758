"""Request and response shapes of the CRM service, in HubSpot's v3 API form.

A record is ``{"id", "properties": {...}, "associations": {...}, "archived", "createdAt",
"updatedAt"}``; every property value is a string or null, as HubSpot returns them. Search takes
HubSpot's body: ``filterGroups`` (OR of at most 5 groups, each an AND of at most 6 filters),
``query``, ``sorts``, ``properties``, ``limit`` (1..200) and the ``after`` cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from crm_agent.errors import Conflict, CrmAgentError, ValidationFailed

Operator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]


class AssociationRef(BaseModel):
    """One associated record: its id and HubSpot association type (e.g. ``contact_to_company``)."""

    id: str
    type: str


class AssociationList(BaseModel):
    """The associated records of one object type."""

    results: list[AssociationRef] = Field(default_factory=list)


class CrmRecord(BaseModel):
    """A CRM record as HubSpot's API returns it."""

    id: str
    properties: dict[str, str | None]
    associations: dict[str, AssociationList] = Field(default_factory=dict)
    archived: bool = False
    createdAt: datetime
    updatedAt: datetime


class Filter(BaseModel):
    """One search condition on a property (standard or custom)."""

    model_config = ConfigDict(extra="forbid")
    propertyName: str
    operator: Operator
    value: Any = None
    highValue: Any = None
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _operands(self) -> Filter:
        if self.operator == "BETWEEN" and (self.value is None or self.highValue is None):
            raise ValueError(f"BETWEEN on {self.propertyName} needs value and highValue")
        if self.operator in {"IN", "NOT_IN"} and not self.values:
            raise ValueError(f"{self.operator} on {self.propertyName} needs a non-empty values list")
        needs_value = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
        if self.operator in needs_value and self.value is None:
            raise ValueError(f"{self.operator} on {self.propertyName} needs a value")
        return self


class FilterGroup(BaseModel):
    """Filters that must all hold (AND); HubSpot allows at most 6."""

    filters: list[Filter] = Field(max_length=6)


class Sort(BaseModel):
    """Order by one property."""

    propertyName: str
    direction: Literal["ASCENDING", "DESCENDING"] = "ASCENDING"


class SearchRequest(BaseModel):
    """HubSpot's CRM search body. Groups are OR-ed (at most 5)."""

    model_config = ConfigDict(extra="forbid")
    filterGroups: list[FilterGroup] = Field(default_factory=list, max_length=5)
    query: str | None = None
    sorts: list[Sort] = Field(default_factory=list)
    properties: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=200)
    after: str | None = None
    archived: bool = False


class Paging(BaseModel):
    """Cursor to the next page."""

    next: dict[str, str] | None = None


class SearchPage(BaseModel):
    """One page of search results with the total number of matches."""

    total: int
    results: list[CrmRecord]
    paging: Paging | None = None


class RecordInput(BaseModel):
    """Input of a create/update: properties and, for updates, the id; optional associations
    as ``[{"to": {"id": "1"}, "objectType": "companies", "primary": true}]``."""

    id: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    associations: list[dict[str, Any]] = Field(default_factory=list)


class BatchError(BaseModel):
    """Why one input of a batch failed: its index, a category and a message naming the field."""

    index: int
    status: Literal["error"] = "error"
    category: Literal["VALIDATION_ERROR", "CONFLICT", "OBJECT_NOT_FOUND"]
    message: str
    context: dict[str, Any] = Field(default_factory=dict)


class BatchResult(BaseModel):
    """Per-record outcome of a batch, as HubSpot's batch API reports it (``COMPLETE`` or partial)."""

    status: Literal["COMPLETE"] = "COMPLETE"
    results: list[CrmRecord] = Field(default_factory=list)
    errors: list[BatchError] = Field(default_factory=list)
    created: int = 0
    updated: int = 0
    _exceptions: dict[int, CrmAgentError] = PrivateAttr(default_factory=dict)

    def fail(self, index: int, exc: CrmAgentError) -> None:
        """Record that input ``index`` failed with ``exc``."""
        category = {"Conflict": "CONFLICT", "NotFound": "OBJECT_NOT_FOUND"}.get(type(exc).__name__, "VALIDATION_ERROR")
        context: dict[str, Any] = {}
        if isinstance(exc, ValidationFailed):
            context["fields"] = [e.field for e in exc.errors]
        if isinstance(exc, Conflict) and exc.existing_id:
            context["existingId"] = exc.existing_id
        self.errors.append(BatchError(index=index, category=category, message=str(exc), context=context))
        self._exceptions[index] = exc

    def exception(self, index: int) -> CrmAgentError:
        """The original exception of failed input ``index``."""
        return self._exceptions[index]

    def merge(self, other: BatchResult) -> None:
        """Add another partial result (of other inputs of the same batch) to this one."""
        self.results += other.results
        self.errors += other.errors
        self.created += other.created
        self.updated += other.updated
        self._exceptions.update(other._exceptions)


class OwnerRecord(BaseModel):
    """An owner as HubSpot's owners API returns it."""

    id: str
    email: str
    firstName: str
    lastName: str
    archived: bool = False


class StageRecord(BaseModel):
    """A pipeline stage; ``probability`` is HubSpot's win probability 0..1."""

    id: str
    label: str
    displayOrder: int
    metadata: dict[str, str]


class PipelineRecord(BaseModel):
    """A pipeline with its ordered stages."""

    id: str
    label: str
    displayOrder: int
    stages: list[StageRecord]
