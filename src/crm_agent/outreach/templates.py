"""Email templates: Jinja2 files with a ``subject`` and a ``body`` block.

The built-in templates live next to this module (``templates/NAME.j2``); a file of the same
name in ``DATA_DIR/templates/email/`` overrides one, and a new name there adds a template.
Each file starts with a comment giving its ``category``, a ``description`` and the variables it
``needs``::

    {# category: notification
       description: Tells the team a contact was created.
       needs: contact #}
    {% block subject %}New contact: {{ contact.name }}{% endblock %}
    {% block body %}...{% endblock %}

Templates render in Jinja's sandbox with ``StrictUndefined``: a variable the caller did not
supply is an error naming it, never an empty hole in a sent email. Filters: ``money(currency)``,
``localdate`` and ``localtime`` (in the configured time zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from crm_agent.crm.values import parse_datetime
from crm_agent.errors import FieldError, NotFound, ValidationFailed
from crm_agent.outreach.models import CATEGORIES

BUILTIN_DIR = Path(__file__).with_name("templates")
_META = re.compile(r"\A\s*\{#(.*?)#\}", re.S)


@dataclass(frozen=True)
class TemplateInfo:
    """A template's name, category, description, needed variables and where it comes from."""

    name: str
    category: str
    description: str
    needs: list[str]
    source: str  # "built-in" or "data dir"


@dataclass(frozen=True)
class Rendered:
    """A rendered template."""

    subject: str
    body: str
    category: str


def override_dir(data_dir: Path) -> Path:
    """Where templates that override or add to the built-in ones live."""
    return Path(data_dir) / "templates" / "email"


def _money(value: Any, currency: str | None = None) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f} {currency or ''}".strip()


class Templates:
    """The template catalogue of one data directory."""

    def __init__(self, data_dir: Path, tz: ZoneInfo):
        self.user_dir = override_dir(data_dir)
        self.tz = tz
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(self.user_dir)), FileSystemLoader(str(BUILTIN_DIR))]),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["money"] = _money
        self.env.filters["localdate"] = lambda v: self._local(v).date().isoformat() if v else "-"
        self.env.filters["localtime"] = lambda v: self._local(v).strftime("%Y-%m-%d %H:%M %Z") if v else "-"

    def _local(self, value: Any) -> datetime:
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return parse_datetime(value).astimezone(self.tz)

    def names(self) -> list[str]:
        """Every template name, built-in and from the data directory."""
        found = {p.stem for p in BUILTIN_DIR.glob("*.j2")}
        if self.user_dir.is_dir():
            found |= {p.stem for p in self.user_dir.glob("*.j2")}
        return sorted(found)

    def info(self, name: str) -> TemplateInfo:
        """The metadata of template ``name``; raises NotFound."""
        path = self._path(name)
        meta: dict[str, str] = {}
        match = _META.match(path.read_text(encoding="utf-8"))
        if match:
            key = None
            for line in match.group(1).splitlines():
                m = re.match(r"\s*(\w+)\s*:\s*(.*)", line)
                if m:
                    key = m.group(1).lower()
                    meta[key] = m.group(2).strip()
                elif key and line.strip():
                    meta[key] += " " + line.strip()
        category = meta.get("category", "notification")
        if category not in CATEGORIES:
            category = "notification"
        needs = [n.strip() for n in meta.get("needs", "").split(",") if n.strip()]
        source = "data dir" if path.parent == self.user_dir else "built-in"
        return TemplateInfo(name, category, meta.get("description", ""), needs, source)

    def all(self) -> list[TemplateInfo]:
        """Metadata of every template."""
        return [self.info(n) for n in self.names()]

    def _path(self, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9_]+", name or ""):
            raise NotFound("email template", name, f"templates are: {', '.join(self.names())}")
        for folder in (self.user_dir, BUILTIN_DIR):
            path = folder / f"{name}.j2"
            if path.is_file():
                return path
        raise NotFound("email template", name, f"templates are: {', '.join(self.names())}")

    def render(self, name: str, variables: dict[str, Any]) -> Rendered:
        """Render template ``name``. Raises NotFound for an unknown template and ValidationFailed
        naming the missing variable or the template error."""
        info = self.info(name)
        try:
            template = self.env.get_template(f"{name}.j2")
            context = template.new_context(dict(variables))
            parts = {}
            for block in ("subject", "body"):
                if block not in template.blocks:
                    raise ValidationFailed([FieldError("template", name, f"has no {{% block {block} %}}")])
                parts[block] = "".join(template.blocks[block](context))
        except TemplateNotFound:
            raise NotFound("email template", name) from None
        except UndefinedError as exc:
            raise ValidationFailed(
                [FieldError("template", name, f"needs a value it was not given: {exc.message}")]
            ) from None
        except TemplateError as exc:
            raise ValidationFailed([FieldError("template", name, f"cannot be rendered: {exc}")]) from None
        subject = " ".join(parts["subject"].split())
        body = re.sub(r"\n{3,}", "\n\n", parts["body"]).strip("\n") + "\n"
        return Rendered(subject, body, info.category)
