"""Helpers for the outreach tests: contacts, a body long enough to send, and a real SMTP server.

``SmtpServer`` runs aiosmtpd on a free local port in a thread, in one of three modes: plain,
STARTTLS (required) or implicit TLS, with a required login in the TLS modes, using a self-signed
certificate generated for the test with ``cryptography``. Accepted messages are kept in ``.messages``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm

SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-pass"


async def add_contact(crm: LocalCrm, email: str, first: str = "Ann", last: str = "Lee", **extra: Any) -> str:
    """Create a contact and return its id."""
    return (await crm.create("contacts", {"email": email, "firstname": first, "lastname": last, **extra})).id


LONG_ENOUGH = (
    "Thanks for your time on the call today. As promised, here is a short recap of what we discussed "
    "and the next steps for the pilot."
)


# ------------------------------------------------------------------------------------------ SMTP
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` and 127.0.0.1 (PEM files: cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    """A running aiosmtpd server and how to reach it."""

    mode: str
    port: int
    cert: Path | None
    recorder: _Recorder = field(default_factory=_Recorder)
    controller: Controller | None = None

    @property
    def messages(self) -> list[Any]:
        return self.recorder.messages

    def settings_for(self, base: Settings, **overrides: Any) -> Settings:
        """``base`` pointed at this server (trusting its certificate, logging in)."""
        values = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": {"plain": "none", "starttls": "starttls", "tls": "tls"}[self.mode],
            "smtp_ca_file": self.cert,
            "smtp_username": SMTP_USER if self.mode != "plain" else None,
            "smtp_password": SMTP_PASSWORD if self.mode != "plain" else None,
            "smtp_timeout": 5,
        }
        return Settings(_env_file=None, **{**base.model_dump(), **values, **overrides})

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.mode in ("starttls", "tls"):
            assert self.cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.cert.with_name("smtp-key.pem"))
            if self.mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                # aiosmtpd does not notice that an implicit-TLS socket is encrypted, so it would
                # refuse AUTH as "not over TLS"; the connection is TLS from its first byte.
                kwargs.update(ssl_context=context, auth_require_tls=False)
            kwargs.update(authenticator=_authenticator, auth_required=True)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
