"""The validation rules and input hygiene, one by one (pure functions, no database)."""

from __future__ import annotations

import pytest

from crm_agent.config import DEFAULT_PROHIBITED_TERMS
from crm_agent.errors import ValidationFailed
from crm_agent.outreach import compliance, content
from crm_agent.outreach.compliance import RecipientFacts

BODY = "Thanks for your time today. Here is the recap of the pilot and the next steps we agreed on."


def run(category: str = "notification", subject: str = "Recap", body: str = BODY, **kw) -> dict[str, tuple[str, str]]:
    checks = compliance.validate(
        category=category,
        subject=subject,
        body=body,
        recipients=kw.get("recipients", [RecipientFacts("ann@acme.com")]),
        prohibited_terms=kw.get("terms", DEFAULT_PROHIBITED_TERMS),
        unsubscribe_urls=kw.get("urls", {"ann@acme.com": "https://x/unsubscribe/t"}),
    )
    return {c.name: (c.level, c.reason) for c in checks}


def test_a_plain_notification_passes_everything() -> None:
    assert {k: v[0] for k, v in run().items()} == dict.fromkeys(
        ["recipients", "suppression", "subject", "length", "prohibited_terms", "tone", "placeholders", "unsubscribe"],
        "pass",
    )


@pytest.mark.parametrize(
    ("body", "level"),
    [("x" * 49, "block"), ("x" * 50, "pass"), ("x" * 2000, "pass"), ("x" * 2001, "block")],
)
def test_length_between_50_and_2000(body: str, level: str) -> None:
    assert run(body=body)["length"][0] == level


def test_the_unsubscribe_footer_does_not_count_towards_the_length() -> None:
    body = "Short text.\n\n" + compliance.unsubscribe_footer("Acme", "https://x/unsubscribe/t")
    assert run(body=body)["length"] == ("block", "the body is 11 characters; at least 50 are needed")


def test_prohibited_terms_are_configurable_and_whole_words() -> None:
    assert run(body=BODY + " Guaranteed   RESULTS for you.")["prohibited_terms"] == (
        "block",
        "contains prohibited 'guaranteed results'",
    )
    assert run(body=BODY + " The winners list.")["prohibited_terms"][0] == "pass"  # 'winner' is a whole word
    assert run(body=BODY + " about pricing", terms=["pricing"])["prohibited_terms"][0] == "block"
    assert run(body=BODY + " Guaranteed results", terms=[])["prohibited_terms"][0] == "pass"


@pytest.mark.parametrize(
    ("text", "level", "fragment"),
    [
        ("Please reply when you can.", "pass", "neutral"),
        ("This is URGENT, please reply.", "warn", "pressure 'urgent'"),
        ("Reply now!! This is your LAST CHANCE to ACT TODAY.", "block", "aggressive"),
        ("Pay the invoice or else we escalate.", "block", "threatening: 'or else'"),
        ("We will take legal action.", "block", "threatening: 'legal action'"),
    ],
)
def test_tone(text: str, level: str, fragment: str) -> None:
    got_level, reason = run(body=f"{BODY} {text}")["tone"]
    assert got_level == level and fragment in reason


@pytest.mark.parametrize(
    "hole", ["{{ first_name }}", "{first_name}", "[Your Name]", "[FIRST_NAME]", "%COMPANY%", "{% if x %}", "<<name>>"]
)
def test_unresolved_template_variables_block(hole: str) -> None:
    level, reason = run(body=f"Hi {hole}, {BODY}")["placeholders"]
    assert level == "block" and hole in reason


def test_ordinary_brackets_are_not_placeholders() -> None:
    assert run(body=f"{BODY} [see attachment] (thanks) {{}}")["placeholders"][0] == "pass"


def test_invalid_addresses_block_with_the_reason() -> None:
    level, reason = run(recipients=[RecipientFacts("grace@"), RecipientFacts("ok@acme.com")])["recipients"]
    assert level == "block" and reason.startswith("invalid address 'grace@' (")
    assert run(recipients=[])["recipients"] == ("block", "there is no recipient")


def test_opted_out_and_suppressed_recipients_block() -> None:
    level, reason = run(
        recipients=[RecipientFacts("a@x.com", opted_out=True), RecipientFacts("b@x.com", suppressed=True)]
    )["suppression"]
    assert level == "block"
    assert reason == "opted out of email: a@x.com; on the suppression list: b@x.com"


def test_sales_and_marketing_need_the_recipients_unsubscribe_link() -> None:
    assert run(category="sales")["unsubscribe"][0] == "block"
    assert run(category="marketing", body=BODY + " https://x/unsubscribe/t")["unsubscribe"][0] == "pass"
    assert run(category="sales", body=BODY + " https://x/unsubscribe/other")["unsubscribe"][0] == "block"
    internal = [RecipientFacts("ann@acme.com", internal=True)]
    assert run(category="sales", recipients=internal)["unsubscribe"][0] == "pass"
    assert run(category="transactional")["unsubscribe"] == ("pass", "not required for transactional email")


def test_subjects() -> None:
    assert run(subject=" ")["subject"] == ("block", "the subject is empty")
    assert run(subject="x" * 151)["subject"][0] == "warn"


# ---------------------------------------------------------------------------------- input hygiene
@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.com", "Hello\nX-Injected: 1", "Hi\rthere"])
def test_header_injection_in_a_subject_is_refused(subject: str) -> None:
    with pytest.raises(ValidationFailed, match="line breaks in a header are refused"):
        content.single_line(subject, "subject")


def test_header_injection_in_an_address_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="to: must be one line"):
        content.split_address("ann@acme.com\r\nBcc: victim@example.com", "to")


def test_oversized_bodies_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="at most 100000 characters"):
        content.clean_body("x" * 100_001)


def test_html_is_converted_to_text_and_scripts_removed() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Hello &amp; welcome,</p>"
        "<script>alert('x')</script><ul><li>one</li><li>two</li></ul>"
        '<p>See <a href="https://acme.com/doc">the doc</a><br>Bye</p><img src=x onerror=alert(1)></body></html>'
    )
    text = content.clean_body(html)
    assert "alert" not in text and "<" not in text and "color" not in text
    assert "Hello & welcome," in text
    assert "- one" in text and "- two" in text
    assert "[https://acme.com/doc] the doc" in text


def test_plain_text_with_angle_brackets_is_left_alone() -> None:
    assert content.clean_body("Write to Ann <ann@acme.com> if 3 < 5.") == "Write to Ann <ann@acme.com> if 3 < 5.\n"


def test_control_characters_are_removed_and_line_endings_normalized() -> None:
    assert content.clean_body("a\r\nb\x00c\x1b") == "a\nbc\n"
