"""Coercion of typed-in property values into stored values, and back to HubSpot's string form.

One validator serves standard and custom properties: :func:`coerce` takes a
:class:`~crm_agent.crm.properties.PropertyDef` and a raw value (as a person, a CSV cell or a
model typed it) and returns the Python value to store, or raises :class:`ValueError` with a
message that says what is accepted. :func:`to_api` renders a stored value the way HubSpot's
API does: every property value is a string (or null).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import phonenumbers
from dateutil import parser as date_parser
from email_validator import EmailNotValidError, validate_email

if TYPE_CHECKING:
    from crm_agent.crm.properties import PropertyDef

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CURRENCY_SYMBOLS = "$€£¥₹"


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents (``"José"`` -> ``"jose"``) for matching names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The folded words of ``text``; an e-mail also yields its local part and domain."""
    folded = fold(text)
    words = re.findall(r"[a-z0-9]+", folded)
    extra = [w for w in re.findall(r"[^\s,;]+@[^\s,;]+", folded)]
    extra += [part for w in extra for part in w.split("@")]
    return list(dict.fromkeys(words + extra))


def parse_decimal(raw: Any) -> Decimal:
    """A Decimal from ``5000``, ``"5,000.00"``, ``"$5,000"`` or ``" 12.5 "``.

    Raises ValueError for anything else.
    """
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))
    text = str(raw).strip().replace(",", "").replace(" ", "")
    text = text.strip(_CURRENCY_SYMBOLS).removesuffix("USD").removesuffix("EUR")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("expected a number such as 5000 or 5,000.00") from None
    if not value.is_finite():
        raise ValueError("expected a finite number")
    return value


def parse_datetime(raw: Any) -> datetime:
    """A timezone-aware UTC datetime from a datetime, a date, an ISO string, epoch milliseconds
    (HubSpot's API form) or a US-style date such as ``11/30/2023``.

    A date without a time is midnight UTC of that day, as HubSpot stores date properties.
    Raises ValueError for anything else.
    """
    if isinstance(raw, datetime):
        return raw.astimezone(UTC) if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, date):
        return datetime.combine(raw, time(), tzinfo=UTC)
    text = str(raw).strip()
    if re.fullmatch(r"\d{12,14}", text):
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = date_parser.parse(text, dayfirst=False, yearfirst=bool(re.match(r"\d{4}-", text)))
    except (ValueError, OverflowError):
        raise ValueError("expected a date such as 2026-11-30, 11/30/2026 or 2026-11-30T15:00:00Z") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def normalize_domain(raw: str) -> str:
    """``"https://www.Acme.com/about"`` -> ``"acme.com"``; raises ValueError if not a domain."""
    text = raw.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/")[0].split("?")[0].split("#")[0].split(":")[0]
    text = text.removeprefix("www.").rstrip(".")
    if not _DOMAIN_RE.match(text):
        raise ValueError("expected a domain such as acme.com")
    return text


def normalize_email(raw: str) -> str:
    """The address, validated (syntax only, no DNS) and lower-cased; raises ValueError."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address ({exc}); expected name@example.com") from None


def normalize_phone(raw: str, region: str) -> str:
    """E.164 (``+15550102000``) where the number is complete for ``region`` (not a
    local-only number such as 555-1234); otherwise the text as typed.

    Raises ValueError when there are fewer than 7 or more than 15 digits, or letters.
    """
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if re.search(r"[A-Za-z]", re.sub(r"(?i)\b(ext|x)\.?\s*\d+$", "", text)) or not 7 <= len(digits) <= 15:
        raise ValueError("expected a phone number with 7 to 15 digits, e.g. +1 555 010 2000")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def parse_bool(raw: Any) -> bool:
    """True/false from a bool or yes/no/true/false/1/0; raises ValueError otherwise."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")


def match_option(options: list[tuple[str, str]], raw: Any) -> str:
    """The option value matching ``raw`` by value or label, ignoring case, accents, spaces and _.

    Raises ValueError listing the accepted values.
    """
    key = re.sub(r"[\s_\-]+", "", fold(str(raw)))
    for value, label in options:
        if key in (re.sub(r"[\s_\-]+", "", fold(value)), re.sub(r"[\s_\-]+", "", fold(label))):
            return value
    accepted = ", ".join(f"{v} ({lbl})" if v != lbl else v for v, lbl in options)
    raise ValueError(f"not an option; accepted: {accepted}")


def coerce(defn: PropertyDef, raw: Any, *, phone_region: str = "US") -> Any:
    """The value to store for property ``defn`` given ``raw``; ``None``/``""`` clears it.

    Owner, pipeline and stage references are returned as typed; the service resolves them.
    Raises ValueError with a message saying what is accepted.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    fmt, kind = defn.format, defn.type
    if fmt == "email":
        return normalize_email(str(raw))
    if fmt == "phone":
        return normalize_phone(str(raw), phone_region)
    if fmt == "domain":
        return normalize_domain(str(raw))
    if fmt == "currency":
        code = str(raw).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError("expected a 3-letter ISO 4217 currency code such as USD or EUR")
        return code
    if fmt in {"owner", "pipeline", "dealstage"}:
        return raw
    if kind == "number":
        value = parse_decimal(raw)
        if fmt == "integer":
            if value != value.to_integral_value():
                raise ValueError("expected a whole number")
            return int(value)
        return value.quantize(Decimal("0.01")) if fmt == "money" else value
    if kind in {"datetime", "date"}:
        value = parse_datetime(raw)
        return value.replace(hour=0, minute=0, second=0, microsecond=0) if kind == "date" else value
    if kind == "bool":
        return parse_bool(raw)
    if kind == "enumeration":
        return match_option(defn.options, raw)
    text = str(raw).strip()
    if defn.max_length and len(text) > defn.max_length:
        raise ValueError(f"too long ({len(text)} characters; at most {defn.max_length})")
    return text


def to_api(value: Any) -> str | None:
    """HubSpot's string form of a stored value: datetimes as ``2026-11-20T09:00:00.000Z``,
    numbers without trailing zeros, booleans as ``true``/``false``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)
