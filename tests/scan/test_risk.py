"""Each risk factor moves the score in a scenario through Envoy; link-preview bots move nothing."""

import asyncio

import httpx

from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, metric, verify

BOT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


async def test_twenty_devices_on_one_code(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    first = await verify(make_client(), token, {"deviceHint": "phone-0"})
    replies = [await verify(make_client(), token, {"deviceHint": f"phone-{i}"}) for i in range(1, 20)]
    last = replies[-1]
    assert factor(first, "DISTINCT_DEVICES")["contribution"] == 0
    assert factor(last, "DISTINCT_DEVICES")["value"] >= 19
    assert factor(last, "DISTINCT_DEVICES")["contribution"] > 0
    assert factor(last, "SCAN_COUNT")["contribution"] > 0
    assert last["riskScore"] > first["riskScore"]


async def test_one_device_scanning_two_hundred_codes(client: httpx.AsyncClient, catalog: Catalog) -> None:
    products = await catalog.batch(200)
    body = {"deviceHint": "reseller-scanner"}
    first = await verify(client, products[0]["token"], body)
    for product in products[1:-1]:
        await verify(client, product["token"], body)
    last = await verify(client, products[-1]["token"], body)
    assert factor(first, "DEVICE_VELOCITY")["contribution"] == 0
    assert factor(last, "DEVICE_VELOCITY")["value"] == 200
    assert factor(last, "DEVICE_VELOCITY")["contribution"] == 35
    assert last["riskScore"] > first["riskScore"]


async def test_a_device_hint_reused_elsewhere_moves_nothing(make_client, catalog: Catalog) -> None:
    products = await catalog.batch(30)
    copier = make_client()
    for product in products[:-1]:
        await verify(copier, product["token"], {"deviceHint": "victim-install"})
    own = await verify(copier, products[-1]["token"], {"deviceHint": "victim-install"})
    assert factor(own, "DEVICE_VELOCITY")["value"] == 30
    victim = await verify(make_client(), products[-1]["token"], {"deviceHint": "victim-install"})
    assert factor(victim, "DEVICE_VELOCITY")["value"] == 1


async def test_impossible_travel(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    berlin = await verify(make_client(), token, {"location": {"latitude": 52.52, "longitude": 13.405}})
    new_york = await verify(make_client(), token, {"location": {"latitude": 40.71, "longitude": -74.01}})
    assert not factor(berlin, "GEO_DISPERSION")["available"]
    geo = factor(new_york, "GEO_DISPERSION")
    assert geo["available"] and geo["value"] > 5000 and geo["contribution"] == 50
    assert new_york["verdict"] == "VERDICT_SUSPICIOUS"
    assert "km/h" in geo["explanation"]


async def test_country_hop(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    await verify(make_client(), token, {"location": {"countryCode": "DE"}})
    hop = await verify(make_client(), token, {"location": {"countryCode": "BR"}})
    geo = factor(hop, "GEO_DISPERSION")
    assert (geo["value"], geo["contribution"]) == (2, 25)


async def test_a_client_cannot_claim_the_edge_country(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    await verify(make_client(), token, {"location": {"countryCode": "DE"}})
    # Envoy strips x-client-country from clients (only the edge's GeoIP may set it): no country, no comparison.
    claimed = await verify(make_client(), token, {}, **{"x-client-country": "BR"})
    assert not factor(claimed, "GEO_DISPERSION")["available"]


async def test_one_client_claiming_two_places_moves_nobody_else(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    liar = make_client()
    await verify(liar, token, {"location": {"latitude": 52.52, "longitude": 13.405, "countryCode": "DE"}})
    own = await verify(liar, token, {"location": {"latitude": -33.87, "longitude": 151.21, "countryCode": "AU"}})
    assert factor(own, "GEO_DISPERSION")["contribution"] == 50  # its own contradiction is its own answer
    genuine = await verify(make_client(), token, {"location": {"latitude": 52.5, "longitude": 13.4}})
    assert genuine["verdict"] == "VERDICT_AUTHENTIC"
    assert factor(genuine, "GEO_DISPERSION")["contribution"] == 0
    # Two distinct clients far apart still count: the code exists twice.
    far = await verify(make_client(), token, {"location": {"latitude": -33.87, "longitude": 151.21}})
    assert far["verdict"] == "VERDICT_SUSPICIOUS"
    assert factor(far, "GEO_DISPERSION")["contribution"] == 50


async def test_device_hints_from_one_network_count_once(
    client: httpx.AsyncClient, catalog: Catalog, make_client
) -> None:
    token = (await catalog.product())["token"]
    for i in range(20):
        await verify(client, token, {"deviceHint": f"forged-{i}"})
    devices = factor(await verify(make_client(), token, {"deviceHint": "buyer"}), "DISTINCT_DEVICES")
    # Devices are counted with a HyperLogLog: 21 hints may be counted as 20 now and then.
    assert 20 <= devices["value"] <= 22 and devices["contribution"] == 0
    assert f"{devices['value']} devices from 2 networks" in devices["explanation"]


async def test_fraud_reports_count_and_confirmation_weighs_more(
    client: httpx.AsyncClient, catalog: Catalog, pool
) -> None:
    product = await catalog.product()
    before = await verify(client, product["token"])
    reply = await client.post(
        "/api/fraud/report", json={"token": product["token"], "description": "the hologram is missing"}
    )
    assert reply.status_code == 200, reply.text
    report_id = reply.json()["reportId"]
    open_report = await verify(client, product["token"])
    await pool.execute("UPDATE fraud_reports SET status = 'CONFIRMED' WHERE id = $1::uuid", report_id)
    confirmed = await verify(client, product["token"])
    contributions = [factor(r, "FRAUD_REPORTS")["contribution"] for r in (before, open_report, confirmed)]
    assert contributions[0] == 0 < contributions[1] < contributions[2]
    assert confirmed["verdict"] == "VERDICT_SUSPICIOUS"
    await pool.execute("UPDATE fraud_reports SET status = 'DISMISSED' WHERE id = $1::uuid", report_id)
    assert factor(await verify(client, product["token"]), "FRAUD_REPORTS")["contribution"] == 0


async def test_previews_are_counted_and_limited_per_address(make_client, catalog: Catalog, mesh) -> None:
    token = (await catalog.product())["token"]
    port = mesh.metrics_ports["scan"]
    before = metric(port, "scan_previews_total")
    crawler = make_client({"user-agent": BOT})
    statuses = []
    for _ in range(70):  # the code's limit per client network applies to crawlers too (burst 60)
        statuses.append((await crawler.post(f"/api/verify/{token}", json={})).status_code)
        if statuses[-1] == 429:
            break
    assert statuses == [200] * 60 + [429]
    assert metric(port, "scan_previews_total") == before + 60
    page = await crawler.get(f"/r/{token}")
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    # Another address is previewed as before.
    assert (await make_client({"user-agent": BOT}).get(f"/r/{token}")).status_code == 200
    assert metric(port, "scan_previews_total") == before + 61


async def test_bots_get_an_answer_but_change_nothing(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    person = make_client()
    scanned = await verify(person, token, {"deviceHint": "p1"})
    bot = make_client({"user-agent": BOT})
    previews = await asyncio.gather(*(verify(bot, token, {"deviceHint": f"bot-{i}"}) for i in range(5)))
    for preview in previews:
        assert preview["scanCount"] == "1"
        assert preview["ledgerSequence"] == "0" and preview["scanId"] == ""
        assert factor(preview, "DISTINCT_DEVICES")["value"] == 1
    page = await bot.get(f"/r/{token}")
    assert page.status_code == 200 and "Genuine product" in page.text
    again = await verify(person, token, {"deviceHint": "p1"})
    assert again["scanCount"] == "2"
    assert factor(again, "DISTINCT_DEVICES")["value"] == 1
    assert int(again["ledgerSequence"]) > int(scanned["ledgerSequence"])
