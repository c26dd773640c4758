"""Request and response bodies of the HTTP API that the CRM service's own schemas do not cover.

Records, search bodies and batch results are the CRM's HubSpot-shaped models
(:mod:`crm_agent.crm.schemas`); this module adds the create/update bodies (with HubSpot's
association specs), list pages, and the bodies of the agent, audit, user and health endpoints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_agent.crm.associations import PRIMARY_TYPE_IDS, TYPE_IDS
from crm_agent.crm.schemas import CrmRecord, Paging

PropertyValue = str | int | float | bool | None
_TYPE_BY_ID = {(a, i): b for (a, b), i in TYPE_IDS.items()} | {(a, i): b for (a, b), i in PRIMARY_TYPE_IDS.items()}


class AssociationTarget(BaseModel):
    id: str = Field(max_length=40)


class AssociationType(BaseModel):
    """HubSpot's association type: category and numeric id (e.g. 279 contact to company)."""

    associationCategory: Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"] = "HUBSPOT_DEFINED"
    associationTypeId: int


class AssociationSpec(BaseModel):
    """A record to associate on create, HubSpot style::

        {"to": {"id": "12"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}

    or, shorter, ``{"to": {"id": "12"}, "objectType": "companies", "primary": true}``.
    """

    model_config = ConfigDict(extra="forbid")
    to: AssociationTarget
    types: list[AssociationType] = Field(default_factory=list, max_length=5)
    objectType: str | None = Field(default=None, max_length=20)
    primary: bool = False

    def as_link(self, from_type: str) -> dict[str, Any]:
        """The form :meth:`LocalCrm.create` takes; the target type comes from ``objectType`` or the type id."""
        target, primary = self.objectType, self.primary
        for t in self.types:
            found = _TYPE_BY_ID.get((from_type, t.associationTypeId))
            if found:
                target = target or found
                primary = primary or PRIMARY_TYPE_IDS.get((from_type, found)) == t.associationTypeId
        return {"to": {"id": self.to.id}, "objectType": target or "", "primary": primary}


class RecordCreate(BaseModel):
    """Body of a create: property values by internal name, and records to associate."""

    model_config = ConfigDict(extra="forbid")
    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    associations: list[AssociationSpec] = Field(default_factory=list, max_length=100)


class RecordUpdate(BaseModel):
    """Body of an update: the properties to change (an empty string or null clears one)."""

    model_config = ConfigDict(extra="forbid")
    properties: dict[str, PropertyValue]


class BatchUpdateInput(RecordUpdate):
    id: str = Field(max_length=40)


class BatchCreateBody(BaseModel):
    inputs: list[RecordCreate] = Field(min_length=1, max_length=100)


class BatchUpdateBody(BaseModel):
    inputs: list[BatchUpdateInput] = Field(min_length=1, max_length=100)


class RecordPage(BaseModel):
    """One page of a list: records and the cursor to the next page (HubSpot's list shape)."""

    results: list[CrmRecord]
    paging: Paging | None = None
    total: int


class AssociationResult(BaseModel):
    id: str
    type: str


class AssociationPage(BaseModel):
    results: list[AssociationResult]


class OwnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    firstName: str = Field(default="", max_length=100)
    lastName: str = Field(default="", max_length=100)


class StageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=200)
    probability: float = Field(ge=0, le=1)
    isClosed: bool = False


class PipelineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=200)
    stages: list[StageCreate] = Field(min_length=1, max_length=50)


class PropertyCreate(BaseModel):
    """A custom property: name (snake_case), label, type and, for enumerations, option labels."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    label: str = Field(default="", max_length=200)
    type: Literal["string", "number", "date", "datetime", "enumeration", "bool"] = "string"
    options: list[str] = Field(default_factory=list, max_length=500)


class PropertyRead(BaseModel):
    """A property definition as HubSpot's properties API shows it."""

    name: str
    label: str
    type: str
    objectType: str
    fieldType: str
    options: list[dict[str, str]]
    hubspotDefined: bool
    readOnlyValue: bool


class ProcessRequest(BaseModel):
    """A plain-language request for the agent."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(max_length=20_000, description="What to do, as a user would type it.")
    conversationId: str | None = Field(
        default=None, max_length=36, description="Continue this conversation (earlier turns give context)."
    )
    mode: Literal["auto", "review", "dry-run"] | None = Field(
        default=None, description="auto: run now; review: wait for approval; dry-run: plan only. Default: settings."
    )


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class AuditEntryRead(BaseModel):
    """One audit log entry: who, when, why (run and step), what, and the before/after images."""

    id: int
    at: datetime
    actor: str
    runId: str | None
    step: int | None
    action: str
    objectType: str
    objectId: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str
    prevHash: str


class AuditPage(BaseModel):
    results: list[AuditEntryRead]
    total: int
    paging: Paging | None = None


class ChainVerification(BaseModel):
    """Whether the audit chain is intact; ``firstBadId`` is the first altered or missing entry."""

    ok: bool
    entries: int
    firstBadId: int | None = None
    reason: str = ""


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    role: Literal["admin", "member"] = "member"
    name: str = Field(default="", max_length=200)


class ComponentHealth(BaseModel):
    ok: bool
    state: str
    detail: str = ""


class Health(BaseModel):
    """Overall state and the state of each component (database, worker)."""

    status: Literal["ok", "degraded"]
    version: str
    database: ComponentHealth
    worker: ComponentHealth
