"""Transports: where a finished message goes. The local Maildir outbox (the default) and SMTP.

A transport answers three questions:

* ``deliver(message, on_handoff)``: send it. SMTP calls ``on_handoff`` just before the DATA
  command, the last moment at which "not sent" is still certain. Raises :class:`TransportError`
  saying whether a retry may send it and whether the server may have it anyway.
* ``find(message_id)``: the transport's own log. ``True``/``False`` when it knows (the outbox
  does: a message is a file named after its Message-ID), ``None`` when it cannot (SMTP servers
  keep no log a client can query).
* ``check()``: whether it works, in words (``crm-agent email test``).

See docs/email.md for how the service turns these into exactly-once sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib

from crm_agent.config import Settings

Handoff = Callable[[], Awaitable[None]]


class TransportError(Exception):
    """A send that did not complete. ``retryable``: sending again is safe and may work (nothing
    was delivered). ``maybe_sent``: the server may have accepted the message (connection lost
    after the message was handed over), so it must not be sent again automatically."""

    def __init__(self, reason: str, *, retryable: bool, maybe_sent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class OutboxMessage:
    """One message in the local outbox."""

    message_id: str
    date: datetime | None
    sender: str
    to: list[str]
    subject: str
    path: Path


class Transport(Protocol):
    """What the outreach service needs from a way of sending email."""

    name: str

    async def deliver(self, message: EmailMessage, on_handoff: Handoff) -> str:
        """Send ``message``; returns a line describing the outcome."""
        ...

    async def find(self, message_id: str) -> bool | None:
        """Whether ``message_id`` was delivered, as far as the transport's own log knows."""
        ...

    async def check(self) -> str:
        """Raise TransportError saying what is wrong, or describe the working transport."""
        ...


def _file_name(message_id: str) -> str:
    """The outbox file name of a Message-ID (its left-hand side, made file-name safe)."""
    local = message_id.strip().strip("<>").split("@", 1)[0]
    return re.sub(r"[^A-Za-z0-9._-]", "_", local)[:200] or "message"


