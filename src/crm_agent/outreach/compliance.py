"""Validation of a draft: hard checks, each ``pass``, ``warn`` or ``block`` with a reason.

:func:`validate` is pure: it sees the draft's content and what the service found out about each
recipient (opted out, suppressed, internal), and returns one :class:`Check` per rule. A draft
with any ``block`` cannot be approved or sent; ``warn`` is shown to the operator and does not
stop anything. The same function runs when a draft is created or edited, when it is approved,
and again at send time, so a contact who opts out after approval is still never emailed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from email_validator import EmailNotValidError, validate_email

Level = Literal["pass", "warn", "block"]
MIN_BODY, MAX_BODY = 50, 2000
LONG_SUBJECT = 150
NEEDS_UNSUBSCRIBE = frozenset({"sales", "marketing"})

# Phrases that pressure or threaten the reader. A threat blocks; pressure warns.
THREATS = ("or else", "legal action", "we will sue", "you will regret", "final warning", "last warning")
PRESSURE = (
    "last chance",
    "final notice",
    "immediately",
    "you must",
    "don't ignore",
    "do not ignore",
    "before it's too late",
    "why haven't you",
    "i demand",
    "respond now",
    "reply now",
    "urgent",
    "asap",
)
_PLACEHOLDERS = [
    re.compile(r"\{\{.*?\}\}", re.S),  # Jinja / Handlebars
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\s*[A-Za-z_][\w.]*\s*\}"),  # {first_name}
    re.compile(r"\[(?:your|recipient|first|last|full|company|contact|client|customer|sender)\b[^\]\n]{0,40}\]", re.I),
    re.compile(r"\[[A-Z][A-Z0-9_]{2,}\]"),  # [FIRST_NAME]
    re.compile(r"%[A-Z][A-Z0-9_]{2,}%"),  # %FIRSTNAME%
    re.compile(r"<<\s*\w[\w ]*>>"),
]


_FOOTER_RE = re.compile(
    r"\n*--\nYou receive this email from [^\n]*To stop receiving these emails, unsubscribe here:\n\S+\s*\Z"
)


def unsubscribe_footer(sender_name: str, url: str) -> str:
    """The standard unsubscribe footer appended to sales and marketing emails."""
    return f"--\nYou receive this email from {sender_name}. To stop receiving these emails, unsubscribe here:\n{url}\n"


def without_footer(body: str) -> str:
    """The body without the standard unsubscribe footer (what the author wrote)."""
    return _FOOTER_RE.sub("", body)


@dataclass(frozen=True)
class Check:
    """The outcome of one rule: its name, ``pass``/``warn``/``block`` and why."""

    name: str
    level: Level
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The stored and API form."""
        return asdict(self)


@dataclass(frozen=True)
class RecipientFacts:
    """What the service knows about one recipient at validation time."""

    email: str
    opted_out: bool = False
    suppressed: bool = False
    internal: bool = False


def validate(
    *,
    category: str,
    subject: str,
    body: str,
    recipients: list[RecipientFacts],
    prohibited_terms: Iterable[str],
    unsubscribe_urls: dict[str, str],
) -> list[Check]:
    """Every check of a draft, in a fixed order. ``unsubscribe_urls`` maps each recipient
    address to the link its body must contain when the category needs one."""
    return [
        check_recipients(category, recipients),
        check_suppression(recipients),
        check_subject(subject),
        check_length(without_footer(body)),
        check_prohibited(subject, body, prohibited_terms),
        check_tone(subject, body),
        check_placeholders(subject, body),
        check_unsubscribe(category, body, recipients, unsubscribe_urls),
    ]


def blocked(checks: Iterable[Check | dict]) -> list[str]:
    """The reasons of the blocking checks (empty when the draft may be sent)."""
    out = []
    for c in checks:
        level, name, reason = (
            (c["level"], c["name"], c["reason"]) if isinstance(c, dict) else (c.level, c.name, c.reason)
        )
        if level == "block":
            out.append(f"{name}: {reason}")
    return out


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a valid email address, or None when it is."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def check_recipients(category: str, recipients: list[RecipientFacts]) -> Check:
    if not recipients:
        return Check("recipients", "block", "there is no recipient")
    bad = [f"{r.email!r} ({problem})" for r in recipients if (problem := address_problem(r.email))]
    if bad:
        return Check("recipients", "block", "invalid address " + "; ".join(bad))
    if category in NEEDS_UNSUBSCRIBE and len(recipients) > 1:
        return Check(
            "recipients",
            "block",
            f"{category} emails go to one recipient each (got {len(recipients)}); make one draft per contact",
        )
    return Check("recipients", "pass", f"{len(recipients)} valid address(es)")


