"""The API reference page's content, read from the OpenAPI document (one source of truth).

Descriptions in the document are written in a small part of Markdown: paragraphs split by
blank lines and `code` spans. They are rendered here with exactly that markup and every
other character escaped, so the page never shows backticks nor trusts the text as HTML.
The words the page adds itself (types, constraints, where a parameter goes) are
translated; the document's own text stays as the API describes itself, in English.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

CODE_SPAN = re.compile(r"`([^`\n]+)`")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _constraint_templates() -> tuple[tuple[str, str], ...]:
    # Built per request: the page is read in the visitor's language.
    return (
        ("minimum", _("≥ {}")),
        ("exclusiveMinimum", _("> {}")),
        ("maximum", _("≤ {}")),
        ("minLength", _("at least {} characters")),
        ("maxLength", _("at most {} characters")),
        ("minItems", _("at least {} items")),
        ("maxItems", _("at most {} items")),
        ("maxProperties", _("at most {} keys")),
        ("default", _("default {}")),
    )


def _inline(text: str) -> str:
    """Escaped text with `code` spans as <code>."""
    out, position = [], 0
    for match in CODE_SPAN.finditer(text):
        out.append(escape(text[position : match.start()]))
        out.append(format_html("<code>{}</code>", match.group(1)))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def render_markup(text: str, *, inline: bool = False) -> SafeString:
    """A description as safe HTML: <p> per paragraph (or one run of text when `inline`),
    code spans, everything else escaped."""
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in PARAGRAPH_BREAK.split(textwrap.dedent(text or "").strip())
    ]
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    if inline:
        return mark_safe(" ".join(_inline(p) for p in paragraphs))  # noqa: S308 - escaped above  # nosec B308, B703
    html = "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
    return mark_safe(html)  # noqa: S308 - every piece escaped in _inline  # nosec B308, B703


@dataclass(frozen=True)
class TypePart:
    text: str
    anchor: str = ""
    # A connecting word of the page ("or", "array of"): prose, not code.
    word: bool = False


@dataclass
class Field:
    name: str
    type: list[TypePart]
    required: bool
    description: str = ""
    constraints: list[str] = field(default_factory=list)
    location: str = ""


@dataclass
class Response:
    status: str
    description: str
    type: list[TypePart]
    headers: list[str]


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    auth: bool
    parameters: list[Field]
    body: list[TypePart]
    body_required: bool
    responses: list[Response]


@dataclass
class SchemaDoc:
    name: str
    anchor: str
    description: str
    fields: list[Field]


def _location(where: str) -> str:
    names = {"query": _("query"), "path": _("path"), "header": _("header"), "cookie": _("cookie")}
    return names.get(where, where)


def _anchor(name: str) -> str:
    return f"schema-{name}"


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_parts(schema: dict) -> list[TypePart]:
    """A readable type: `PaymentOut`, `array of MethodCode`, `string or null`."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return [TypePart(name, _anchor(name))]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts: list[TypePart] = []
            for index, option in enumerate(schema[combinator]):
                if index:
                    parts.append(TypePart(_(" or "), word=True))
                parts.extend(type_parts(option))
            return parts
    kind = schema.get("type", "any")
    if "const" in schema:
        return [TypePart(f'"{schema["const"]}"')]
    if "enum" in schema:
        return [TypePart(" | ".join(f'"{value}"' for value in schema["enum"]))]
    if kind == "array":
        return [TypePart(_("array of "), word=True), *type_parts(schema.get("items", {}))]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [TypePart(_("object of "), word=True), *type_parts(schema["additionalProperties"])]
    if "format" in schema:
        return [TypePart(f"{kind} ({schema['format']})")]
    return [TypePart(str(kind))]


def _constraints(schema: dict) -> list[str]:
    found = [
        template.format(schema[key]) for key, template in _constraint_templates() if key in schema
    ]
    for option in schema.get("anyOf", []):
        found.extend(_constraints(option))
    return found


def _fields(schema: dict) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        Field(
            name=name,
            type=type_parts(prop),
            required=name in required,
            description=render_markup(prop.get("description", ""), inline=True),
            constraints=_constraints(prop),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _body_ref(operation: dict) -> tuple[list[TypePart], bool]:
    body = operation.get("requestBody")
    if not body:
        return [], False
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    return type_parts(schema), bool(body.get("required"))


def build_reference(document: dict) -> tuple[list[Operation], list[SchemaDoc]]:
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = [
                Field(
                    name=param["name"],
                    type=type_parts(param.get("schema", {})),
                    required=bool(param.get("required")),
                    description=render_markup(
                        param.get("description") or param.get("schema", {}).get("description", ""),
                        inline=True,
                    ),
                    constraints=_constraints(param.get("schema", {})),
                    location=_location(param.get("in", "")),
                )
                for param in operation.get("parameters", [])
            ]
            body, body_required = _body_ref(operation)
            responses = []
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(
                    Response(
                        status=status,
                        description=render_markup(response.get("description", ""), inline=True),
                        type=type_parts(schema) if schema else [],
                        headers=list(response.get("headers", {})),
                    )
                )
            operations.append(
                Operation(
                    anchor=operation.get("operationId", f"{method}-{path}"),
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=render_markup(operation.get("description", "")),
                    auth=bool(operation.get("security")),
                    parameters=parameters,
                    body=body,
                    body_required=body_required,
                    responses=responses,
                )
            )
    schemas = [
        SchemaDoc(
            name=name,
            anchor=_anchor(name),
            description=render_markup(schema.get("description", "")),
            fields=_fields(schema),
        )
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        if schema.get("type") == "object" or "properties" in schema
    ]
    enums = [
        SchemaDoc(
            name=name,
            anchor=_anchor(name),
            description=render_markup(" | ".join(f'`"{value}"`' for value in schema["enum"])),
            fields=[],
        )
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        if "enum" in schema
    ]
    return operations, schemas + enums
