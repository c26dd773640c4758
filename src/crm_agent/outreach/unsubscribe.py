"""Signed unsubscribe tokens: ``<address in base64url>.<HMAC-SHA256 in base64url>``.

The token names the address it unsubscribes and carries an HMAC of it under the signing key, so
following a link opts out exactly that address, and a forged or altered token (another address,
a changed signature, a truncated token) is refused. Tokens do not expire: an unsubscribe link
must keep working. The key is ``CRM_AGENT_SECRET_KEY`` (derived per purpose) or, when that is
unset, a random key generated once and kept in the database, so every replica agrees on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.config import Settings
from crm_agent.outreach.models import SigningKey

PURPOSE = "unsubscribe"


class BadToken(ValueError):
    """The token is malformed, or its signature does not match its address."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, address: str) -> bytes:
    return hmac.new(key, f"{PURPOSE}:{address}".encode(), hashlib.sha256).digest()


def make_token(key: bytes, address: str) -> str:
    """The unsubscribe token of ``address`` (lower-cased)."""
    address = address.strip().lower()
    return f"{_b64(address.encode())}.{_b64(_mac(key, address))}"


def read_token(key: bytes, token: str) -> str:
    """The address a genuine token names; raises BadToken otherwise."""
    try:
        payload, signature = token.strip().split(".")
        address = _unb64(payload).decode()
        given = _unb64(signature)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadToken("malformed unsubscribe link") from exc
    if not address or not hmac.compare_digest(given, _mac(key, address)):
        raise BadToken("this unsubscribe link is not genuine (its signature does not match)")
    return address


def unsubscribe_url(public_url: str, token: str) -> str:
    """The link put into emails."""
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


async def signing_key(sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> bytes:
    """The key for unsubscribe tokens (see the module docstring); created on first use."""
    if settings.secret_key is not None:
        return hmac.new(settings.secret_key.get_secret_value().encode(), PURPOSE.encode(), hashlib.sha256).digest()
    async with sessions() as session:
        value = await session.scalar(select(SigningKey.value).where(SigningKey.name == PURPOSE))
    if value is None:
        try:
            async with sessions.begin() as session:
                session.add(SigningKey(name=PURPOSE, value=secrets.token_urlsafe(32), created_at=now))
        except IntegrityError:
            pass  # another process created it first; use theirs
        async with sessions() as session:
            value = await session.scalar(select(SigningKey.value).where(SigningKey.name == PURPOSE))
    assert value is not None
    return value.encode()