def check_suppression(recipients: list[RecipientFacts]) -> Check:
    out = [r.email for r in recipients if r.opted_out]
    sup = [r.email for r in recipients if r.suppressed and not r.opted_out]
    if out or sup:
        parts = []
        if out:
            parts.append("opted out of email: " + ", ".join(out))
        if sup:
            parts.append("on the suppression list: " + ", ".join(sup))
        return Check("suppression", "block", "; ".join(parts))
    return Check("suppression", "pass", "no recipient opted out or is suppressed")


def check_subject(subject: str) -> Check:
    if not subject.strip():
        return Check("subject", "block", "the subject is empty")
    if len(subject) > LONG_SUBJECT:
        return Check(
            "subject", "warn", f"the subject is long ({len(subject)} characters; keep it under {LONG_SUBJECT})"
        )
    return Check("subject", "pass", "subject present")


def check_length(body: str) -> Check:
    """Length of the text the author wrote (the unsubscribe footer does not count)."""
    n = len(body.strip())
    if n < MIN_BODY:
        return Check("length", "block", f"the body is {n} characters; at least {MIN_BODY} are needed")
    if n > MAX_BODY:
        return Check("length", "block", f"the body is {n} characters; at most {MAX_BODY} are allowed")
    return Check("length", "pass", f"{n} characters (allowed {MIN_BODY}..{MAX_BODY})")


def _phrase_re(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(phrase.lower()).replace(r"\ ", r"\s+") + r"(?!\w)")


def check_prohibited(subject: str, body: str, terms: Iterable[str]) -> Check:
    text = f"{subject}\n{body}".lower().replace("\u2019", "'")
    found = [t for t in terms if t.strip() and _phrase_re(t.strip()).search(text)]
    if found:
        return Check("prohibited_terms", "block", "contains prohibited " + ", ".join(repr(t) for t in found))
    return Check("prohibited_terms", "pass", "no prohibited terms")


def check_tone(subject: str, body: str) -> Check:
    text = f"{subject}\n{body}"
    lower = text.lower().replace("\u2019", "'")
    threats = [p for p in THREATS if _phrase_re(p).search(lower)]
    signals = [f"pressure {p!r}" for p in PRESSURE if _phrase_re(p).search(lower)]
    shouted = re.findall(r"\b[A-Z]{3,}\b", text)
    words = re.findall(r"\b[A-Za-z]{3,}\b", text)
    shouted = [w for w in shouted if w not in {"CRM", "USD", "EUR", "GBP", "API", "CEO", "CTO", "CFO", "FAQ", "PDF"}]
    if len(shouted) >= 3 or (words and len(shouted) / len(words) > 0.3 and len(shouted) >= 2):
        signals.append("shouting (" + ", ".join(dict.fromkeys(shouted[:4])) + ")")
    if "!!" in text or text.count("!") > 3:
        signals.append("exclamation marks")
    if threats:
        return Check("tone", "block", "threatening: " + ", ".join(repr(t) for t in threats))
    if len(signals) >= 3:
        return Check("tone", "block", "aggressive: " + "; ".join(signals))
    if signals:
        return Check("tone", "warn", "may read as aggressive: " + "; ".join(signals))
    return Check("tone", "pass", "neutral tone")


def check_placeholders(subject: str, body: str) -> Check:
    text = f"{subject}\n{body}"
    found = list(dict.fromkeys(m.group(0) for pattern in _PLACEHOLDERS for m in pattern.finditer(text)))
    if found:
        return Check("placeholders", "block", "unresolved template variables " + ", ".join(found[:5]))
    return Check("placeholders", "pass", "no unresolved template variables")


def check_unsubscribe(category: str, body: str, recipients: list[RecipientFacts], urls: dict[str, str]) -> Check:
    if category not in NEEDS_UNSUBSCRIBE:
        return Check("unsubscribe", "pass", f"not required for {category} email")
    missing = [r.email for r in recipients if not r.internal and urls.get(r.email, "\0") not in body]
    if missing:
        return Check(
            "unsubscribe",
            "block",
            f"{category} email needs the recipient's unsubscribe link in the body (missing for {', '.join(missing)})",
        )
    return Check("unsubscribe", "pass", "unsubscribe link present")
