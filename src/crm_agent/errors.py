"""Exception hierarchy of crm-agent.

::

    CrmAgentError                 base of every error the product raises on purpose
    ├── ValidationFailed          bad input; .errors lists (field, value, message) per problem
    ├── NotFound                  a record, owner, pipeline, stage or run that does not exist
    ├── Conflict                  a unique value already taken (e.g. a contact's email)
    ├── PolicyDenied              policy forbids what was asked
    └── UndoRefused               undo would overwrite a later change

Each carries a message that names the field or record and says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class CrmAgentError(Exception):
    """Base class of all deliberate crm-agent errors."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field: which field, the bad value and what is accepted."""

    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationFailed(CrmAgentError):
    """Input failed validation; nothing was written.

    ``errors`` is a list of :class:`FieldError`, one per bad field.
    """

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class NotFound(CrmAgentError):
    """A referenced object does not exist (or is archived where that matters)."""

    def __init__(self, what: str, ref: Any, hint: str = ""):
        self.what = what
        self.ref = ref
        super().__init__(f"{what} {ref!s} not found" + (f"; {hint}" if hint else ""))


class Conflict(CrmAgentError):
    """A unique value is already taken by ``existing_id``."""

    def __init__(self, message: str, existing_id: str | None = None):
        self.existing_id = existing_id
        super().__init__(message)


class PolicyDenied(CrmAgentError):
    """Policy forbids the requested action."""


class UndoRefused(CrmAgentError):
    """Undo would overwrite a change made after the run being undone."""
