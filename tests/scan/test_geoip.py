"""The country comes from the edge only: Envoy strips a client's x-client-country and, when a GeoIP database is
configured (geoip_country_db), sets it from the client address. A second Envoy of the mesh with a tiny MaxMind
database proves both through the real filter chain."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from devmesh.mesh import Mesh, envoy_child, free_port, port_open, wait_until
from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, verify

# Outside the range tests/scan/conftest.py hands out to clients.
IN_AUSTRALIA, UNKNOWN = "127.0.250.7", "127.0.251.7"


@pytest.fixture
def geo_gateway(mesh: Mesh, tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "country.mmdb"
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country", description="test")
    writer.insert_network(IPSet(["127.0.250.0/24"]), {"country": {"iso_code": "AU"}})
    writer.to_db_file(str(database))
    (tmp_path / "logs").mkdir()
    for _ in range(3):  # a free port may be taken by another process before Envoy binds it: pick another
        port = free_port()
        values = {**mesh.envoy_values(), "listen_port": port, "admin_port": free_port(), "geoip_country_db": database}
        envoy = envoy_child(tmp_path, "envoy-geo", values)
        envoy.start()
        wait_until(lambda: port_open(port) or not envoy.running, 30, "the GeoIP Envoy")  # noqa: B023
        if envoy.running:
            break
        envoy.stop()
    assert envoy.running, "the GeoIP Envoy did not start (see envoy-geo.log)"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        envoy.stop()


def _from(address: str, gateway: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway, transport=httpx.AsyncHTTPTransport(local_address=address), timeout=15)


async def test_the_edge_sets_the_country_and_clients_cannot(
    geo_gateway: str, client: httpx.AsyncClient, catalog: Catalog
) -> None:
    token = (await catalog.product())["token"]
    await verify(client, token, {"location": {"countryCode": "DE"}})
    async with _from(UNKNOWN, geo_gateway) as unknown, _from(IN_AUSTRALIA, geo_gateway) as australian:
        # An address the database does not know: the client's own header is dropped, no country at all.
        claimed = await verify(unknown, token, {}, **{"x-client-country": "BR"})
        assert not factor(claimed, "GEO_DISPERSION")["available"]
        located = await verify(australian, token, {}, **{"x-client-country": "DE"})
    geo = factor(located, "GEO_DISPERSION")
    assert (geo["value"], geo["contribution"]) == (2, 25)
    assert geo["explanation"] == "country changed since the previous scan"
