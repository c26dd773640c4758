"""Input hygiene for drafts: refuse header injection and oversized input, turn HTML into text.

Everything crm-agent sends is plain text. A body that contains HTML is converted: tags are
dropped, ``<script>``/``<style>`` elements are removed with their content, block elements become
line breaks and entities are decoded. A subject, sender or address with a line break (the shape of
an SMTP header injection) is refused outright, as are bodies beyond :data:`MAX_INPUT_BODY`.
"""

from __future__ import annotations

import html
import re
from email.utils import parseaddr
from html.parser import HTMLParser

from crm_agent.errors import FieldError, ValidationFailed

MAX_INPUT_BODY = 100_000  # characters accepted into a draft at all (sending needs <= 2,000)
MAX_SUBJECT = 998  # RFC 5322 line limit
MAX_RECIPIENTS = 50
_HTML_HINT = re.compile(
    r"<\s*(/?\s*(html|body|head|p|br|div|span|a|b|i|strong|em|ul|ol|li|table|tr|td|h[1-6]|script|style|img|iframe)\b)",
    re.I,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.removed = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skipping += 1
            self.removed += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f"[{href}] ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """Whether ``text`` contains HTML tags (rather than a stray ``<`` or an ``<address>``)."""
    return bool(_HTML_HINT.search(text))


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment; scripts and styles are removed with their content."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    out = html.unescape("".join(parser.parts))
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def clean_body(body: str, field: str = "body") -> str:
    """The body as it will be stored: size-checked, HTML converted, control characters removed,
    line endings normalized. Raises ValidationFailed for a body beyond MAX_INPUT_BODY."""
    if len(body) > MAX_INPUT_BODY:
        raise ValidationFailed(
            [FieldError(field, f"{len(body)} characters", f"is too large; at most {MAX_INPUT_BODY} characters")]
        )
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    return _CONTROL.sub("", text).strip() + "\n"


def single_line(value: str, field: str, limit: int = MAX_SUBJECT) -> str:
    """A header value: refused if it holds a line break (header injection) or is too long."""
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValidationFailed(
            [FieldError(field, value, "must be one line: line breaks in a header are refused (header injection)")]
        )
    value = _CONTROL.sub("", value).strip()
    if len(value) > limit:
        raise ValidationFailed([FieldError(field, f"{len(value)} characters", f"is too long; at most {limit}")])
    return value


def split_address(raw: str, field: str = "to") -> tuple[str, str]:
    """``"Ann Lee <ann@acme.com>"`` -> ``("Ann Lee", "ann@acme.com")``. Raises ValidationFailed for a
    line break; an address that is merely invalid is returned as given (validation blocks it)."""
    text = single_line(raw, field, 320 + 200)
    if "<" in text or ">" in text:
        name, address = parseaddr(text)
        if address:
            return name.strip(), address.strip().lower()
    return "", text.strip().lower()
