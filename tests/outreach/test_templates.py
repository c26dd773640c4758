"""Templates render from CRM data, can be overridden from the data directory, and fail clearly;
summaries of searches and of today's deals fit in one email."""

from __future__ import annotations

from pathlib import Path

import pytest
from outreach_helpers import add_contact

from crm_agent.crm.schemas import Filter, FilterGroup, SearchRequest
from crm_agent.errors import NotFound, ValidationFailed
from crm_agent.outreach.service import OutreachService
from crm_agent.outreach.templates import override_dir

BUILT_IN = {
    "contact_created",
    "deal_created",
    "deal_stage_changed",
    "daily_summary",
    "deals_created_today",
    "follow_up",
    "meeting_request",
    "search_summary",
}


async def test_the_catalogue(outreach: OutreachService) -> None:
    templates = {t.name: t for t in outreach.template_list()}
    assert set(templates) == BUILT_IN
    assert templates["follow_up"].category == "sales" and templates["follow_up"].needs == ["contact"]
    assert templates["contact_created"].category == "notification"
    assert all(t.source == "built-in" and t.description for t in templates.values())


async def test_contact_created(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com", company="Acme", phone="+1 415 555 0100")
    draft = await outreach.draft_from_template("contact_created", contact_id=ann, to="team@ourco.com")
    assert draft.subject == "New contact: Ann Lee" and draft.template == "contact_created"
    assert draft.category == "notification" and draft.blocked == []
    for line in ("Name:     Ann Lee", "Email:    ann@acme.com", "Company:  Acme", "Added:    2026-11-20 09:00 UTC"):
        assert line in draft.body


async def test_deal_created_and_stage_changed(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    deal = await outreach.crm.create(
        "deals",
        {"dealname": "Acme pilot", "amount": "12500", "dealstage": "qualifiedtobuy"},
        [{"to": {"id": ann}, "objectType": "contacts"}],
    )
    created = await outreach.draft_from_template("deal_created", deal_id=deal.id, to="team@ourco.com")
    assert created.subject == "New deal: Acme pilot (12,500.00 USD)"
    assert "Stage:     Qualified To Buy" in created.body and "Contacts:  Ann Lee" in created.body
    await outreach.crm.update("deals", deal.id, {"dealstage": "contractsent"})
    moved = await outreach.draft_from_template("deal_stage_changed", deal_id=deal.id, to="team@ourco.com")
    assert moved.subject == "Acme pilot moved to Contract Sent"
    assert "moved from Qualified To Buy to Contract Sent" in moved.body


async def test_follow_up_and_meeting_request_go_to_the_contact_with_an_unsubscribe_link(
    outreach: OutreachService,
) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    follow = await outreach.draft_from_template("follow_up", contact_id=ann, variables={"topic": "the renewal"})
    assert follow.to == "ann@acme.com" and follow.category == "sales"
    assert follow.subject == "Following up on the renewal" and follow.body.startswith("Hi Ann,")
    assert follow.blocked == [] and "/unsubscribe/" in follow.body
    meeting = await outreach.draft_from_template("meeting_request", contact_id=ann)
    assert meeting.subject == "Meeting request"
    # the fixed clock is Friday 2026-11-20: proposals skip the weekend
    assert "Monday 23 November at 10:00 (UTC)" in meeting.body and "Tuesday 24 November at 14:00 (UTC)" in meeting.body
    assert meeting.blocked == []


async def test_daily_summary_and_deals_created_today(outreach: OutreachService) -> None:
    ann = await add_contact(outreach.crm, "ann@acme.com")
    await outreach.crm.create("deals", {"dealname": "Acme pilot", "amount": "1000"})
    await outreach.crm.create("deals", {"dealname": "Globex", "amount": "250.50", "deal_currency_code": "EUR"})
    today = await outreach.deals_created_today(to="me@ourco.com")
    assert today.subject == "Deals created today (2026-11-20): 2"
    assert "2 deals were created today (2026-11-20), worth 250.50 EUR, 1,000.00 USD in total:" in today.body
    assert "  - Acme pilot - 1,000.00 USD - Appointment Scheduled" in today.body
    summary = await outreach.draft_from_template("daily_summary", to="me@ourco.com")
    assert summary.subject == "CRM summary for 2026-11-20"
    assert "New contacts: 1" in summary.body and "Ann Lee <ann@acme.com>" in summary.body
    assert "New deals: 2" in summary.body
    assert ann


async def test_no_deals_today(outreach: OutreachService) -> None:
    today = await outreach.deals_created_today(to="me@ourco.com")
    assert "No deals were created today (2026-11-20)." in today.body and today.blocked == []


async def test_a_big_search_summary_still_fits_in_one_email(outreach: OutreachService) -> None:
    from crm_agent.crm.schemas import RecordInput

    await outreach.crm.batch_create(
        "contacts",
        [RecordInput(properties={"email": f"person{i}@example.com", "firstname": f"Person{i}"}) for i in range(60)],
    )
    request = SearchRequest(filterGroups=[FilterGroup(filters=[Filter(propertyName="email", operator="HAS_PROPERTY")])])
    draft = await outreach.summary_of_search("contacts", request, title="Contacts with an email", to="me@ourco.com")
    assert draft.subject == "Contacts with an email: 60 found"
    assert draft.blocked == [], draft.blocked
    assert "... and 45 more" in draft.body
    assert len(draft.body.strip()) <= 2000


async def test_the_recipient_defaults_to_the_configured_notification_address(outreach: OutreachService) -> None:
    with pytest.raises(ValidationFailed, match="CRM_AGENT_EMAIL_NOTIFY_TO"):
        await outreach.deals_created_today()
    outreach.settings.email_notify_to = "Sales Team <sales@ourco.com>"
    draft = await outreach.deals_created_today()
    assert [(r.email, r.name) for r in draft.recipients] == [("sales@ourco.com", "Sales Team")]
    assert draft.body.startswith("Hello Sales Team,")


async def test_errors_name_the_problem(outreach: OutreachService) -> None:
    with pytest.raises(NotFound, match="email template nope not found; templates are: contact_created"):
        await outreach.draft_from_template("nope", to="me@ourco.com")
    with pytest.raises(ValidationFailed, match="template follow_up needs contact; pass contact_id"):
        await outreach.draft_from_template("follow_up", to="me@ourco.com")
    with pytest.raises(NotFound, match="contact 999"):
        await outreach.draft_from_template("contact_created", contact_id=999, to="me@ourco.com")


async def test_templates_can_be_overridden_and_added_in_the_data_dir(outreach: OutreachService) -> None:
    folder = override_dir(outreach.settings.data_dir)
    folder.mkdir(parents=True)
    (folder / "contact_created.j2").write_text(
        "{# category: notification\n   description: Ours.\n   needs: contact #}\n"
        "{% block subject %}Welcome aboard, {{ contact.name }}{% endblock %}\n"
        "{% block body %}Our own text about {{ contact.name }}, long enough to be sent as an email.{% endblock %}\n"
    )
    (folder / "thanks.j2").write_text(
        "{% block subject %}Thanks{% endblock %}{% block body %}Thanks {{ who }}! {{ missing }}{% endblock %}"
    )
    ann = await add_contact(outreach.crm, "ann@acme.com")
    draft = await outreach.draft_from_template("contact_created", contact_id=ann, to="me@ourco.com")
    assert draft.subject == "Welcome aboard, Ann Lee"
    assert draft.body == "Our own text about Ann Lee, long enough to be sent as an email.\n"
    sources = {t.name: t.source for t in outreach.template_list()}
    assert sources["contact_created"] == "data dir" and sources["thanks"] == "data dir"
    with pytest.raises(ValidationFailed, match="'missing' is undefined"):
        await outreach.draft_from_template("thanks", to="me@ourco.com", variables={"who": "Ann"})


async def test_templates_run_sandboxed(outreach: OutreachService, tmp_path: Path) -> None:
    folder = override_dir(outreach.settings.data_dir)
    folder.mkdir(parents=True)
    (folder / "evil.j2").write_text(
        "{% block subject %}x{% endblock %}{% block body %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}"
    )
    with pytest.raises(ValidationFailed, match="cannot be rendered"):
        await outreach.draft_from_template("evil", to="me@ourco.com")
