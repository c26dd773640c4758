"""Coercion of typed-in values: emails, phones, domains, amounts, dates, options."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm_agent.crm import values


def test_fold_strips_case_and_accents() -> None:
    assert values.fold("José Núñez") == "jose nunez"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5000", Decimal("5000")), ("$5,000.00", Decimal("5000.00")), (" 12.5 ", Decimal("12.5")), (7, Decimal(7))],
)
def test_parse_decimal(raw: object, expected: Decimal) -> None:
    assert values.parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["five", "", "1.2.3", "nan"])
def test_parse_decimal_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="number"):
        values.parse_decimal(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11/30/2023", datetime(2023, 11, 30, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T15:00:00+01:00", datetime(2026, 11, 30, 14, tzinfo=UTC)),
        ("1700000000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ],
)
def test_parse_datetime(raw: str, expected: datetime) -> None:
    assert values.parse_datetime(raw) == expected


def test_phone_normalized_to_e164_with_original_kept_by_caller() -> None:
    assert values.normalize_phone("+1 (555) 010-2000", "US") == "+15550102000"
    assert values.normalize_phone("123-456-7890", "US") == "+11234567890"
    assert values.normalize_phone("555-1234", "US") == "555-1234"


@pytest.mark.parametrize("raw", ["abc", "12", "call me maybe 5550100"])
def test_phone_rejects_non_numbers(raw: str) -> None:
    with pytest.raises(ValueError, match="phone"):
        values.normalize_phone(raw, "US")


def test_domain_normalization() -> None:
    assert values.normalize_domain("https://www.Acme.com/about?x=1") == "acme.com"
    with pytest.raises(ValueError, match="domain"):
        values.normalize_domain("not a domain")


def test_email_lowercased_and_validated() -> None:
    assert values.normalize_email(" Ann@ACME.com ") == "ann@acme.com"
    with pytest.raises(ValueError, match="invalid email"):
        values.normalize_email("grace@")


def test_match_option_by_value_label_and_spacing() -> None:
    options = [("salesqualifiedlead", "Sales Qualified Lead"), ("customer", "Customer")]
    assert values.match_option(options, "sales qualified lead") == "salesqualifiedlead"
    assert values.match_option(options, "CUSTOMER") == "customer"
    with pytest.raises(ValueError, match="accepted: salesqualifiedlead"):
        values.match_option(options, "vip")


def test_to_api_renders_hubspot_strings() -> None:
    assert values.to_api(Decimal("5000.00")) == "5000"
    assert values.to_api(True) == "true"
    assert values.to_api(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "2026-01-02T03:04:05.006Z"


def test_tokens_include_email_parts() -> None:
    assert {"ann@acme.com", "ann", "acme.com", "acme"} <= set(values.tokens("Ann@acme.com"))
