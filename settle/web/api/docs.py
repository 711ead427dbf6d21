"""The API's reference page at /docs: /openapi.json rendered on the server as plain HTML. FastAPI's own
pages (Swagger UI, ReDoc) load their JavaScript from a CDN, which Settle's Content-Security-Policy refuses
and an offline server cannot reach; this page needs no script at all, and its one stylesheet is served here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
_METHODS = ("get", "post", "put", "patch", "delete")

router = APIRouter(include_in_schema=False)


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    parameters: list[dict[str, Any]]
    body: str | None
    responses: list[tuple[str, str, str]]  # status, description, schema
    secured: bool

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass
class Group:
    tag: str
    operations: list[Operation] = field(default_factory=list)


@router.get("/docs", response_class=HTMLResponse)
def reference(request: Request) -> HTMLResponse:
    """The reference page, made from the app's OpenAPI document."""
    document = request.app.openapi()
    page = _templates.get_template("docs.html").render(
        title=document["info"]["title"],
        version=document["info"]["version"],
        groups=_groups(document),
        schemas=_schemas(document),
        schema_names=set(document.get("components", {}).get("schemas", {})),
    )
    return HTMLResponse(page)


@router.get("/docs/docs.css")
def stylesheet() -> Response:
    return Response((HERE / "static" / "docs.css").read_bytes(), media_type="text/css")


def _groups(document: dict[str, Any]) -> list[Group]:
    groups: dict[str, Group] = {}
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                operation = _operation(method, path, item[method])
                tag = (item[method].get("tags") or ["Other"])[0]
                groups.setdefault(tag, Group(tag)).operations.append(operation)
    return list(groups.values())


def _operation(method: str, path: str, spec: dict[str, Any]) -> Operation:
    parameters = [
        {
            "name": parameter["name"],
            "in": parameter["in"],
            "required": parameter.get("required", False),
            "type": type_of(parameter.get("schema", {})),
            "description": parameter.get("description") or parameter.get("schema", {}).get("description", ""),
        }
        for parameter in spec.get("parameters", [])
    ]
    content = spec.get("requestBody", {}).get("content", {})
    body = type_of(content["application/json"]["schema"]) if "application/json" in content else None
    responses = [
        (status, answer.get("description", ""), _answer_type(answer)) for status, answer in spec["responses"].items()
    ]
    return Operation(
        method=method.upper(),
        path=path,
        operation_id=spec.get("operationId", f"{method}-{path}"),
        summary=spec.get("summary", ""),
        description=spec.get("description", ""),
        parameters=parameters,
        body=body,
        responses=responses,
        secured=bool(spec.get("security")),
    )


def _answer_type(answer: dict[str, Any]) -> str:
    content = answer.get("content", {})
    for media_type, described in content.items():
        shown = type_of(described.get("schema", {}))
        return shown if media_type == "application/json" else f"{media_type} ({shown})"
    return ""


def _schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        properties = [
            {
                "name": key,
                "type": type_of(value),
                "required": key in required,
                "description": value.get("description", ""),
            }
            for key, value in schema.get("properties", {}).items()
        ]
        found.append({"name": name, "description": schema.get("description", ""), "properties": properties})
    return found


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: `Invoice`, `array of Invoice`, `string or null`, `"Due" | "Paid"`."""
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[-1])
    if "anyOf" in schema:
        return " or ".join(type_of(option) for option in schema["anyOf"])
    if "const" in schema or "enum" in schema:
        return " | ".join(f'"{value}"' for value in schema.get("enum", [schema.get("const")]))
    kind = str(schema.get("type", "any"))
    extra = schema.get("additionalProperties")
    if kind == "array":
        kind = f"array of {type_of(schema.get('items', {}))}"
    elif kind == "object" and isinstance(extra, dict):
        kind = f"map of {type_of(extra)}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind
