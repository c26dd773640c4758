"""Users, API keys and web sessions over the database.

``Principal`` is who is making a request, however they signed in. :class:`AuthService` creates
users (printing nothing: the CLI shows the key once), checks API keys, passwords and session
cookies, and keeps sessions in the database so any API replica can serve any browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_agent.auth import secrets as sec
from crm_agent.auth.models import ApiKey, User, WebSession
from crm_agent.config import Settings
from crm_agent.crm.values import normalize_email
from crm_agent.errors import Conflict, FieldError, NotFound, ValidationFailed

Role = Literal["admin", "member"]
ROLES: tuple[str, ...] = ("admin", "member")
SESSION_LIFETIME = timedelta(days=7)
KEY_TOUCH_INTERVAL = timedelta(minutes=5)  # last_used_at is written at most this often per key


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request. ``via`` is ``key`` (API key) or ``session`` (browser)."""

    user_id: int
    email: str
    name: str
    role: str
    via: Literal["key", "session"]
    csrf_token: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class UserRead(BaseModel):
    """A user as the API shows it (never with a secret)."""

    id: str
    email: str
    name: str
    role: Role
    disabled: bool
    createdAt: datetime


class NewUser(BaseModel):
    """A created user and the API key to show once."""

    user: UserRead
    apiKey: str


def _read(user: User) -> UserRead:
    return UserRead(
        id=str(user.id),
        email=user.email,
        name=user.name,
        role=user.role,  # type: ignore[arg-type]
        disabled=user.disabled,
        createdAt=user.created_at,
    )


def _principal(user: User, via: Literal["key", "session"], csrf: str | None = None) -> Principal:
    return Principal(user.id, user.email, user.name, user.role, via, csrf)


class AuthService:
    """Users, keys and sessions. Every method opens its own session and transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings):
        self.sessions = sessions
        self.settings = settings

    def now(self) -> datetime:
        """The current time from the settable clock (aware UTC)."""
        return self.settings.current_time()

    # users -------------------------------------------------------------------------------
    async def count_users(self) -> int:
        """How many users exist (disabled ones included)."""
        async with self.sessions() as session:
            return await session.scalar(select(func.count()).select_from(User)) or 0

    async def list_users(self) -> list[UserRead]:
        """Every user, oldest first."""
        async with self.sessions() as session:
            return [_read(u) for u in await session.scalars(select(User).order_by(User.id))]

    async def get_user(self, user_id: int | str) -> UserRead:
        """One user; raises NotFound."""
        async with self.sessions() as session:
            user = await session.get(User, _int(user_id))
            if user is None:
                raise NotFound("user", user_id)
            return _read(user)

    async def create_user(self, email: str, role: str, name: str = "", password: str | None = None) -> NewUser:
        """Add a user with a first API key. Raises ValidationFailed or Conflict (email taken)."""
        errors = []
        try:
            address = normalize_email(email)
        except ValueError as exc:
            errors.append(FieldError("email", email, str(exc)))
        if role not in ROLES:
            errors.append(FieldError("role", role, "use admin or member"))
        if password is not None and len(password) < 8:
            errors.append(FieldError("password", "***", "use at least 8 characters"))
        if errors:
            raise ValidationFailed(errors)
        now = self.now()
        async with self.sessions.begin() as session:
            if await session.scalar(select(User.id).where(User.email == address)) is not None:
                raise Conflict(f"a user with email {address} already exists")
            user = User(
                email=address,
                name=name.strip(),
                role=role,
                password_hash=sec.hash_password(password) if password else None,
                disabled=False,
                created_at=now,
            )
            session.add(user)
            await session.flush()
            key = await self._add_key(session, user.id, now)
            return NewUser(user=_read(user), apiKey=key)

    async def new_api_key(self, user_id: int | str) -> str:
        """Issue another API key for a user (shown once). Raises NotFound."""
        async with self.sessions.begin() as session:
            if await session.get(User, _int(user_id)) is None:
                raise NotFound("user", user_id)
            return await self._add_key(session, _int(user_id), self.now())

    async def set_password(self, user_id: int | str, password: str) -> None:
        """Set a user's web password (at least 8 characters)."""
        if len(password) < 8:
            raise ValidationFailed([FieldError("password", "***", "use at least 8 characters")])
        async with self.sessions.begin() as session:
            user = await session.get(User, _int(user_id))
            if user is None:
                raise NotFound("user", user_id)
            user.password_hash = sec.hash_password(password)

    async def _add_key(self, session: AsyncSession, user_id: int, now: datetime) -> str:
        key = sec.new_api_key()
        session.add(ApiKey(user_id=user_id, prefix=key[:12], key_hash=sec.digest(key), created_at=now, revoked=False))
        await session.flush()
        return key

    # authentication ------------------------------------------------------------------------
    async def authenticate_key(self, key: str) -> Principal | None:
        """The user an API key belongs to, or None (unknown, revoked or disabled)."""
        now = self.now()
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(ApiKey, User)
                    .join(User, User.id == ApiKey.user_id)
                    .where(ApiKey.key_hash == sec.digest(key), ApiKey.revoked.is_(False), User.disabled.is_(False))
                )
            ).first()
            if row is None:
                return None
            api_key, user = row
            if api_key.last_used_at is None or now - api_key.last_used_at > KEY_TOUCH_INTERVAL:
                await session.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))
                await session.commit()
            return _principal(user, "key")

    async def authenticate_password(self, email: str, secret: str) -> Principal | None:
        """The user whose email and password (or, when no password is set, API key) match."""
        try:
            address = normalize_email(email)
        except ValueError:
            return None
        async with self.sessions() as session:
            user = await session.scalar(select(User).where(User.email == address, User.disabled.is_(False)))
            if user is None:
                sec.check_password(secret, sec.hash_password("timing-equalizer"))
                return None
            if user.password_hash and sec.check_password(secret, user.password_hash):
                return _principal(user, "session")
            key = await session.scalar(
                select(ApiKey).where(
                    ApiKey.user_id == user.id, ApiKey.key_hash == sec.digest(secret), ApiKey.revoked.is_(False)
                )
            )
            return _principal(user, "session") if key is not None else None

    # sessions ------------------------------------------------------------------------------
    async def create_session(self, user_id: int) -> tuple[str, str]:
        """A new browser session: (cookie token, CSRF token)."""
        token, csrf, now = sec.new_token(), sec.new_token(), self.now()
        async with self.sessions.begin() as session:
            await session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(
                WebSession(
                    token_hash=sec.digest(token),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
        return token, csrf

    async def authenticate_session(self, token: str) -> Principal | None:
        """The user of a live session cookie, with the session's CSRF token."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(WebSession, User)
                    .join(User, User.id == WebSession.user_id)
                    .where(WebSession.token_hash == sec.digest(token), User.disabled.is_(False))
                )
            ).first()
            if row is None or row[0].expires_at <= self.now():
                return None
            return _principal(row[1], "session", row[0].csrf_token)

    async def end_session(self, token: str) -> None:
        """Sign a browser out (forget its session)."""
        async with self.sessions.begin() as session:
            await session.execute(delete(WebSession).where(WebSession.token_hash == sec.digest(token)))


def _int(value: int | str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound("user", value, "user ids are numbers") from None
