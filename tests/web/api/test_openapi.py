"""/openapi.json documents every API route as it answers: api-version, the bearer scheme, each status
code with its schema, and the answers themselves match the schemas they are documented with."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.routing import APIRoute

import settle.web.api
from tests.web.api.conftest import ADMIN, API_VERSION, CONTOSO, CONTOSO_BILLING, DUE_NOW, READER, Api

BASE = "/providers/Microsoft.Billing/billingAccounts/{billingAccountName}"
PROFILE = f"{BASE}/billingProfiles/{{billingProfileName}}"
PAY = f"{BASE}/invoices/{{invoiceName}}/pay"
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _document(api: Api) -> dict[str, Any]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _api_modules() -> list[ModuleType]:
    """Every module of settle.web.api with routes (each has a `router`)."""
    names = [info.name for info in pkgutil.iter_modules(settle.web.api.__path__)]
    modules = [importlib.import_module(f"settle.web.api.{name}") for name in names]
    return [module for module in modules if isinstance(getattr(module, "router", None), APIRouter)]


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        if path.startswith("/providers/")
        for method, operation in methods.items()
    }


def test_every_api_route_is_documented_with_api_version_and_the_bearer_token(api: Api) -> None:
    document = _document(api)
    operations = _operations(document)
    routes = {
        (method, route.path)
        for part in _api_modules()
        for route in part.router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/providers/")
        for method in route.methods
    }
    assert set(operations) == routes and len(routes) >= 39
    assert document["components"]["securitySchemes"]["SettleApiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["SettleApiToken"]["description"],
    }
    for operation in operations.values():
        version = next(p for p in operation["parameters"] if p["name"] == "api-version")
        assert version["in"] == "query" and version["required"] is True
        # The one version answered (schemathesis's valid requests were all refused while any text was allowed).
        assert version["schema"]["enum"] == [API_VERSION]
        assert operation["security"] == [{"SettleApiToken": []}]
        assert operation["operationId"]
    assert len({operation["operationId"] for operation in operations.values()}) == len(operations)


def test_the_download_links_file_is_documented_as_a_pdf_that_needs_no_token(api: Api) -> None:
    pdf = _document(api)["paths"]["/downloads/invoices/{invoiceName}.pdf"]["get"]
    assert "security" not in pdf and "api-version" not in [p["name"] for p in pdf["parameters"]]
    assert {p["name"] for p in pdf["parameters"] if p["required"]} == {"invoiceName", "key", "expires", "signature"}
    assert set(pdf["responses"]["200"]["content"]) == {"application/pdf"}
    assert {"304", "403", "404"} <= set(pdf["responses"])


def test_every_error_is_documented_in_azure_s_envelope_and_none_in_fastapi_s(api: Api) -> None:
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for key, operation in _operations(_document(api)).items():
        responses = operation["responses"]
        for status in ("400", "401", "404", "default"):
            assert responses[status]["content"] == envelope, (key, status)
        assert "HTTPValidationError" not in str(responses), key


def test_pay_documents_its_body_its_key_and_each_answer(api: Api) -> None:
    pay = _operations(_document(api))[("POST", PAY)]
    key = next(p for p in pay["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["in"], key["required"]) == ("header", True)
    schema = pay["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["paymentMethodId", "amount"]
    assert schema["properties"]["amount"]["properties"]["value"]["type"] == "number"
    documented = {
        status: response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for status, response in pay["responses"].items()
    }
    assert documented == {
        "200": "Payment",
        "202": "Payment",
        "400": "ErrorResponse",
        "401": "ErrorResponse",
        "402": "ErrorResponse",
        "403": "ErrorResponse",
        "404": "ErrorResponse",
        "409": "ErrorResponse",
        "422": "ErrorResponse",
        "503": "ErrorResponse",
        "default": "ErrorResponse",
    }


def _check(value: Any, schema: dict[str, Any], components: dict[str, Any], where: str = "$") -> None:
    """A small JSON Schema check for what FastAPI writes: $ref, anyOf, const/enum, types, properties."""
    if "$ref" in schema:
        _check(value, components[schema["$ref"].rsplit("/", 1)[1]], components, where)
        return
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                _check(value, option, components, where)
                return
            except AssertionError as problem:
                errors.append(str(problem))
        raise AssertionError(f"{where}: matches none of {errors}")
    if "const" in schema or "enum" in schema:
        assert value in schema.get("enum", [schema.get("const")]), f"{where}: {value!r} not in {schema}"
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "null": type(None)}
    if kind == "number":
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{where}: {value!r} is not a number"
    elif kind is not None:
        assert isinstance(value, checks[kind]), f"{where}: {value!r} is not {kind}"
    if schema.get("format") == "date-time":
        assert DATE_TIME.match(value), f"{where}: {value!r} is not an RFC 3339 date-time in UTC"
    if kind == "array":
        for index, item in enumerate(value):
            _check(item, schema["items"], components, f"{where}[{index}]")
    if kind == "object":
        properties = schema.get("properties", {})
        assert set(schema.get("required", [])) <= set(value), f"{where}: missing {set(schema['required']) - set(value)}"
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), f"{where}: undocumented {set(value) - set(properties)}"
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], components, f"{where}.{name}")


def _answers_as_documented(document: dict[str, Any], method: str, template: str, response: httpx.Response) -> None:
    operation = _operations(document)[(method, template)]
    documented = operation["responses"].get(str(response.status_code), operation["responses"]["default"])
    _check(response.json(), documented["content"]["application/json"]["schema"], document["components"]["schemas"])


def _pay(api: Api, number: str, card_id: str, value: str, key: str) -> httpx.Response:
    body = f'{{"paymentMethodId": "{card_id}", "amount": {{"currency": "EUR", "value": {value}}}}}'.encode()
    headers = {**api.headers(ADMIN), "Idempotency-Key": key, "Content-Type": "application/json"}
    path = f"{CONTOSO}/invoices/{number}/pay"
    return api.client.post(path, params={"api-version": API_VERSION}, content=body, headers=headers)


def test_the_answers_match_the_schemas_they_are_documented_with(api: Api) -> None:
    document = _document(api)
    card = api.get(f"{CONTOSO_BILLING}/paymentMethodLinks").json()["value"][0]["properties"]["paymentMethodId"]
    due = str(api.invoice(DUE_NOW).amount_due.to_decimal())
    other_due = str(api.invoice("G000100500").amount_due.to_decimal())
    samples = [
        (
            "GET",
            "/providers/Microsoft.Billing/billingAccounts",
            api.get("/providers/Microsoft.Billing/billingAccounts"),
        ),
        ("GET", BASE, api.get(CONTOSO)),
        ("GET", f"{BASE}/billingProfiles", api.get(f"{CONTOSO}/billingProfiles")),
        ("GET", f"{PROFILE}/invoiceSections", api.get(f"{CONTOSO_BILLING}/invoiceSections")),
        ("GET", f"{BASE}/invoices", api.get(f"{CONTOSO}/invoices", top=30)),
        ("GET", f"{PROFILE}/paymentMethodLinks", api.get(f"{CONTOSO_BILLING}/paymentMethodLinks")),
        ("GET", f"{BASE}/paymentMethods", api.get(f"{CONTOSO}/paymentMethods")),
        ("GET", f"{BASE}/billingPermissions", api.get(f"{CONTOSO}/billingPermissions")),
        ("GET", f"{BASE}/billingRoleDefinitions", api.get(f"{CONTOSO}/billingRoleDefinitions")),
        ("GET", f"{BASE}/billingRoleAssignments", api.get(f"{CONTOSO}/billingRoleAssignments")),
        ("GET", f"{BASE}/billingRoleAssignments", api.get(f"{CONTOSO}/billingRoleAssignments", user=READER)),
        ("POST", f"{BASE}/checkAccess", api.post(f"{CONTOSO}/checkAccess", {"actions": ["x"]})),
        ("GET", f"{BASE}/invoices", api.get(f"{CONTOSO}/invoices", user=None)),
        ("POST", PAY, _pay(api, DUE_NOW, card, due, "paid")),
        ("GET", f"{BASE}/invoices/{{invoiceName}}", api.get(f"{CONTOSO}/invoices/{DUE_NOW}")),
        ("POST", PAY, _pay(api, DUE_NOW, card, "{", "broken")),
        ("POST", PAY, _pay(api, "G000100500", card, "0", "changed")),
        ("POST", PAY, _pay(api, "G000100500", api.add_card("4000000000000002").id, other_due, "declined")),
        ("POST", PAY, _pay(api, "G000100500", api.add_card("4000002500003155").id, other_due, "challenged")),
    ]
    assert [response.status_code for _, _, response in samples][-6:] == [401, 200, 200, 400, 409, 402, 202][1:]
    assert {response.status_code for _, _, response in samples} == {200, 202, 400, 401, 402, 403, 409}
    for method, template, response in samples:
        _answers_as_documented(document, method, template, response)


def test_downloads_transactions_and_section_roles_answer_as_documented(api: Api) -> None:
    document = _document(api)
    started = api.post(f"{CONTOSO}/invoices/{DUE_NOW}/download", None)
    operation = started.headers["Location"].split("/operationResults/")[1].split("?")[0]
    section = f"{PROFILE}/invoiceSections/{{invoiceSectionName}}"
    card = api.get(f"{CONTOSO_BILLING}/paymentMethodLinks").json()["value"][0]["name"]
    samples = [
        ("GET", f"{BASE}/operationResults/{{operationName}}", api.get(f"{CONTOSO}/operationResults/{operation}")),
        ("GET", f"{BASE}/operationResults/{{operationName}}", api.get(f"{CONTOSO}/operationResults/x.1.y")),
        ("GET", f"{BASE}/invoices/{{invoiceName}}/transactions", api.get(f"{CONTOSO}/invoices/{DUE_NOW}/transactions")),
        (
            "GET",
            f"{section}/billingRoleAssignments",
            api.get(f"{CONTOSO_BILLING}/invoiceSections/CNTS-ENGR-SEC-001/billingRoleAssignments"),
        ),
        (
            "DELETE",
            "/providers/Microsoft.Billing/paymentMethods/{paymentMethodName}",
            api.delete(f"/providers/Microsoft.Billing/paymentMethods/{card}"),
        ),
    ]
    assert [response.status_code for _, _, response in samples] == [200, 404, 200, 200, 409]
    for method, template, response in samples:
        _answers_as_documented(document, method, template, response)
