"""Recipients: resolving what the caller named (contact ids, addresses) and what is known about
each address (a contact who opted out, the suppression list, one of the team)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_agent.crm.models import Contact, Owner
from crm_agent.errors import FieldError, NotFound, ValidationFailed
from crm_agent.outreach import content
from crm_agent.outreach.compliance import RecipientFacts
from crm_agent.outreach.models import Suppression
from crm_agent.outreach.schemas import Recipient

ToInput = str | int | Recipient | dict[str, Any] | list[str | int | Recipient | dict[str, Any]]
_CONTACT_REF = re.compile(r"(?:contact[:#]?)?(\d+)", re.I)


async def resolve(s: AsyncSession, to: ToInput | None) -> list[dict[str, Any]]:
    """Recipients as ``{"email", "name", "contact_id"}``, de-duplicated by address. A contact id
    (``7``, ``"contact:7"``) must name an active contact with an email; an address is linked to
    the contact that has it. Raises ValidationFailed for a line break (header injection) or more
    than MAX_RECIPIENTS, NotFound for an unknown contact id."""
    items = to if isinstance(to, list) else ([] if to is None or to == "" else [to])
    if len(items) > content.MAX_RECIPIENTS:
        raise ValidationFailed([FieldError("to", len(items), f"at most {content.MAX_RECIPIENTS} recipients")])
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, address, contact = "", "", None
        if isinstance(item, dict):
            item = Recipient(**item)
        if isinstance(item, Recipient):
            name = content.single_line(item.name, "to", 200)
            address = content.split_address(item.email, "to")[1] if item.email else ""
            if not address and item.contact_id:
                item = item.contact_id
        if not isinstance(item, Recipient):
            ref = str(item).strip()
            match = _CONTACT_REF.fullmatch(ref)
            if match:
                contact = await s.get(Contact, int(match.group(1)))
                if contact is None or contact.archived:
                    raise NotFound("contact", match.group(1))
                if not contact.email:
                    raise ValidationFailed([FieldError("to", ref, f"contact {contact.id} has no email address")])
                address = contact.email
            else:
                name, address = content.split_address(ref, "to")
        if not address:
            continue
        if contact is None:
            contact = await s.scalar(select(Contact).where(Contact.email == address, Contact.archived.is_(False)))
        if contact is not None and not name:
            name = " ".join(p for p in (contact.firstname, contact.lastname) if p)
        out.setdefault(address, {"email": address, "name": name, "contact_id": str(contact.id) if contact else None})
    return list(out.values())


async def owners(s: AsyncSession, emails: list[str]) -> set[str]:
    """Which of ``emails`` belong to active owners (the team, exempt from per-recipient quotas)."""
    if not emails:
        return set()
    return set(await s.scalars(select(Owner.email).where(Owner.email.in_(emails), Owner.archived.is_(False))))


async def facts(s: AsyncSession, emails: list[str]) -> list[RecipientFacts]:
    """Opt-out, suppression and team membership of each address, for validation."""
    if not emails:
        return []
    opted = set(
        await s.scalars(
            select(Contact.email).where(
                Contact.email.in_(emails), Contact.hs_email_optout.is_(True), Contact.archived.is_(False)
            )
        )
    )
    suppressed = set(await s.scalars(select(Suppression.email).where(Suppression.email.in_(emails))))
    team = await owners(s, emails)
    return [RecipientFacts(e, opted_out=e in opted, suppressed=e in suppressed, internal=e in team) for e in emails]
