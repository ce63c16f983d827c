"""Render gateway/envoy.yaml.tmpl into an Envoy config.

    python -m gateway.render --out envoy.yaml listen_port=8080 admin_port=9901 ...

Every placeholder must be given; a missing one raises KeyError (string.Template.substitute). An upstream is
``<name>_host`` and its port, or ``<name>_endpoints=host:port,host:port`` for several replicas. The console's
routes (``console_routes``, ``console_max_body``) are rendered from its build output unless given, and so are the
API description's and its docs page's (``api_docs_routes``, ``api_docs_max_body``) from gateway/openapi.json,
gateway/api-docs/ and npm's swagger-ui-dist; ``static_max_body`` is the larger of the two limits. Optional:
``geoip_country_db`` (the edge's country lookup) and ``otlp_traces_endpoint`` (Envoy's OpenTelemetry tracing).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

TEMPLATE_PATH = Path(__file__).with_name("envoy.yaml.tmpl")
DESCRIPTOR_PATH = Path(__file__).with_name("voketag.binpb")
# Values a deployment may leave out; ${geoip_filter} is derived from geoip_country_db, ${tracing} and
# ${tracing_cluster} from otlp_traces_endpoint.
OPTIONAL = {"geoip_country_db": "", "otlp_traces_endpoint": ""}
_GEOIP_FILTER = """\
          - name: envoy.filters.http.geoip
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.geoip.v3.Geoip
              provider:
                name: envoy.geoip_providers.maxmind
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig
                  common_provider_config:
                    geo_field_keys: { country: x-client-country }
                  country_db_path: {path}"""


# The port placeholder of each upstream service (admin_port is Envoy's own admin interface).
UPSTREAM_PORTS = {"scan": "scan_port", "factory": "factory_port", "admin": "admin_port_svc", "anchor": "anchor_port"}
_LB_ENDPOINT = "        - endpoint: { address: { socket_address: { address: {host}, port_value: {port} } } }"


def lb_endpoints(values: Mapping[str, str]) -> dict[str, str]:
    """Each upstream cluster's endpoint list: one per replica of ``<name>_endpoints`` (host:port,host:port), or
    the one ``<name>_host`` and port. A missing value raises KeyError like any other placeholder."""
    rendered = {}
    for name, port_key in UPSTREAM_PORTS.items():
        given = values.get(f"{name}_endpoints", "")
        pairs = [item.rpartition(":")[::2] for item in given.split(",")] if given else []
        if not pairs:
            pairs = [(values[f"{name}_host"], values[port_key])]
        rendered[f"{name}_lb_endpoints"] = "\n".join(
            _LB_ENDPOINT.replace("{host}", json.dumps(host)).replace("{port}", str(int(port))) for host, port in pairs
        )
    return rendered


def geoip_filter(country_db: str) -> str:
    """The edge's country lookup (the client's own x-client-country is always removed before it); '' when unset."""
    return _GEOIP_FILTER.replace("{path}", json.dumps(country_db)) if country_db else ""


# Envoy's span is the first of a request's trace, or the child of the caller's traceparent; the services' spans
# are its children. No sampler: Envoy's own decision (random_sampling, 100 %) starts a trace, and a caller's
# traceparent keeps its sampled flag, as the services' parent-based SDK sampler does.
_TRACING = """\
          tracing:
            random_sampling: { value: 100 }
            # http.url without the path: /r/, /R/ and /api/verify/ paths carry product tokens, which are secrets
            # (docs/gateway.md); the route shows in the upstream cluster and the services' span names.
            max_path_tag_length: 0
            # the services put the request id on their spans under the same name (voketag/tracing.py)
            custom_tags:
            - tag: voketag.request_id
              request_header: { name: x-request-id }
            provider:
              name: envoy.tracers.opentelemetry
              typed_config:
                "@type": type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig
                service_name: envoy
                http_service:
                  http_uri: { uri: {uri}, cluster: otlp_collector, timeout: 5s }"""
_TRACING_CLUSTER = """\
  # OTLP/HTTP receiver of Envoy's spans (otlp_traces_endpoint)
  - name: otlp_collector
    type: STRICT_DNS
    dns_lookup_family: V4_PREFERRED
    connect_timeout: 1s
    load_assignment:
      cluster_name: otlp_collector
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: {host}, port_value: {port} } } }"""


def tracing(endpoint: str) -> dict[str, str]:
    """The connection manager's OpenTelemetry tracing and the cluster it exports to, from the OTLP/HTTP traces URL
    the services export to (http://collector:4318/v1/traces); both '' when unset (Envoy then only passes a
    caller's traceparent on). Plain HTTP only: Envoy 1.40 verifies a TLS collector only against a CA file of
    its own, which the mesh has no setting for."""
    if not endpoint:
        return {"tracing": "", "tracing_cluster": ""}
    url = urlsplit(endpoint)
    if url.scheme != "http" or not url.hostname:
        raise ValueError(f"otlp_traces_endpoint must be an http:// URL with a host, got {endpoint!r}")
    cluster = _TRACING_CLUSTER.replace("{host}", json.dumps(url.hostname)).replace("{port}", str(url.port or 80))
    return {"tracing": _TRACING.replace("{uri}", json.dumps(endpoint)), "tracing_cluster": cluster}


CONSOLE_DIST = Path(__file__).resolve().parent.parent / "console" / "dist"

# The console's own policy: its script and styles come from this origin only (no inline code, no
# third-party origin) and it talks to nothing but this gateway.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
ROUTE_INDENT = " " * 14
NO_TRANSCODER = {
    "envoy.filters.http.grpc_json_transcoder": {
        "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
        "disabled": True,
    }
}


def _headers(content_type: str, cache: str) -> list[dict[str, object]]:
    pairs = {
        "Content-Type": content_type,
        "Cache-Control": cache,
        "Content-Security-Policy": CONSOLE_CSP,
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    return [
        {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
        for key, value in pairs.items()
    ]


def _file_route(match: dict[str, object], path: Path, cache: str) -> dict[str, object]:
    return {
        "match": match,
        "direct_response": {"status": 200, "body": {"filename": str(path)}},
        "response_headers_to_add": _headers(CONTENT_TYPES.get(path.suffix, "application/octet-stream"), cache),
        "typed_per_filter_config": NO_TRANSCODER,
    }


def console_values(dist: Path = CONSOLE_DIST) -> dict[str, str]:
    """Envoy routes serving the console build: each hashed asset at its own path (cached for good, its
    name changes with its content) and index.html for /console/ and every deep link below it (never
    cached, so a new build is picked up). Envoy reads the files when it loads the config."""
    index = dist / "index.html"
    if not index.is_file():
        # Loud but not fatal: the APIs work without the console; `make console` builds it.
        routes: list[dict[str, object]] = [
            {
                "match": {"prefix": "/console"},
                "direct_response": {"status": 503, "body": {"inline_string": "console not built: run `make console`"}},
                "typed_per_filter_config": NO_TRANSCODER,
            }
        ]
        return {"console_routes": _yaml_routes(routes), "console_max_body": "4096"}
    assets = sorted(p for p in dist.rglob("*") if p.is_file() and p != index and ".vite" not in p.parts)
    routes = [
        _file_route(
            {"path": f"/console/{p.relative_to(dist).as_posix()}"},
            p,
            # hashed names (assets/) change with their content; the others (favicon) keep theirs
            "public, max-age=31536000, immutable" if p.parent.name == "assets" else "no-cache",
        )
        for p in assets
    ]
    routes.append(
        {
            "match": {"path": "/console"},
            "redirect": {"path_redirect": "/console/"},
            "typed_per_filter_config": NO_TRANSCODER,
        }
    )
    routes.append(_file_route({"prefix": "/console/"}, index, "no-cache"))
    largest = max(p.stat().st_size for p in [index, *assets])
    return {"console_routes": _yaml_routes(routes), "console_max_body": str(max(4096, largest + 1))}


API_DOCS = Path(__file__).resolve().parent / "api-docs"
SWAGGER_UI = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"


def api_docs_values() -> dict[str, str]:
    """Envoy routes serving the OpenAPI description (/openapi.json) and a Swagger UI page over it (/docs/api),
    with the console's headers and CSP (the page's script is a file; no inline code). Never cached long: they
    change with the contracts and with npm updates."""
    files = {
        "/openapi.json": Path(__file__).with_name("openapi.json"),
        "/docs/api": API_DOCS / "index.html",
        "/docs/api/init.js": API_DOCS / "init.js",
        "/docs/api/swagger-ui-bundle.js": SWAGGER_UI / "swagger-ui-bundle.js",
        "/docs/api/swagger-ui.css": SWAGGER_UI / "swagger-ui.css",
    }
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        # Loud but not fatal, like the console: `make install` brings Swagger UI, `make gen` the description.
        route = {
            "match": {"prefix": "/docs/api"},
            "direct_response": {"status": 503, "body": {"inline_string": "API docs not installed: run `make install`"}},
            "typed_per_filter_config": NO_TRANSCODER,
        }
        return {"api_docs_routes": _yaml_routes([route]), "api_docs_max_body": "4096"}
    get = [{"name": ":method", "string_match": {"exact": "GET"}}]
    routes = [_file_route({"path": path, "headers": get}, file, "no-cache") for path, file in files.items()]
    largest = max(file.stat().st_size for file in files.values())
    return {"api_docs_routes": _yaml_routes(routes), "api_docs_max_body": str(largest + 1)}


def _yaml_routes(routes: list[dict[str, object]]) -> str:
    # JSON is YAML: one flow mapping per route, indented as an item of the template's route list.
    return "\n".join(f"{ROUTE_INDENT}- {json.dumps(route)}" for route in routes)


def placeholders() -> set[str]:
    """Names the template expects."""
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return set(template.get_identifiers())


def missing(values: Mapping[str, str | int]) -> list[str]:
    """What a deployment must give and ``values`` lacks: the template's placeholders that render does not derive
    itself, and each upstream's host and port unless its replicas are listed (``<name>_endpoints``)."""
    derived = {
        *(f"{name}_lb_endpoints" for name in UPSTREAM_PORTS),
        *console_values().keys(),
        *api_docs_values().keys(),
        *tracing("").keys(),
        "geoip_filter",
        "static_max_body",
    }
    needed = placeholders() - derived
    for name, port_key in UPSTREAM_PORTS.items():
        if f"{name}_endpoints" not in values:
            needed |= {f"{name}_host", port_key}
    return sorted(needed - values.keys())


def render(values: Mapping[str, str | int]) -> str:
    """Substitute ``values`` into the template; fails loudly on a missing name."""
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    given = {**OPTIONAL, **console_values(), **api_docs_values(), **{key: str(value) for key, value in values.items()}}
    static_max_body = str(max(int(given["console_max_body"]), int(given["api_docs_max_body"])))
    return template.substitute(
        {
            **given,
            **lb_endpoints(given),
            "geoip_filter": geoip_filter(given["geoip_country_db"]),
            **tracing(given["otlp_traces_endpoint"]),
            "static_max_body": static_max_body,
        }
    )


def _parse_pairs(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"expected key=value, got {pair!r}")
        values[key] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.render", description=__doc__)
    parser.add_argument("--out", type=Path, help="output file (default: stdout)")
    parser.add_argument("values", nargs="*", metavar="key=value")
    args = parser.parse_args(argv)
    values: dict[str, str | int] = {"descriptor": str(DESCRIPTOR_PATH.resolve())}
    values.update(_parse_pairs(args.values))
    absent = missing(values)
    if absent:
        parser.error(f"missing values: {', '.join(absent)}")
    try:
        text = render(values)
    except ValueError as exc:
        parser.error(str(exc))
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
