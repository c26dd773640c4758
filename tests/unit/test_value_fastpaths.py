"""The fast paths of value coercion (plain emails, North American phones, ISO and US dates, option
lookup) give exactly what the libraries they skip would give."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import phonenumbers
from dateutil import parser as date_parser
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_agent.crm import values


def reference_email(raw: str) -> str:
    return validate_email(raw.strip(), check_deliverability=False).normalized.lower()


def reference_phone(raw: str) -> str:
    text = raw.strip()
    number_part = values._EXTENSION_RE.sub("", text)
    digits = re.sub(r"\D", "", number_part)
    if re.search(r"[A-Za-z]", number_part) or not 7 <= len(digits) <= 15:
        raise ValueError("bad phone")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def reference_datetime(raw: str) -> datetime:
    parsed = date_parser.parse(raw, dayfirst=False, yearfirst=bool(re.match(r"\d{4}-", raw)))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def same_outcome(fast, slow, raw: str) -> None:  # type: ignore[no-untyped-def]
    try:
        expected = slow(raw)
    except (ValueError, EmailNotValidError, OverflowError):
        expected = ValueError
    try:
        got = fast(raw)
    except ValueError:
        got = ValueError
    assert got == expected, raw


label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,5}[a-z0-9])?", fullmatch=True)
local = st.from_regex(r"[A-Za-z0-9_+.\-!#]{1,12}", fullmatch=True)
tld = st.sampled_from(["com", "io", "CO", "test", "local", "x", "c0m", "museum", "arpa", "onion", "invalid"])


@settings(max_examples=400, deadline=None)
@given(local=local, labels=st.lists(label, min_size=1, max_size=3), tld=tld, pad=st.sampled_from(["", " ", "  "]))
def test_plain_emails_match_email_validator(local: str, labels: list[str], tld: str, pad: str) -> None:
    raw = f"{pad}{local}@{'.'.join(labels)}.{tld}{pad}"
    same_outcome(values.normalize_email, reference_email, raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1.-_+@ é", min_size=1, max_size=20))
def test_odd_emails_match_email_validator(raw: str) -> None:
    same_outcome(values.normalize_email, reference_email, raw)


def test_long_and_reserved_emails() -> None:
    for raw in [
        "a" * 64 + "@x.com",
        "a" * 65 + "@x.com",
        "ann@" + "b" * 63 + ".com",
        "ann@" + "b" * 64 + ".com",
        "ann@ab--cd.com",
        "ann@xn--bcher-kva.com",
        "ann@localhost",
        "ann@my.local",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "ann@-x.com",
        "ann@x-.com",
        "ann@x.c0m",
    ]:
        same_outcome(values.normalize_email, reference_email, raw)


digits3 = st.from_regex(r"[0-9]{3}", fullmatch=True)
digits4 = st.from_regex(r"[0-9]{4}", fullmatch=True)


@settings(max_examples=500, deadline=None)
@given(
    prefix=st.sampled_from(["", "+1", "1", "+1 ", "1-", "+1-", "1.", "+ 1", "01", "+11"]),
    area=digits3,
    exchange=digits3,
    line=digits4,
    paren=st.booleans(),
    seps=st.tuples(*[st.sampled_from(["", " ", "-", ".", "  ", "/"])] * 2),
    tail=st.sampled_from(["", " x12", " ext. 7", "#5", "9", " "]),
)
def test_north_american_phones_match_phonenumbers(
    prefix: str, area: str, exchange: str, line: str, paren: bool, seps: tuple[str, str], tail: str
) -> None:
    area_part = f"({area})" if paren else area
    raw = f"{prefix}{area_part}{seps[0]}{exchange}{seps[1]}{line}{tail}"
    same_outcome(lambda r: values.normalize_phone(r, "US"), reference_phone, raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 +-().x", min_size=1, max_size=20))
def test_any_digit_strings_match_phonenumbers(raw: str) -> None:
    same_outcome(lambda r: values.normalize_phone(r, "US"), reference_phone, raw)


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    form=st.sampled_from(
        [
            "%Y-%m-%d",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%d %H:%M:%S+02:00",
            "%m/%d/%Y",
            "%-m/%-d/%Y",
            "%d/%m/%Y",
            "%Y-%m-%dT%H:%M:%S.%f",
        ]
    ),
)
def test_iso_and_us_dates_match_dateutil(when: datetime, form: str) -> None:
    same_outcome(values.parse_datetime, reference_datetime, when.strftime(form))


def test_invalid_dates_still_rejected_or_read_like_dateutil() -> None:
    for raw in ["2023-02-30", "13/01/2024", "2/30/2024", "2024-13-01", "00/10/2024", "2024-01-01T25:00"]:
        same_outcome(values.parse_datetime, reference_datetime, raw)


def test_option_lookup_keeps_the_first_match_in_order() -> None:
    options = [("a", "Bee"), ("bee", "A"), ("in_progress", "In Progress")]
    assert values.match_option(options, "bee") == "a"  # label of the first option wins, as a scan in order
    assert values.match_option(options, "A") == "a"
    assert values.match_option(options, "in-progress") == "in_progress"
