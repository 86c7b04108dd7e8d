"""The API reference page's content, read from the OpenAPI document (one source of truth)."""

from __future__ import annotations

from dataclasses import dataclass, field

CONSTRAINTS = (
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("maxProperties", "at most {} keys"),
    ("default", "default {}"),
)


@dataclass(frozen=True)
class TypePart:
    text: str
    anchor: str = ""


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
                    parts.append(TypePart(" or "))
                parts.extend(type_parts(option))
            return parts
    kind = schema.get("type", "any")
    if "const" in schema:
        return [TypePart(f'"{schema["const"]}"')]
    if "enum" in schema:
        return [TypePart(" | ".join(f'"{value}"' for value in schema["enum"]))]
    if kind == "array":
        return [TypePart("array of "), *type_parts(schema.get("items", {}))]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [TypePart("object of "), *type_parts(schema["additionalProperties"])]
    if "format" in schema:
        return [TypePart(f"{kind} ({schema['format']})")]
    return [TypePart(str(kind))]


def _constraints(schema: dict) -> list[str]:
    found = [template.format(schema[key]) for key, template in CONSTRAINTS if key in schema]
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
            description=prop.get("description", ""),
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
                    description=param.get("description")
                    or param.get("schema", {}).get("description", ""),
                    constraints=_constraints(param.get("schema", {})),
                    location=param.get("in", ""),
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
                        description=response.get("description", ""),
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
                    description=operation.get("description", ""),
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
            description=schema.get("description", ""),
            fields=_fields(schema),
        )
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        if schema.get("type") == "object" or "properties" in schema
    ]
    enums = [
        SchemaDoc(
            name=name,
            anchor=_anchor(name),
            description=" | ".join(f'"{value}"' for value in schema["enum"]),
            fields=[],
        )
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        if "enum" in schema
    ]
    return operations, schemas + enums
