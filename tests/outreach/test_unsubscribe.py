"""Signed unsubscribe links: following one opts the contact out at once; forged or altered
tokens are refused; bad input never reaches the outbox."""

from __future__ import annotations

import pytest
from outreach_helpers import LONG_ENOUGH, add_contact

from crm_agent.errors import ValidationFailed
from crm_agent.outreach.service import OutreachService
from crm_agent.outreach.unsubscribe import BadToken, make_token, read_token


def test_tokens_round_trip_and_refuse_tampering() -> None:
    key = b"k" * 32
    token = make_token(key, "Ann@Acme.com")
    assert read_token(key, token) == "ann@acme.com"
    payload, signature = token.split(".")
    forged_payload = make_token(b"other-key", "bob@acme.com").split(".")[0]
    for bad in (
        f"{forged_payload}.{signature}",  # another address with Ann's signature
        make_token(b"other-key", "ann@acme.com"),  # signed with another key
        f"{payload}.{signature[:-2]}",  # truncated signature
        f"{payload}.{'A' * len(signature)}",
        payload,
        "",
        "!!!.???",
    ):
        with pytest.raises(BadToken):
            read_token(key, bad)


async def test_following_the_link_opts_the_contact_out_at_once(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    first = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="marketing", send_now=True)
    queued = await outreach.create_draft(ann, "Another one", LONG_ENOUGH, category="marketing")
    await outreach.approve(queued.id, send=False)
    link = first.body.strip().splitlines()[-1]
    token = link.rsplit("/", 1)[1]

    result = await outreach.unsubscribe(token)
    assert (result.email, result.contact_id, result.already) == ("ann@acme.com", ann, False)
    contact = await outreach.crm.get("contacts", ann)
    assert contact.properties["hs_email_optout"] == "true"
    quota = await outreach.quota("ann@acme.com")
    assert quota.opted_out and quota.suppressed

    # the approved draft is stopped at send time; following the link again changes nothing
    stopped = await outreach.send(queued.id)
    assert stopped.status == "failed" and "opted out of email: ann@acme.com" in stopped.failure_reason
    assert len(outreach.outbox()) == 1
    assert (await outreach.unsubscribe(token)).already


async def test_an_altered_token_is_refused_and_changes_nothing(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    await add_contact(outreach.crm, "bob@acme.com", "Bob", "Stone")
    draft = await outreach.create_draft(ann, "Pilot recap", LONG_ENOUGH, category="sales")
    token = draft.body.strip().splitlines()[-1].rsplit("/", 1)[1]
    bob_payload = make_token(b"guess", "bob@acme.com").split(".")[0]
    with pytest.raises(ValidationFailed, match="not genuine"):
        await outreach.unsubscribe(f"{bob_payload}.{token.split('.')[1]}")
    with pytest.raises(ValidationFailed, match="malformed"):
        await outreach.unsubscribe("garbage")
    for email in ("ann@acme.com", "bob@acme.com"):
        quota = await outreach.quota(email)
        assert not quota.opted_out and not quota.suppressed


async def test_unsubscribing_an_address_that_is_no_contact_suppresses_it(outreach: OutreachService) -> None:
    draft = await outreach.create_draft("lead@example.com", "Pilot recap", LONG_ENOUGH, category="marketing")
    token = draft.body.strip().splitlines()[-1].rsplit("/", 1)[1]
    result = await outreach.unsubscribe(token)
    assert result.contact_id is None and not result.already
    again = await outreach.create_draft("lead@example.com", "Pilot recap", LONG_ENOUGH, category="marketing")
    assert again.blocked == ["suppression: on the suppression list: lead@example.com"]


async def test_the_signing_key_is_shared_through_the_database(outreach: OutreachService) -> None:
    from crm_agent.crm.service import LocalCrm

    other = OutreachService(LocalCrm(outreach.sessions, outreach.settings))
    draft = await outreach.create_draft("lead@example.com", "Pilot recap", LONG_ENOUGH, category="marketing")
    token = draft.body.strip().splitlines()[-1].rsplit("/", 1)[1]
    assert (await other.unsubscribe(token)).email == "lead@example.com"


@pytest.mark.parametrize(
    ("to", "subject", "body", "message"),
    [
        ("ann@acme.com", "Hi\r\nBcc: all@example.com", LONG_ENOUGH, "subject: must be one line"),
        ("ann@acme.com\nBcc: all@example.com", "Hi", LONG_ENOUGH, "to: must be one line"),
        ("ann@acme.com", "Hi", "x" * 100_001, "body: is too large"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored_or_sent(
    outreach: OutreachService, to: str, subject: str, body: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await outreach.create_draft(to, subject, body, send_now=True)
    assert await outreach.list() == [] and outreach.outbox() == []


async def test_html_with_scripts_is_sent_as_clean_text(outreach: OutreachService) -> None:
    html = f"<p>{LONG_ENOUGH}</p><script>document.location='https://evil.example'</script>"
    draft = await outreach.create_draft("ann@acme.com", "Recap", html, send_now=True)
    assert draft.status == "sent" and draft.body == LONG_ENOUGH + "\n"
    (message,) = outreach.outbox()
    raw = message.path.read_text()
    assert "script" not in raw and "evil" not in raw and "Content-Type: text/plain" in raw
