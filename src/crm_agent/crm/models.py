"""CRM tables, with HubSpot's internal property names as column names.

Every standard property column carries its definition in ``Column.info`` (label, type,
options, format, searchable), so the property registry in :mod:`crm_agent.crm.properties`
reads standard properties from the models themselves and one validator serves standard and
custom properties alike. Option lists are HubSpot's defaults (HubSpot knowledge base,
"HubSpot's default contact/deal/task properties").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_agent.storage.base import Base, UTCDateTime

LIFECYCLE_STAGES = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
]
LEAD_STATUSES = [
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
]
TASK_STATUSES = [
    ("NOT_STARTED", "Not Started"),
    ("IN_PROGRESS", "In Progress"),
    ("WAITING", "Waiting"),
    ("COMPLETED", "Completed"),
    ("DEFERRED", "Deferred"),
]
TASK_TYPES = [("EMAIL", "Email"), ("CALL", "Call"), ("TODO", "To-do")]
PRIORITIES = [("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High")]
DEAL_PRIORITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
MEETING_OUTCOMES = [
    ("SCHEDULED", "Scheduled"),
    ("COMPLETED", "Completed"),
    ("RESCHEDULED", "Rescheduled"),
    ("NO_SHOW", "No Show"),
    ("CANCELED", "Canceled"),
]
EMAIL_DIRECTIONS = [
    ("EMAIL", "Outgoing email"),
    ("INCOMING_EMAIL", "Incoming email"),
    ("FORWARDED_EMAIL", "Forwarded email"),
]


def prop(
    type_: Any,
    label: str,
    kind: str = "string",
    *,
    options: list[tuple[str, str]] | None = None,
    fmt: str | None = None,
    searchable: bool = False,
    readonly: bool = False,
    **kw: Any,
) -> Any:
    """A nullable property column whose ``info`` holds its HubSpot-style definition.

    ``kind`` is the property type (string, number, date, datetime, enumeration, bool);
    ``fmt`` a stricter format (email, phone, domain, owner, currency, pipeline, dealstage).
    """
    info = {
        "label": label,
        "type": kind,
        "options": options,
        "format": fmt,
        "searchable": searchable,
        "readonly": readonly,
    }
    return mapped_column(type_, nullable=True, info=info, **kw)


class RecordMixin:
    """Columns every CRM object has: id, custom property values, timestamps, archived flag."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    custom_properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    createdate: Mapped[datetime] = prop(UTCDateTime, "Create Date", "datetime", readonly=True)
    lastmodifieddate: Mapped[datetime] = prop(UTCDateTime, "Last Modified Date", "datetime", readonly=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class Owner(Base):
    """A CRM user who can own records (HubSpot owners API: id, email, firstName, lastName)."""

    __tablename__ = "owners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    firstName: Mapped[str] = mapped_column(String(100), default="")
    lastName: Mapped[str] = mapped_column(String(100), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    createdAt: Mapped[datetime] = mapped_column(UTCDateTime)
    updatedAt: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(RecordMixin, Base):
    """A person. ``email`` is stored lower-cased, which makes its uniqueness case-insensitive."""

    __tablename__ = "contacts"
    email: Mapped[str | None] = prop(String(320), "Email", fmt="email", searchable=True, unique=True)
    firstname: Mapped[str | None] = prop(String(100), "First Name", searchable=True)
    lastname: Mapped[str | None] = prop(String(100), "Last Name", searchable=True)
    phone: Mapped[str | None] = prop(String(50), "Phone Number", fmt="phone", searchable=True)
    phone_raw: Mapped[str | None] = prop(String(50), "Phone Number (as entered)", readonly=True)
    company: Mapped[str | None] = prop(String(200), "Company Name", searchable=True)
    jobtitle: Mapped[str | None] = prop(String(200), "Job Title")
    lifecyclestage: Mapped[str | None] = prop(
        String(40), "Lifecycle Stage", "enumeration", options=LIFECYCLE_STAGES, index=True
    )
    hs_lead_status: Mapped[str | None] = prop(String(40), "Lead Status", "enumeration", options=LEAD_STATUSES)
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Contact owner", fmt="owner")
    notes_last_contacted: Mapped[datetime | None] = prop(UTCDateTime, "Last Contacted", "datetime")
    hs_email_optout: Mapped[bool | None] = prop(Boolean, "Unsubscribed from all email", "bool")

    # covering for "an owner's contacts of a lead status", archived ones left out (migration 0004)
    __table_args__ = (Index("ix_contacts_owner_status", "hubspot_owner_id", "hs_lead_status", "archived"),)


class Company(RecordMixin, Base):
    """An organisation; ``domain`` is normalized (lower case, no scheme, no www, no path) and unique."""

    __tablename__ = "companies"
    name: Mapped[str | None] = prop(String(200), "Company name", searchable=True)
    domain: Mapped[str | None] = prop(String(253), "Company Domain Name", fmt="domain", searchable=True, unique=True)
    industry: Mapped[str | None] = prop(String(100), "Industry")
    city: Mapped[str | None] = prop(String(100), "City")
    country: Mapped[str | None] = prop(String(100), "Country/Region")
    phone: Mapped[str | None] = prop(String(50), "Phone Number", fmt="phone")
    numberofemployees: Mapped[int | None] = prop(Integer, "Number of Employees", "number", fmt="integer")
    annualrevenue: Mapped[Decimal | None] = prop(Numeric(18, 2), "Annual Revenue", "number", fmt="money")
    lifecyclestage: Mapped[str | None] = prop(String(40), "Lifecycle Stage", "enumeration", options=LIFECYCLE_STAGES)
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Company owner", fmt="owner", index=True)


class Deal(RecordMixin, Base):
    """A sales opportunity; ``amount`` is a Decimal in ``deal_currency_code``."""

    __tablename__ = "deals"
    dealname: Mapped[str | None] = prop(String(200), "Deal Name", searchable=True)
    amount: Mapped[Decimal | None] = prop(Numeric(18, 2), "Amount", "number", fmt="money")
    deal_currency_code: Mapped[str | None] = prop(String(3), "Currency", fmt="currency")
    pipeline: Mapped[str | None] = prop(String(64), "Pipeline", fmt="pipeline")
    dealstage: Mapped[str | None] = prop(String(64), "Deal Stage", fmt="dealstage", index=True)
    closedate: Mapped[datetime | None] = prop(UTCDateTime, "Close Date", "datetime", index=True)
    hs_priority: Mapped[str | None] = prop(String(10), "Priority", "enumeration", options=DEAL_PRIORITIES)
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Deal owner", fmt="owner", index=True)


class Note(RecordMixin, Base):
    """A note engagement."""

    __tablename__ = "notes"
    hs_note_body: Mapped[str | None] = prop(Text, "Note body", searchable=True)
    hs_timestamp: Mapped[datetime | None] = prop(UTCDateTime, "Activity date", "datetime")
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Activity assigned to", fmt="owner")


class Task(RecordMixin, Base):
    """A task engagement; ``hs_timestamp`` is its due time."""

    __tablename__ = "tasks"
    hs_task_subject: Mapped[str | None] = prop(String(300), "Task Title", searchable=True)
    hs_task_body: Mapped[str | None] = prop(Text, "Notes")
    hs_task_status: Mapped[str | None] = prop(
        String(20), "Task Status", "enumeration", options=TASK_STATUSES, index=True
    )
    hs_task_priority: Mapped[str | None] = prop(String(10), "Priority", "enumeration", options=PRIORITIES)
    hs_task_type: Mapped[str | None] = prop(String(10), "Task Type", "enumeration", options=TASK_TYPES)
    hs_timestamp: Mapped[datetime | None] = prop(UTCDateTime, "Due date", "datetime", index=True)
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Assigned to", fmt="owner")


class Meeting(RecordMixin, Base):
    """A meeting engagement; attendees are e-mail addresses separated by semicolons."""

    __tablename__ = "meetings"
    hs_meeting_title: Mapped[str | None] = prop(String(300), "Meeting name", searchable=True)
    hs_meeting_start_time: Mapped[datetime | None] = prop(UTCDateTime, "Start Time", "datetime")
    hs_meeting_end_time: Mapped[datetime | None] = prop(UTCDateTime, "End Time", "datetime")
    hs_meeting_location: Mapped[str | None] = prop(String(300), "Location")
    hs_meeting_attendees: Mapped[str | None] = prop(Text, "Attendees")
    hs_meeting_outcome: Mapped[str | None] = prop(
        String(20), "Meeting outcome", "enumeration", options=MEETING_OUTCOMES
    )
    hs_timestamp: Mapped[datetime | None] = prop(UTCDateTime, "Activity date", "datetime")
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Activity assigned to", fmt="owner")


class Email(RecordMixin, Base):
    """An email engagement: one sent or received message on the timeline."""

    __tablename__ = "emails"
    hs_email_subject: Mapped[str | None] = prop(String(998), "Email subject", searchable=True)
    hs_email_text: Mapped[str | None] = prop(Text, "Email body")
    hs_email_direction: Mapped[str | None] = prop(
        String(20), "Email direction", "enumeration", options=EMAIL_DIRECTIONS
    )
    hs_email_status: Mapped[str | None] = prop(String(20), "Email send status")
    hs_email_from_email: Mapped[str | None] = prop(String(320), "From email")
    hs_email_to_email: Mapped[str | None] = prop(Text, "To email")
    hs_timestamp: Mapped[datetime | None] = prop(UTCDateTime, "Activity date", "datetime")
    hubspot_owner_id: Mapped[int | None] = prop(ForeignKey("owners.id"), "Activity assigned to", fmt="owner")


class Pipeline(Base):
    """A deal pipeline (HubSpot's default is id ``default``, label "Sales Pipeline")."""

    __tablename__ = "pipelines"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    display_order: Mapped[int] = mapped_column(Integer, default=0)


class PipelineStage(Base):
    """A stage of a pipeline, with its win probability (0..1) and whether it closes the deal."""

    __tablename__ = "pipeline_stages"
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[Decimal] = mapped_column(Numeric(3, 2))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)


class DealStageChange(Base):
    """One move of a deal between stages: when, who, from and to."""

    __tablename__ = "deal_stage_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(200))


class Association(Base):
    """A link between two records, stored once in the canonical direction (see associations.py)."""

    __tablename__ = "associations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_type: Mapped[str] = mapped_column(String(20))
    from_id: Mapped[int] = mapped_column(Integer)
    to_type: Mapped[str] = mapped_column(String(20))
    to_id: Mapped[int] = mapped_column(Integer)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint("from_type", "from_id", "to_type", "to_id", name="uq_associations_pair"),
        Index("ix_associations_to", "to_type", "to_id"),
    )


class PropertyDefinition(Base):
    """A custom property of an object type: name, label, type and enumeration options."""

    __tablename__ = "property_definitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("object_type", "name", name="uq_property_definitions_name"),)


class SearchToken(Base):
    """A normalized (lower-case, accent-free) word of a record's searchable properties.

    Free-text ``query`` search matches query words as prefixes of these tokens.
    """

    __tablename__ = "search_tokens"
    # The key is the lookup order (migration 0005): a prefix search is a range scan of the key, which on
    # SQLite is the table itself (WITHOUT ROWID), so each token is stored in two b-trees, not three.
    object_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    __table_args__ = (
        Index("ix_search_tokens_record", "object_type", "record_id"),
        {"sqlite_with_rowid": False},
    )
