"""Sending through a real SMTP server (aiosmtpd, started by the test): STARTTLS with a login,
implicit TLS, plain SMTP, a refused login, an untrusted certificate, the server down and back,
and ``test_connection``."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable

import pytest
from outreach_helpers import LONG_ENOUGH, SmtpServer, add_contact

from crm_agent.config import Settings
from crm_agent.crm.service import LocalCrm
from crm_agent.outreach.service import OutreachService

Factory = Callable[..., SmtpServer]


async def service_for(settings: Settings) -> OutreachService:
    return OutreachService(await LocalCrm.connect(settings))


async def quota_used(outreach: OutreachService, address: str) -> int:
    return (await outreach.quota(address)).recipient_used


async def test_starttls_with_login_delivers_the_message(settings: Settings, smtp_factory: Factory) -> None:
    server = smtp_factory("starttls")
    outreach = await service_for(server.settings_for(settings))
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="sales")
    sent = await outreach.approve(draft.id, actor="olivia")
    assert sent.status == "sent", sent.failure_reason
    assert sent.transport == "smtp"
    (envelope,) = server.messages
    assert envelope.mail_from == "crm-agent@localhost"
    assert envelope.rcpt_tos == ["ann@acme.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Message-ID"] == sent.message_id
    assert message["Subject"] == "Pilot recap"
    assert message["List-Unsubscribe"].startswith("<http://localhost:8000/unsubscribe/")
    assert LONG_ENOUGH.split(".")[0] in message.get_content()
    assert sent.engagement_id is not None
    assert outreach.outbox() == []  # SMTP configured: nothing goes to the local outbox


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_implicit_tls_with_login(settings: Settings, smtp_factory: Factory) -> None:
    server = smtp_factory("tls")
    outreach = await service_for(server.settings_for(settings))
    check = await outreach.test_connection()
    assert check.ok and check.transport == "smtp", check.detail
    assert check.detail == f"connected to SMTP server 127.0.0.1:{server.port} (tls) with TLSv1.3, logged in as mailer"
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, send_now=True)
    assert draft.status == "sent", draft.failure_reason
    assert [m.rcpt_tos for m in server.messages] == [["boss@example.com"]]


async def test_plain_smtp_without_login(settings: Settings, smtp_factory: Factory) -> None:
    server = smtp_factory("plain")
    outreach = await service_for(server.settings_for(settings))
    draft = await outreach.create_draft(["a@example.com", "b@example.com"], "Pilot recap", LONG_ENOUGH, send_now=True)
    assert draft.status == "sent", draft.failure_reason
    assert server.messages[0].rcpt_tos == ["a@example.com", "b@example.com"]


async def test_a_refused_login_fails_the_draft_retryably_and_gives_the_quota_back(
    settings: Settings, smtp_factory: Factory
) -> None:
    server = smtp_factory("starttls")
    outreach = await service_for(server.settings_for(settings, smtp_password="wrong"))
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, send_now=True)
    assert draft.status == "failed" and draft.retryable
    assert draft.failure_reason.startswith(f"SMTP login as mailer refused by 127.0.0.1:{server.port} (starttls): 535")
    assert server.messages == []
    assert await quota_used(outreach, "boss@example.com") == 0
    check = await outreach.test_connection()
    assert not check.ok and "login as mailer refused" in check.detail

    fixed = await service_for(server.settings_for(settings))
    retried = await fixed.send(draft.id)
    assert retried.status == "sent" and retried.attempts == 2
    assert len(server.messages) == 1


async def test_an_untrusted_certificate_is_refused(settings: Settings, smtp_factory: Factory) -> None:
    server = smtp_factory("starttls")
    outreach = await service_for(server.settings_for(settings, smtp_ca_file=None))
    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, send_now=True)
    assert draft.status == "failed" and draft.retryable
    assert "TLS" in draft.failure_reason and "certificate verify failed" in draft.failure_reason
    assert server.messages == []


async def test_server_down_then_back_up(settings: Settings, smtp_factory: Factory) -> None:
    server = smtp_factory("starttls", start=False)
    outreach = await service_for(server.settings_for(settings))
    check = await outreach.test_connection()
    assert not check.ok and check.detail.startswith(f"could not connect to SMTP server 127.0.0.1:{server.port}")

    draft = await outreach.create_draft("boss@example.com", "Pilot recap", LONG_ENOUGH, send_now=True)
    assert draft.status == "failed" and draft.retryable
    assert draft.failure_reason.startswith(f"could not connect to SMTP server 127.0.0.1:{server.port} (starttls)")
    assert await quota_used(outreach, "boss@example.com") == 0

    server.start()
    retried = await outreach.send(draft.id)
    assert retried.status == "sent", retried.failure_reason
    assert retried.failure_reason is None and retried.attempts == 2
    assert len(server.messages) == 1
    assert await quota_used(outreach, "boss@example.com") == 1


async def test_the_outbox_check_when_no_smtp_is_configured(outreach: OutreachService) -> None:
    check = await outreach.test_connection()
    assert check.ok and check.transport == "outbox"
    assert "no SMTP server configured" in check.detail
