"""The contract is the single source of the REST surface: every google.api.http rule of the descriptor set Envoy
loads is routed to its service by the running Envoy, and every REST route Envoy has serves some rule.

The routes come from Envoy's own config dump (what it really loaded, not the template text); matching follows
Envoy's rules for the kinds of matchers the gateway uses (exact path, prefix, regex, header conditions).
"""

import re
from typing import Any

import httpx
import pytest

from devmesh.mesh import Mesh
from tests.contract import CLUSTERS, contract_rules

TRANSCODER = "envoy.filters.http.grpc_json_transcoder"


_MATCHERS = {"path", "prefix", "path_separated_prefix", "safe_regex", "headers"}


def _matches(route: dict[str, Any], method: str, path: str) -> bool:
    match = route["match"]
    unknown = set(match) - _MATCHERS
    assert not unknown, f"teach this test Envoy's {unknown} matcher (route {match})"
    if "path" in match and match["path"] != path:
        return False
    separated = match.get("path_separated_prefix")
    if separated is not None and not (path == separated or path.startswith(separated + "/")):
        return False
    if "prefix" in match and not path.startswith(match["prefix"]):
        return False
    if "safe_regex" in match and not re.fullmatch(match["safe_regex"]["regex"], path):
        return False
    for header in match.get("headers", []):
        # The probe request carries only its method; any other header condition does not hold for it.
        if header["name"] != ":method" or header.get("string_match", {}).get("exact") != method:
            return False
    return True


def first_route(routes: list[dict[str, Any]], method: str, path: str) -> dict[str, Any] | None:
    return next((route for route in routes if _matches(route, method, path)), None)


def _transcoded(route: dict[str, Any]) -> bool:
    return not route.get("typed_per_filter_config", {}).get(TRANSCODER, {}).get("disabled", False)


def _native_grpc(route: dict[str, Any]) -> bool:
    match = route["match"]
    return str(match.get("path", match.get("prefix", ""))).startswith(("/voketag.", "/grpc."))


@pytest.fixture(scope="module")
def routes(mesh: Mesh) -> list[dict[str, Any]]:
    dump = httpx.get(f"http://127.0.0.1:{mesh.admin_port}/config_dump", params={"resource": "static_listeners"})
    dump.raise_for_status()
    (listener,) = [config["listener"] for config in dump.json()["configs"] if config["listener"]["name"] == "public"]
    manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
    (host,) = manager["route_config"]["virtual_hosts"]
    return list(host["routes"])


def test_the_descriptor_set_has_a_rule_for_every_rpc() -> None:
    rules = contract_rules()
    assert {rule.service for rule in rules} == set(CLUSTERS)
    assert len(rules) > 50


def test_every_rule_is_routed_to_its_service(routes: list[dict[str, Any]]) -> None:
    problems = []
    for rule in contract_rules():
        route = first_route(routes, rule.verb, rule.sample_path)
        where = f"{rule.verb} {rule.template} ({rule.service}.{rule.method})"
        if route is None or "route" not in route:
            problems.append(f"{where}: no forwarding route")
        elif route["route"]["cluster"] != CLUSTERS[rule.service]:
            problems.append(f"{where}: routed to {route['route']['cluster']}")
        elif not _transcoded(route):
            problems.append(f"{where}: the transcoder is disabled on its route")
        elif rule.streaming and route["route"].get("timeout") != "0s":
            problems.append(f"{where}: a streaming method needs timeout 0s, has {route['route'].get('timeout')}")
    assert not problems, problems


def test_every_rpc_has_a_native_grpc_route_to_its_service(routes: list[dict[str, Any]]) -> None:
    problems = []
    for rule in {(rule.service, rule.method, rule.streaming) for rule in contract_rules()}:
        service, method, streaming = rule
        route = first_route(routes, "POST", f"/{service}/{method}")
        if route is None or route.get("route", {}).get("cluster") != CLUSTERS[service]:
            problems.append(f"/{service}/{method}: not routed to {CLUSTERS[service]}")
        elif streaming and route["route"].get("timeout") != "0s":
            problems.append(f"/{service}/{method}: streaming, but timeout {route['route'].get('timeout')}")
    assert not problems, problems


def test_every_rest_route_serves_a_rule(routes: list[dict[str, Any]]) -> None:
    """No hand-written REST route without a rule behind it (a typo, a removed RPC, a route shadowed by another)."""
    used = set()
    for rule in contract_rules():
        route = first_route(routes, rule.verb, rule.sample_path)
        if route is not None:
            used.add(routes.index(route))
    unused = [
        route["match"]
        for index, route in enumerate(routes)
        if route.get("route", {}).get("cluster") in CLUSTERS.values() and not _native_grpc(route) and index not in used
    ]
    assert not unused, f"REST routes that no google.api.http rule reaches: {unused}"
