"""The audit chain's hashes are SHA-256 over ``json.dumps(body, sort_keys=True, default=str)`` of
each entry: the spelled-out encoding :mod:`crm_agent.audit` uses (each image encoded once, the same
text hashed and stored) gives exactly that, so logs written before it still verify."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_agent import audit

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def reference_hash(row: dict[str, Any]) -> str:
    """The chain's original definition of an entry's hash."""
    body = {k: v for k, v in row.items() if k not in {"prev_hash", "hash"}}
    body["at"] = row["at"].isoformat()
    body["prev"] = row["prev_hash"]
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


text = st.text(max_size=12)
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), text, st.floats(allow_nan=False), st.builds(Decimal, st.integers())
)
image = st.none() | st.dictionaries(
    text, scalar | st.dictionaries(text, scalar, max_size=4) | st.lists(scalar, max_size=3), max_size=8
)


@settings(max_examples=300, deadline=None)
@given(
    before=image,
    after=image,
    actor=text,
    run_id=st.none() | st.uuids().map(str),
    step=st.none() | st.integers(0, 99),
    action=st.sampled_from(["create", "update", "associate", "send"]),
    object_id=text,
)
def test_chain_hashes_are_the_canonical_json_hashes(before, after, actor, run_id, step, action, object_id) -> None:  # type: ignore[no-untyped-def]
    token = audit.current_write_context.set(audit.WriteContext(actor=actor, run_id=run_id, step=step))
    try:
        items = [
            audit.pending(action, "contacts", object_id, before, after),
            audit.pending("update", "x", "1", after, None),
        ]
        rows = audit.chain((7, "ab" * 32), AT, items)
    finally:
        audit.current_write_context.reset(token)
    for row, item in zip(rows, items, strict=True):
        assert row["before"] == json.dumps(item.before, sort_keys=True, default=str)
        assert row["after"] == json.dumps(item.after, sort_keys=True, default=str)
        original = {**row, "before": item.before, "after": item.after}
        assert row["hash"] == reference_hash(original)
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[1]["id"] == 8


def test_verify_digest_matches_chain() -> None:
    """An entry read back (images as parsed JSON) hashes to what :func:`audit.chain` stored."""
    after = {"properties": {"firstname": "José", "email": None}, "archived": False}
    row = audit.chain((1, audit.GENESIS_HASH), AT, [audit.pending("create", "contacts", "1", None, after)])[0]
    entry = audit.AuditEntry(**{**row, "before": json.loads(row["before"]), "after": json.loads(row["after"])})
    assert audit._digest(entry) == row["hash"]
