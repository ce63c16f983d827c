"""Render gateway/envoy.yaml.tmpl into an Envoy config.

    python -m gateway.render --out envoy.yaml listen_port=8080 admin_port=9901 ...

Every placeholder must be given; a missing one raises KeyError (string.Template.substitute).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template

TEMPLATE_PATH = Path(__file__).with_name("envoy.yaml.tmpl")
DESCRIPTOR_PATH = Path(__file__).with_name("voketag.binpb")
ROOT = Path(__file__).resolve().parents[1]
# Values a deployment may leave out; ${geoip_filter} is derived from geoip_country_db. The static files of the API
# docs default to this checkout (gateway/ and node_modules/ after `make install`).
OPTIONAL = {
    "geoip_country_db": "",
    "openapi_file": str(ROOT / "gateway" / "openapi.json"),
    "api_docs_dir": str(ROOT / "gateway" / "api-docs"),
    "swagger_ui_dir": str(ROOT / "node_modules" / "swagger-ui-dist"),
}
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


def geoip_filter(country_db: str) -> str:
    """The edge's country lookup (the client's own x-client-country is always removed before it); '' when unset."""
    return _GEOIP_FILTER.replace("{path}", json.dumps(country_db)) if country_db else ""


def placeholders() -> set[str]:
    """Names the template expects."""
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return set(template.get_identifiers())


def render(values: Mapping[str, str | int]) -> str:
    """Substitute ``values`` into the template; fails loudly on a missing name."""
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    given = {**OPTIONAL, **{key: str(value) for key, value in values.items()}}
    return template.substitute({**given, "geoip_filter": geoip_filter(given["geoip_country_db"])})


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
    try:
        text = render(values)
    except KeyError as exc:
        missing = sorted(placeholders() - values.keys())
        parser.error(f"missing value for {exc}; all missing: {', '.join(missing)}")
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
