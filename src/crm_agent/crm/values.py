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
from functools import lru_cache
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
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:\d{2})?")
_US_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Addresses of this plain ASCII shape are valid by email-validator's rules (syntax only); anything
# else (quoted parts, Unicode, unusual characters, reserved domains) goes through email-validator.
_PLAIN_EMAIL_RE = re.compile(
    r"[a-z0-9_+-]{1,64}(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE
)
_EXTENSION_RE = re.compile(r"(?i)\s*(?:\bext\.?|x|#)\s*\d+$")
_RESERVED_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}
# A complete North American number: optional +1 / 1, area code, exchange, line, optional extension
# (which E.164 leaves out; the number as typed is kept beside it).
_NANP_RE = re.compile(
    r"(?P<prefix>(?P<plus>\+)?1[ .-]?)?(?:\((?P<p_area>\d{3})\)|(?P<area>\d{3}))"
    r"[ .-]?(?P<exchange>\d{3})[ .-]?(?P<line>\d{4})(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?"
)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents (``"José"`` -> ``"jose"``) for matching names."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The folded words of ``text``; an e-mail also yields its local part and domain."""
    folded = fold(text)
    words = re.findall(r"[a-z0-9]+", folded)
    extra = [w for w in re.findall(r"[^\s,;]+@[^\s,;]+", folded)]
    extra += [part for w in extra for part in w.split("@")]
    return list(dict.fromkeys(words + extra))


_WORD_RE = re.compile(r"[a-z0-9]+")
_NON_DIGITS_RE = re.compile(r"\D")
_PHONE_RUN_RE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def search_words(text: str) -> list[str]:
    """The words free-text search indexes and matches: folded letters-and-digits runs, with a
    phone number (7 or more digits, separators allowed) as one word of its digits, a +1 number
    without its country code, so that ``+1 (555) 010-2000``, ``555-010-2000`` and ``5550102000``
    all find ``+15550102000``."""
    folded = fold(text)
    words: list[str] = []
    for run in _PHONE_RUN_RE.findall(folded):
        digits = _NON_DIGITS_RE.sub("", run)
        if len(digits) >= 7:
            words.append(digits[1:] if len(digits) == 11 and digits.startswith("1") else digits)
            folded = folded.replace(run, " ", 1)
    words += _WORD_RE.findall(folded)
    return list(dict.fromkeys(words))


def index_words(text: str) -> list[str]:
    """The :func:`search_words` of ``text`` worth storing: a word that begins another word of the
    same text (``hammond`` of ``hammond0``) adds nothing to prefix matching and is left out."""
    words = sorted(search_words(text))
    return [w for w, after in zip(words, [*words[1:], ""][: len(words)], strict=True) if not after.startswith(w)]


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
    fast = _fast_datetime(text)
    if fast is not None:
        return fast
    try:
        parsed = date_parser.parse(text, dayfirst=False, yearfirst=bool(re.match(r"\d{4}-", text)))
    except (ValueError, OverflowError):
        raise ValueError("expected a date such as 2026-11-30, 11/30/2026 or 2026-11-30T15:00:00Z") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fast_datetime(text: str) -> datetime | None:
    """The common exact forms (ISO 8601, ``M/D/YYYY``) without dateutil; None for anything else."""
    if _ISO_RE.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    match = _US_DATE_RE.fullmatch(text)
    if match:
        month, day, year = (int(g) for g in match.groups())
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            return None
    return None


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
    text = raw.strip()
    if (
        len(text) <= 254
        and _PLAIN_EMAIL_RE.fullmatch(text)
        and "--" not in text.rpartition("@")[2]
        and text.rpartition(".")[2].lower() not in _RESERVED_TLDS
        and len(text.partition("@")[0]) <= 64
    ):
        return text.lower()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address ({exc}); expected name@example.com") from None


def normalize_phone(raw: str, region: str) -> str:
    """E.164 (``+15550102000``) where the number is complete for ``region`` (not a
    local-only number such as 555-1234); otherwise the text as typed.

    Raises ValueError when there are fewer than 7 or more than 15 digits (an extension such as
    ``x123`` not counted), or letters.
    """
    text = raw.strip()
    if region == "US":
        match = _NANP_RE.fullmatch(text)
        # phonenumbers reads a leading 1 without + as the trunk prefix only before an area code 2-9
        if match and (match["plus"] or not match["prefix"] or (match["area"] or match["p_area"])[0] not in "01"):
            return "+1" + (match["area"] or match["p_area"]) + match["exchange"] + match["line"]
    number_part = _EXTENSION_RE.sub("", text)
    digits = re.sub(r"\D", "", number_part)
    if re.search(r"[A-Za-z]", number_part) or not 7 <= len(digits) <= 15:
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


_OPTION_NOISE_RE = re.compile(r"[\s_\-]+")


@lru_cache(maxsize=4096)  # an enumeration column of an import repeats a few values many times
def _option_key(text: str) -> str:
    return _OPTION_NOISE_RE.sub("", fold(text))


@lru_cache(maxsize=256)
def _option_index(options: tuple[tuple[str, str], ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in reversed(options):  # the first matching option wins, as when scanning in order
        index[_option_key(label)] = value
        index[_option_key(value)] = value
    return index


def match_option(options: list[tuple[str, str]], raw: Any) -> str:
    """The option value matching ``raw`` by value or label, ignoring case, accents, spaces and _.

    Raises ValueError listing the accepted values.
    """
    key = _option_key(str(raw))
    index = _option_index(tuple(options))
    if key in index:
        return index[key]
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


@lru_cache(maxsize=64)  # a batch renders the same "now" in every record it writes
def _datetime_to_api(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_api(value: Any) -> str | None:
    """HubSpot's string form of a stored value: datetimes as ``2026-11-20T09:00:00.000Z``,
    numbers without trailing zeros, booleans as ``true``/``false``."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _datetime_to_api(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
