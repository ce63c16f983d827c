"""The OpenAPI description: generated from proto/, valid, complete, served through Envoy with its docs page, and a
bounded property-based run (schemathesis) against the mesh through Envoy finds no 5xx."""

import json
import re
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from devmesh.mesh import Mesh
from gateway import openapi
from tests.contract import contract_rules
from voketag.auth import Role, TokenSigner

COMMITTED = openapi.OUT_PATH.read_text(encoding="utf-8")
DOCUMENT: dict[str, Any] = json.loads(COMMITTED)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)


def test_committed_description_is_generated_from_the_contracts() -> None:
    assert openapi.generate() == COMMITTED, "run `make gen` and commit gateway/openapi.json"


def test_description_is_valid_openapi() -> None:
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.0")


def test_every_rule_of_the_contract_is_described() -> None:
    variable = re.compile(r"\{([^}=]+)(=[^}]*)?\}")
    described = {(verb.upper(), path) for path, item in DOCUMENT["paths"].items() for verb in item}
    for rule in contract_rules():
        path = variable.sub(lambda match: "{" + openapi.path_parameter(match.group(1)) + "}", rule.template)
        assert (rule.verb, path) in described, (rule.service, rule.method)
    verify = DOCUMENT["paths"]["/api/verify/{token}"]["post"]
    assert verify["security"] == []  # public
    batches = DOCUMENT["paths"]["/v1/batches"]["post"]
    assert "Callers: ROLE_ADMIN, ROLE_OPERATOR, ROLE_SERVICE_ACCOUNT." in batches["description"]
    assert batches["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/voketag.factory.v1.CreateBatchRequest"
    }
    gtin = DOCUMENT["components"]["schemas"]["voketag.factory.v1.CreateBatchRequest"]["properties"]["gtin"]
    assert gtin["type"] == "string" and "check digit" in gtin["description"]


async def test_description_and_docs_page_are_served_through_envoy(gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        served = await client.get("/openapi.json")
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/json"
        assert served.json() == DOCUMENT
        page = await client.get("/docs/api")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in page.text  # no inline script: the CSP would block it
        for asset, kind in re.findall(r'(?:src|href)="(/docs/api/[^"]+\.(js|css))"', page.text):
            reply = await client.get(asset)
            assert reply.status_code == 200, asset
            assert reply.headers["content-type"].startswith("text/javascript" if kind == "js" else "text/css")
            assert len(reply.content) > 100
        refused = await client.post("/openapi.json")
        assert refused.status_code in (404, 405)


@pytest.fixture(scope="module")
def admin_headers(mesh: Mesh) -> dict[str, str]:
    signer = TokenSigner(mesh.signing_key, "dev", "voketag", "voketag-api")
    return {"authorization": f"Bearer {signer.mint('schemathesis-admin', Role.ADMIN)}"}


@SCHEMA.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_makes_a_5xx(case: schemathesis.Case, gateway: str, admin_headers: dict[str, str]) -> None:
    """A few generated requests per operation, as an admin (the widest access), through Envoy; only the
    server-error check: other answers (400, 404, 409, 429, ...) are the API refusing nonsense."""
    # Headers schemathesis adds on its own go too: names outside gRPC's metadata alphabet get a 400 at the edge.
    response = case.call(base_url=gateway, headers={**(case.headers or {}), **admin_headers}, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])


def test_docs_page_renders_every_operation_in_chromium(gateway: str, browser: webdriver.Chrome) -> None:
    """The page's scripts run under its CSP (no inline script, no eval) and Swagger UI lists every operation."""
    browser.get(f"{gateway}/docs/api")
    operations = sum(len(item) for item in DOCUMENT["paths"].values())
    WebDriverWait(browser, 30).until(lambda seen: len(seen.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations)
    assert "VokeTag REST API" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path[data-path='/v1/epcis/events']")
