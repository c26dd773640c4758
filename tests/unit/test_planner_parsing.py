"""The offline planner's parsing of values, clauses and people lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm_agent.agent.planner.text import parse_people, parse_person, split_clauses
from crm_agent.agent.planner.values import find_amount, find_date, find_phone, parse_date

FRIDAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("next Tuesday", date(2026, 11, 24)),
        ("end of month", date(2026, 11, 30)),
        ("in 2 weeks", date(2026, 12, 4)),
        ("11/30", date(2026, 11, 30)),
        ("11/30/2027", date(2027, 11, 30)),
        ("Dec 5th", date(2026, 12, 5)),
        ("5 December", date(2026, 12, 5)),
        ("tomorrow", date(2026, 11, 21)),
        ("friday", date(2026, 11, 27)),
        ("end of april", date(2027, 4, 30)),
        ("october", date(2026, 10, 1)),
        ("2026-12-31", date(2026, 12, 31)),
    ],
)
def test_dates_relative_to_the_clock(phrase: str, expected: date) -> None:
    assert parse_date(phrase, FRIDAY) == expected


def test_date_found_inside_a_sentence() -> None:
    assert find_date("a deal closing next Tuesday please", FRIDAY)[0] == date(2026, 11, 24)  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("worth $5000", Decimal(5000), "USD"),
        ("a $5k deal", Decimal(5000), "USD"),
        ("10,000", Decimal(10000), None),
        ("€2.5m", Decimal(2500000), "EUR"),
        ("1.2 million dollars", Decimal(1200000), "USD"),
    ],
)
def test_amounts(text: str, amount: Decimal, currency: str | None) -> None:
    found = find_amount(text)
    assert found is not None
    assert (found[0], found[1]) == (amount, currency)


@pytest.mark.parametrize("text", ["in 3 weeks", "on 11/30", "call me"])
def test_not_amounts(text: str) -> None:
    assert find_amount(text) is None


def test_phone_as_typed() -> None:
    assert find_phone("update phone to 123-456-7890 please") == "123-456-7890"
    assert find_phone("in 3 weeks") is None


def test_clauses_split_on_verbs_not_on_lists_of_people() -> None:
    message = (
        "Create contacts for Alice (alice@x.com), Bob (bob@y.com), and Charlie, then create a deal for Alice "
        "worth $5k and update Bob's phone to 555-0100"
    )
    assert split_clauses(message) == [
        "Create contacts for Alice (alice@x.com), Bob (bob@y.com), and Charlie",
        "create a deal for Alice worth $5k",
        "update Bob's phone to 555-0100",
    ]
    assert split_clauses("add Ann Lee; mark the Acme deal as won\nhow many open deals does Raj have?") == [
        "add Ann Lee",
        "mark the Acme deal as won",
        "how many open deals does Raj have",
    ]
    assert split_clauses("Raj is taking over Dakota, Quinn has moved to qualified") == [
        "Raj is taking over Dakota",
        "Quinn has moved to qualified",
    ]


def test_people_list_keeps_invalid_emails_for_validation_to_report() -> None:
    people = parse_people("Eve Johnson (eve@x.com), Frank, and Grace Davis (grace@)")
    assert people is not None
    assert [(p.full, p.email) for p in people] == [
        ("Eve Johnson", "eve@x.com"),
        ("Frank", None),
        ("Grace Davis", "grace@"),
    ]


@pytest.mark.parametrize(
    ("item", "first", "last"),
    [
        ("Sven Berg - <sven.berg@berg.se>", "Sven", "Berg"),
        ("John Doe (john@example.com)", "John", "Doe"),
        ("bob@corp.com", "Bob", ""),
    ],
)
def test_a_person_is_named_before_the_email(item: str, first: str, last: str) -> None:
    person = parse_person(item)
    assert person is not None and (person.first, person.last) == (first, last)


@pytest.mark.parametrize("item", ["lena fischer lena@brightwave.ai there", "ann@acme.com Ann Lee"])
def test_words_after_the_email_are_not_taken_as_a_name(item: str) -> None:
    assert parse_person(item) is None
