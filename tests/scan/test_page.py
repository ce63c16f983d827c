"""The consumer page /r/{token}: each state over HTTP through Envoy and in headless Chromium (screenshots in
test-artifacts/scan/)."""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.scan.conftest import Catalog
from tests.scan.helpers import forge
from voketag.tokens import link

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scan"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    assert CHROMIUM and CHROMEDRIVER, "headless tests need Debian's chromium and chromium-driver (make browser)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=412,915",  # a mid-size phone: the page is mobile-first
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


async def _states(catalog: Catalog) -> dict[str, tuple[str, int, str]]:
    """state -> (token, expected HTTP status, expected heading)."""
    genuine = await catalog.product(state="ANCHORED")
    warning = await catalog.product(lifecycle="PENDING_RELEASE")
    recalled = await catalog.product(
        lifecycle="RECALLED", reason="QA ticket 4711", public_reason="Battery may overheat"
    )
    invalid = forge(genuine["token"])
    return {
        "genuine": (genuine["token"], 200, "Genuine product"),
        "warning": (warning["token"], 200, "Check this product carefully"),
        "invalid": (invalid, 200, "Not a genuine code"),
        "recalled": (recalled["token"], 410, "Recalled product"),
    }


# /R/ is the printed, upper-case link (QR alphanumeric mode): Envoy serves the page on it, no redirect first.
@pytest.mark.parametrize("prefix", ["/r/", "/R/"])
async def test_page_states_over_http(client: httpx.AsyncClient, catalog: Catalog, prefix: str) -> None:
    for state, (token, status, heading) in (await _states(catalog)).items():
        reply = await client.get(f"{prefix}{token}")
        assert reply.status_code == status, state
        assert reply.headers["content-type"].startswith("text/html")
        assert "x-voketag-page" not in reply.headers
        assert reply.headers["x-frame-options"] == "DENY" and reply.headers["cache-control"] == "no-store"
        html = reply.text
        assert '<html lang="en">' in html and f'<h1 id="verdict">{heading}</h1>' in html
        assert f'class="state {state}"' in html
        assert "<script" not in html.lower()
        # No third-party (or any absolute) resource: every src/href is relative.
        assert not re.findall(r'(?:src|href)="(?:https?:)?//', html)
    malformed = await client.get(f"{prefix}NOT-A-TOKEN")
    assert malformed.status_code == 200 and "Not a genuine code" in malformed.text


async def test_page_explains_a_warning_in_plain_words(client: httpx.AsyncClient, catalog: Catalog) -> None:
    token = (await catalog.product(lifecycle="PENDING_RELEASE"))["token"]
    html = (await client.get(f"/r/{token}")).text
    assert "Product not released for sale yet" in html


async def test_page_language_from_lang_then_accept_language(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    cases = [
        ({"lang": "de"}, {"accept-language": "en-GB,en;q=0.9"}, "de"),
        ({"lang": "de-AT"}, {}, "de"),
        ({}, {"accept-language": "fr-FR, de;q=0.8, en;q=0.5"}, "de"),
        ({}, {"accept-language": "en;q=0.4, de-CH;q=0.9"}, "de"),
        ({"lang": "pt-BR"}, {"accept-language": "de"}, "de"),  # unsupported lang: Accept-Language decides
        ({"lang": "en"}, {"accept-language": "de"}, "en"),
        ({}, {"accept-language": "fr, es;q=0.5"}, "en"),
        ({}, {"accept-language": "de;q=0"}, "en"),
        ({}, {}, "en"),
    ]
    for params, headers, expected in cases:
        reply = await make_client().get(f"/r/{token}", params=params, headers=headers)
        assert reply.status_code == 200, (params, headers, reply.text)
        assert f'<html lang="{expected}">' in reply.text, (params, headers)
        assert reply.headers["content-language"] == expected
        heading = "Echtes Produkt" if expected == "de" else "Genuine product"
        assert f'<h1 id="verdict">{heading}</h1>' in reply.text
    german = (await make_client().get(f"/r/{token}", params={"lang": "de"})).text
    assert "Hergestellt von" in german and "Zuerst gescannt" in german and "Made by" not in german


async def test_page_shows_no_internal_ids(client: httpx.AsyncClient, catalog: Catalog) -> None:
    product = await catalog.product(state="ANCHORED")
    html = (await client.get(f"/r/{product['token']}")).text
    assert product["batch_id"] not in html and "Batch" not in html


async def test_page_in_headless_chromium(browser: webdriver.Chrome, gateway: str, catalog: Catalog) -> None:
    for state, (token, _, heading) in (await _states(catalog)).items():
        # The printed, upper-case link, served as it is.
        browser.get(link(gateway, token).replace(link(gateway, "").removesuffix("/R/"), gateway))
        assert browser.current_url.endswith(f"/R/{token}")
        assert browser.find_element(By.TAG_NAME, "h1").text == heading
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        body = browser.find_element(By.TAG_NAME, "body").text
        if state == "recalled":  # the brand's public reason, never its internal one
            assert "Battery may overheat" in body and "4711" not in body and "Stop using it" in body
        if state in {"genuine", "warning", "recalled"}:
            assert "Chrono Watch" in body and "First scanned" in body
        if state == "genuine":
            proof = browser.find_element(By.LINK_TEXT, "proof").get_attribute("href")
            assert "/v1/merkle/proof?token=" in proof
        assert browser.save_screenshot(str(ARTIFACTS / f"page-{state}.png"))
