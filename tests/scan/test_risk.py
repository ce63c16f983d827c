"""Each risk factor moves the score in a scenario through Envoy; link-preview bots move nothing."""

import asyncio

import httpx

from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, verify

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
    # The edge may set the country instead of the client.
    hop = await verify(make_client(), token, {}, **{"x-client-country": "BR"})
    geo = factor(hop, "GEO_DISPERSION")
    assert (geo["value"], geo["contribution"]) == (2, 25)


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
