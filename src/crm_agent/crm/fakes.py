"""Realistic fake CRM data (Faker): HubSpot-format contact exports for tests and benchmarks.

:func:`write_contacts_csv` writes what HubSpot's "Export contacts" produces for a small sales
team: names from several locales (so accents), unique emails at company domains, phones typed
in the usual ways (some with extensions, some international, some blank), owners by full name
or by email, lifecycle stages and lead statuses by label, last-contacted times, and two custom
columns ("Preferred Language", an enumeration, and "Annual Budget", a number). The same seed
gives the same file.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faker import Faker

from crm_agent.crm.models import LEAD_STATUSES, LIFECYCLE_STAGES
from crm_agent.crm.values import fold

CONTACT_COLUMNS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Contact owner",
    "Lifecycle Stage",
    "Lead Status",
    "Company Name",
    "Job Title",
    "Last Contacted",
    "Create Date",
    "Preferred Language",
    "Annual Budget",
]
LOCALES = {"en_US": 6, "en_GB": 1, "de_DE": 1, "fr_FR": 1, "es_ES": 1}
LANGUAGES = ["English", "Spanish", "French", "German", "Portuguese", "Japanese"]


@dataclass(frozen=True)
class FakeOwner:
    """A CRM user who owns records."""

    email: str
    first_name: str
    last_name: str


OWNERS = [
    FakeOwner("raj.patel@example.com", "Raj", "Patel"),
    FakeOwner("nadia.novak@example.com", "Nadia", "Novák"),
    FakeOwner("greg.hall@example.com", "Greg", "Hall"),
    FakeOwner("sofia.garcia@example.com", "Sofía", "García"),
    FakeOwner("li.wei@example.com", "Li", "Wei"),
    FakeOwner("emma.brown@example.com", "Emma", "Brown"),
    FakeOwner("omar.haddad@example.com", "Omar", "Haddad"),
    FakeOwner("julia.schmidt@example.com", "Julia", "Schmidt"),
]


async def add_owners(crm, owners: list[FakeOwner] = OWNERS) -> None:  # type: ignore[no-untyped-def]
    """Create ``owners`` in ``crm`` (a :class:`~crm_agent.crm.service.LocalCrm`), skipping existing ones."""
    existing = {o.email for o in await crm.list_owners()}
    for owner in owners:
        if owner.email not in existing:
            await crm.create_owner(owner.email, owner.first_name, owner.last_name)


def _phone(rng: random.Random) -> str:
    area, exchange, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    style = rng.random()
    if style < 0.10:
        return ""
    if style < 0.35:
        return f"({area}) {exchange}-{line:04d}"
    if style < 0.55:
        return f"+1 {area}-{exchange}-{line:04d}"
    if style < 0.70:
        return f"{area}.{exchange}.{line:04d}"
    if style < 0.80:
        return f"{area}-{exchange}-{line:04d} x{rng.randint(10, 9999)}"
    if style < 0.90:
        return f"+1{area}{exchange}{line:04d}"
    return f"+44 20 {rng.randint(7000, 8999)} {line:04d}"


def _slug(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def contact_rows(count: int, seed: int = 7, owners: list[FakeOwner] = OWNERS) -> Iterator[list[str]]:
    """``count`` rows of a HubSpot contacts export (without the header), deterministic for ``seed``."""
    rng = random.Random(seed)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(seed * 31 + i)
    locales, weights = list(LOCALES), list(LOCALES.values())
    companies = [(fakers["en_US"].company(), fakers["en_US"].domain_name()) for _ in range(max(10, count // 8))]
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stages = [label for _, label in LIFECYCLE_STAGES]
    statuses = [label for _, label in LEAD_STATUSES]
    for n in range(count):
        fake = fakers[rng.choices(locales, weights)[0]]
        first, last = fake.first_name(), fake.last_name()
        company, domain = rng.choice(companies)
        local = f"{_slug(first)}.{_slug(last)}" if rng.random() < 0.7 else f"{_slug(first)[:1]}{_slug(last)}"
        if rng.random() < 0.15:
            domain = rng.choice(["gmail.com", "outlook.com", "yahoo.com"])
        email = f"{local}{n}@{domain}"
        owner = rng.choice(owners)
        owner_cell = rng.choice([f"{owner.first_name} {owner.last_name}", owner.email]) if rng.random() < 0.9 else ""
        created = now - timedelta(days=rng.randint(30, 900), minutes=rng.randint(0, 1440))
        contacted = created + timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 23))
        yield [
            str(1000 + n),
            first,
            last,
            email if rng.random() < 0.98 else email.upper(),
            _phone(rng),
            owner_cell,
            rng.choice(stages),
            rng.choice(statuses) if rng.random() < 0.8 else "",
            company,
            fake.job() if rng.random() < 0.8 else "",
            contacted.strftime("%Y-%m-%d %H:%M") if rng.random() < 0.75 else "",
            created.strftime("%Y-%m-%d %H:%M"),
            rng.choice(LANGUAGES) if rng.random() < 0.6 else "",
            f"{rng.randint(1, 500) * 1000:,}" if rng.random() < 0.4 else "",
        ]


def write_contacts_csv(path: str | Path, count: int = 1000, seed: int = 7, owners: list[FakeOwner] = OWNERS) -> Path:
    """Write a ``count``-row HubSpot contacts export to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTACT_COLUMNS)
        writer.writerows(contact_rows(count, seed, owners))
    return path


if __name__ == "__main__":  # uv run python -m crm_agent.crm.fakes contacts.csv [rows] [seed]
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "contacts.csv")
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    print(f"wrote {rows} contacts to {write_contacts_csv(target, rows, seed)}")
