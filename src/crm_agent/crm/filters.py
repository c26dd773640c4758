"""A compact text syntax for search filters, used by the CLI.

``name=value`` EQ, ``name!=value`` NEQ, ``name>value`` GT, ``name>=value`` GTE, ``name<value`` LT,
``name<=value`` LTE, ``name~word`` CONTAINS_TOKEN, ``name!~word`` NOT_CONTAINS_TOKEN,
``name=a|b|c`` IN, ``name!=a|b`` NOT_IN, ``name=lo..hi`` BETWEEN, ``name?`` HAS_PROPERTY and
``!name?`` NOT_HAS_PROPERTY. All filters given together are AND-ed into one filter group.
"""

from __future__ import annotations

import re

from crm_agent.crm.schemas import Filter, FilterGroup
from crm_agent.errors import FieldError, ValidationFailed

_PATTERN = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>!=|>=|<=|!~|=|>|<|~)\s*(?P<value>.*)$")
_OPS = {
    "=": "EQ",
    "!=": "NEQ",
    ">": "GT",
    ">=": "GTE",
    "<": "LT",
    "<=": "LTE",
    "~": "CONTAINS_TOKEN",
    "!~": "NOT_CONTAINS_TOKEN",
}


def parse_filter(text: str) -> Filter:
    """One filter from its text form; raises ValidationFailed showing the accepted syntax."""
    stripped = text.strip()
    if stripped.endswith("?"):
        negate = stripped.startswith("!")
        name = stripped.strip("!?").strip()
        return Filter(propertyName=name, operator="NOT_HAS_PROPERTY" if negate else "HAS_PROPERTY")
    match = _PATTERN.match(text)
    if not match:
        raise ValidationFailed(
            [
                FieldError(
                    "filter",
                    text,
                    "write name=value, name>value, name~word, name=a|b, "
                    "name=lo..hi or name? (see crm-agent search --help)",
                )
            ]
        )
    name, op, value = match["name"], _OPS[match["op"]], match["value"].strip()
    if op in {"EQ", "NEQ"} and "|" in value:
        return Filter(
            propertyName=name, operator="IN" if op == "EQ" else "NOT_IN", values=[v.strip() for v in value.split("|")]
        )
    if op == "EQ" and ".." in value:
        low, high = value.split("..", 1)
        return Filter(propertyName=name, operator="BETWEEN", value=low.strip(), highValue=high.strip())
    return Filter(propertyName=name, operator=op, value=value)


def parse_filters(texts: list[str]) -> list[FilterGroup]:
    """All ``texts`` as one AND group (or no groups when empty)."""
    return [FilterGroup(filters=[parse_filter(t) for t in texts])] if texts else []
