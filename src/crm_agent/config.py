"""Settings: the only module that reads the environment.

Every setting has an environment variable prefixed ``CRM_AGENT_`` and may also come from a
``.env`` file in the working directory. The README's configuration table lists them all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PROHIBITED_TERMS = (
    "guaranteed results",
    "risk-free",
    "act now",
    "100% free",
    "no strings attached",
    "winner",
    "cash bonus",
    "double your",
    "miracle",
)


class Settings(BaseSettings):
    """Runtime configuration of crm-agent.

    ``now`` is the settable clock: when set (an ISO 8601 timestamp, e.g.
    ``2026-11-20T09:00:00Z``) every "today"/"now" in the product reads it, so tests and
    evals are reproducible. Naive timestamps are taken to be in ``timezone``.
    """

    model_config = SettingsConfigDict(env_prefix="CRM_AGENT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("crm-agent", appauthor=False)),
        description="Directory for the SQLite database, the outbox and other local files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///DATA_DIR/crm.db. "
        "PostgreSQL: postgresql+asyncpg://user@host/db (postgresql:// is accepted too).",
    )
    timezone: str = Field(default="UTC", description="IANA time zone for dates typed by users.")
    default_currency: str = Field(default="USD", description="ISO 4217 code for amounts with no currency.")
    now: datetime | None = Field(default=None, description="Fixed clock (ISO timestamp) for reproducible runs.")
    model: str = Field(default="rules", description="'rules' (offline planner) or a pydantic-ai model string.")
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: str | None = Field(default=None, description="API key for the LLM provider.")
    llm_timeout: float = Field(default=30.0, description="Seconds before an LLM request is abandoned.")
    mode: str = Field(default="auto", description="Default run mode: auto, review or dry-run.")
    business_profile: str | None = Field(default=None, description="Text about the business for the LLM prompt.")
    actor: str = Field(default="cli", description="Name recorded as the actor of CLI runs and writes.")

    # outbound email (crm_agent.outreach; docs/email.md) ---------------------------------------
    email_from: str = Field(default="crm-agent@localhost", description="Sender address of outbound email.")
    email_from_name: str = Field(default="crm-agent", description="Display name of the sender.")
    email_notify_to: str | None = Field(
        default=None, description="Where notifications and summaries go when no recipient is named."
    )
    email_quota_sender_per_day: int = Field(default=20, ge=0, description="Emails one sender may send per day.")
    email_quota_contact_per_week: int = Field(
        default=2, ge=0, description="Emails one recipient may receive in any 7 days (owners are exempt)."
    )
    email_prohibited_terms: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PROHIBITED_TERMS),
        description="Words and phrases that block a draft (JSON list in the environment).",
    )
    public_url: str = Field(
        default="http://localhost:8000", description="Base URL of the web app, used in unsubscribe links."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Key that signs unsubscribe links; default: a random key kept in the database."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: emails go to DATA_DIR/outbox.")
    smtp_port: int | None = Field(default=None, description="SMTP port; default 587 (starttls), 465 (tls), 25.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls, tls (implicit TLS) or none."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login name (no login when unset).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout: float = Field(default=30.0, description="Seconds before an SMTP operation is abandoned.")
    smtp_ca_file: Path | None = Field(
        default=None, description="PEM file of CA certificates to trust for SMTP TLS (default: the system's)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from exc
        return value

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        if value not in {"auto", "review", "dry-run"}:
            raise ValueError(f"unknown mode {value!r}; use auto, review or dry-run")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        """The database URL with the default SQLite file and async drivers filled in."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'crm.db'}"
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if url.startswith(plain):
                url = driver + url[len(plain) :]
        return url

    def current_time(self) -> datetime:
        """Now as a timezone-aware UTC datetime, honouring the fixed clock ``now``."""
        if self.now is None:
            return datetime.now(UTC)
        fixed = self.now if self.now.tzinfo else self.now.replace(tzinfo=self.tz)
        return fixed.astimezone(UTC)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and ``.env``."""
    return Settings()
