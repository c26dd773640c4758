"""The planner's casual-wording rewrites (planner/casual.py) and the aside check."""

import pytest

from crm_agent.agent.planner.casual import casual, has_aside


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("quinn's an MQL now", "quinn is an MQL now"),
        ("close out as won every deal over 10k", "mark every deal over 10k as won"),
        ("what's on tom's plate", "list tom's open tasks"),
        (
            "bump every deal closing this month to high priority",
            "set the priority of every deal closing this month to high",
        ),
        ("give priya everyone at hooli", "give everyone at hooli to priya"),
        ("$5k deal for Ann", "create $5k deal for Ann"),
        ("task for raj to call Bo", "create a task for raj to call Bo"),
        ("deals north of 10k", "deals over 10k"),
    ],
)
def test_casual_wordings_are_rewritten(typed: str, meant: str) -> None:
    assert casual(typed) == meant


def test_plain_wordings_are_kept() -> None:
    assert casual("update Ann's phone to 555-010-2000") == "update Ann's phone to 555-010-2000"
    assert casual("mark the Acme deal as won") == "mark the Acme deal as won"


def test_asides() -> None:
    assert has_aside("globex dashboard is lost, they went with a competitor")
    assert not has_aside("amount 10,000, close date 11/30")
    assert not has_aside("noah isn't a fit, remove him")