class MaildirOutbox:
    """A Maildir (``tmp/``, ``new/``, ``cur/``) in the data directory that stands in for an SMTP
    server: each delivered message is one file in ``new/`` named after its Message-ID. A file is
    written to ``tmp/`` and hard-linked into ``new/``, which fails if the name exists, so a message
    can appear at most once and never half-written; its presence is the transport's log."""

    name = "outbox"

    def __init__(self, root: Path):
        self.root = root

    def _ensure(self) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def _existing(self, message_id: str) -> Path | None:
        name = _file_name(message_id)
        new = self.root / "new" / name
        if new.exists():
            return new
        cur = self.root / "cur"
        if cur.is_dir():
            for path in cur.glob(name + ":*"):
                return path
            if (cur / name).exists():
                return cur / name
        return None

    async def deliver(self, message: EmailMessage, on_handoff: Handoff) -> str:
        message_id = message["Message-ID"]
        return await asyncio.to_thread(self._write, message_id, message.as_bytes(policy=email.policy.SMTP))

    def _write(self, message_id: str, data: bytes) -> str:
        self._ensure()
        name = _file_name(message_id)
        target = self.root / "new" / name
        if self._existing(message_id):
            return f"already in the outbox as {target.name}; not written again"
        tmp = self.root / "tmp" / f"{name}.{os.getpid()}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, target)
            except FileExistsError:
                return f"already in the outbox as {target.name}; not written again"
            with contextlib.suppress(OSError):
                dir_fd = os.open(self.root / "new", os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise TransportError(f"could not write to the outbox {self.root}: {exc}", retryable=True) from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return f"written to the outbox: {target}"

    async def find(self, message_id: str) -> bool | None:
        return self._existing(message_id) is not None

    async def check(self) -> str:
        try:
            self._ensure()
            probe = self.root / "tmp" / f".probe.{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise TransportError(f"the outbox {self.root} is not writable: {exc}", retryable=True) from exc
        return f"no SMTP server configured; emails go to the local outbox {self.root}"

    def list(self) -> list[OutboxMessage]:
        """Messages in the outbox, newest first."""
        out = []
        for folder in ("new", "cur"):
            directory = self.root / folder
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                with open(path, "rb") as fh:
                    msg = email.message_from_binary_file(fh, policy=email.policy.default)
                try:
                    date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
                except (TypeError, ValueError):
                    date = None
                out.append(
                    OutboxMessage(
                        message_id=str(msg["Message-ID"] or ""),
                        date=date,
                        sender=str(msg["From"] or ""),
                        to=[a for _, a in getaddresses([str(msg["To"] or "")])],
                        subject=str(msg["Subject"] or ""),
                        path=path,
                    )
                )
        return sorted(out, key=lambda m: m.date or datetime.min.replace(tzinfo=UTC), reverse=True)


class SmtpTransport:
    """SMTP through aiosmtplib: STARTTLS (default, port 587), implicit TLS (port 465) or none
    (port 25), with an optional login. Certificates are verified against the system's CAs or
    ``smtp_ca_file``."""

    name = "smtp"

    def __init__(self, settings: Settings):
        self.host = settings.smtp_host or "localhost"
        self.security = settings.smtp_security
        self.port = settings.smtp_port or {"starttls": 587, "tls": 465, "none": 25}[self.security]
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        self.timeout = settings.smtp_timeout
        self.ca_file = settings.smtp_ca_file

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"

    def _client(self) -> aiosmtplib.SMTP:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=context if self.security != "none" else None,
            timeout=self.timeout,
        )

    async def _open(self) -> aiosmtplib.SMTP:
        """Connect (with TLS as configured) and log in; every failure is certainly "not sent"."""
        client = self._client()
        try:
            await client.connect()
        except aiosmtplib.SMTPConnectError as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc).lower():
                raise TransportError(f"TLS with {self.where} failed: {cause}", retryable=True) from exc
            raise TransportError(f"could not connect to SMTP server {self.where}: {cause}", retryable=True) from exc
        except ssl.SSLError as exc:
            raise TransportError(f"TLS with {self.where} failed: {exc}", retryable=True) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransportError(f"could not connect to SMTP server {self.where}: {exc}", retryable=True) from exc
        if self.username:
            try:
                await client.login(self.username, self.password or "")
            except aiosmtplib.SMTPAuthenticationError as exc:
                client.close()
                raise TransportError(
                    f"SMTP login as {self.username} refused by {self.where}: {exc.code} {exc.message}", retryable=True
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()
                raise TransportError(f"SMTP login at {self.where} failed: {exc}", retryable=True) from exc
        return client

    async def deliver(self, message: EmailMessage, on_handoff: Handoff) -> str:
        sender = email.utils.parseaddr(str(message["From"]))[1]
        recipients = [a for _, a in getaddresses([str(message["To"] or "")])]
        client = await self._open()
        try:
            try:
                await client.mail(sender)
                refused: dict[str, str] = {}
                for rcpt in recipients:
                    try:
                        await client.rcpt(rcpt)
                    except aiosmtplib.SMTPRecipientRefused as exc:
                        refused[rcpt] = f"{exc.code} {exc.message}"
            except aiosmtplib.SMTPResponseException as exc:
                raise TransportError(
                    f"{self.where} refused the sender {sender}: {exc.code} {exc.message}", retryable=exc.code < 500
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise TransportError(f"SMTP session with {self.where} broke off: {exc}", retryable=True) from exc
            if len(refused) == len(recipients):
                detail = "; ".join(f"{r}: {why}" for r, why in refused.items())
                raise TransportError(f"{self.where} refused every recipient ({detail})", retryable=False)
            await on_handoff()
            try:
                response = await client.data(message.as_bytes(policy=email.policy.SMTP))
            except aiosmtplib.SMTPResponseException as exc:
                raise TransportError(
                    f"{self.where} refused the message: {exc.code} {exc.message}", retryable=exc.code < 500
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise TransportError(
                    f"the connection to {self.where} was lost while the message was being handed over ({exc}); "
                    "the server may have accepted it",
                    retryable=False,
                    maybe_sent=True,
                ) from exc
            note = f"; refused: {', '.join(refused)}" if refused else ""
            return f"accepted by {self.where}: {response.code} {response.message}{note}"
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()

    async def find(self, message_id: str) -> bool | None:
        return None

    async def check(self) -> str:
        client = await self._open()
        try:
            await client.noop()
            ssl_object = client.transport.get_extra_info("ssl_object") if client.transport else None
            tls = f"{ssl_object.version()}" if ssl_object else "no TLS"
            login = f", logged in as {self.username}" if self.username else ", no login configured"
            return f"connected to SMTP server {self.where} with {tls}{login}"
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()


def transport_for(settings: Settings) -> MaildirOutbox | SmtpTransport:
    """SMTP when ``smtp_host`` is configured, otherwise the outbox in the data directory."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return MaildirOutbox(outbox_dir(settings))


def outbox_dir(settings: Settings) -> Path:
    """Where the local outbox lives."""
    return Path(settings.data_dir) / "outbox"
