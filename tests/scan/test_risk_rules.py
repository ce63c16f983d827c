"""The scoring rules as pure functions (the scenario tests through Envoy are in test_risk.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from scan_svc import domain
from scan_svc.client import network_of
from scan_svc.settings import RiskThresholds, RiskWeights
from scan_svc.storage_redis import place_from_key, place_key

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def signals(**changes: object) -> domain.Signals:
    base = {
        "scan_count": 1,
        "distinct_devices": 1,
        "distinct_networks": 1,
        "refused_scans": 0,
        "codes_by_device": 1,
        "here": None,
        "previous": None,
        "lifecycle": "RELEASED",
        "reports": domain.Reports(),
    }
    return domain.Signals(**{**base, **changes})  # type: ignore[arg-type]


def assess(**changes: object) -> domain.Assessment:
    return domain.assess(signals(**changes), RiskWeights(), RiskThresholds())


def test_a_first_scan_is_authentic_with_seven_factors() -> None:
    result = assess()
    assert (result.verdict, result.score) == (domain.Verdict.AUTHENTIC, 0)
    assert [f.kind for f in result.factors] == list(domain.Kind)


def test_ended_lifecycle_is_revoked_whatever_the_score() -> None:
    assert assess(lifecycle="RECALLED").verdict is domain.Verdict.REVOKED


def test_score_is_capped_and_redis_factors_can_be_unavailable() -> None:
    result = assess(scan_count=500, distinct_devices=None, codes_by_device=None, reports=domain.Reports(confirmed=3))
    assert result.score == 100
    unavailable = [f.kind for f in result.factors if not f.available]
    assert domain.Kind.DISTINCT_DEVICES in unavailable and domain.Kind.DEVICE_VELOCITY in unavailable


def test_nearby_scans_do_not_count_as_travel() -> None:
    here = domain.Place(52.5, 13.4, "DE", NOW)
    before = domain.Place(52.5, 13.5, "DE", NOW - timedelta(seconds=30))
    geo = assess(here=here, previous=before).factors[3]
    assert geo.available and geo.contribution == 0


def test_unreviewed_reports_are_capped_publicly_but_not_for_the_brand() -> None:
    many = assess(reports=domain.Reports(unreviewed=10, counted=3))
    fraud = many.factors[6]
    assert (fraud.contribution, fraud.brand) == (20, 100)
    assert (many.score, many.brand_score, many.verdict) == (20, 100, domain.Verdict.AUTHENTIC)
    uncounted = assess(reports=domain.Reports(unreviewed=10)).factors[6]
    assert (uncounted.contribution, uncounted.brand) == (0, 100)
    confirmed = assess(reports=domain.Reports(confirmed=1))
    assert (confirmed.score, confirmed.verdict) == (60, domain.Verdict.SUSPICIOUS)


def test_the_fraud_explanation_counts_the_batch_apart() -> None:
    fraud = assess(reports=domain.Reports(unreviewed=2, counted=1, confirmed=0, batch_confirmed=1)).factors[6]
    assert fraud.explanation == (
        "0 confirmed fraud reports on this product, 1 on other products of its batch, 1 unreviewed counted"
    )
    assert (fraud.value, fraud.contribution, fraud.brand) == (2, 15 + 15, 15 + 30)


def test_devices_of_one_network_count_once_publicly() -> None:
    devices = assess(distinct_devices=20, distinct_networks=1).factors[2]
    assert devices.contribution == 0 and devices.brand == 35
    spread = assess(distinct_devices=20, distinct_networks=20).factors[2]
    assert spread.contribution == spread.brand == 35


@pytest.mark.parametrize(
    ("first", "here", "moved"),
    [
        (domain.Place(52.5, 13.4, "DE", NOW), domain.Place(52.5, 13.5, "DE", NOW), False),
        (domain.Place(52.5, 13.4, "DE", NOW), domain.Place(-33.9, 151.2, "AU", NOW), True),
        (domain.Place(None, None, "DE", NOW), domain.Place(None, None, "AU", NOW), True),
        (domain.Place(None, None, "DE", NOW), domain.Place(None, None, "DE", NOW), False),
    ],
)
def test_a_client_contradicting_its_first_place(first: domain.Place, here: domain.Place, moved: bool) -> None:
    assert domain.moved(first, here, RiskThresholds()) is moved


@pytest.mark.parametrize(
    "place",
    [domain.Place(52.5, 13.4, "DE", NOW), domain.Place(None, None, "AU", NOW), domain.Place(-33.9, 151.2, "", NOW)],
)
def test_a_place_survives_its_redis_key(place: domain.Place) -> None:
    assert place_from_key(place_key(place.latitude, place.longitude, place.country), NOW) == place
    assert place_key(None, None, "") == "" and place_from_key("", NOW) is None


def test_invalid_token_scores_100() -> None:
    result = domain.invalid("BAD_TAG")
    assert (result.verdict, result.score) == (domain.Verdict.INVALID, 100)
    assert "bad tag" in result.factors[0].explanation


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("ipv4:203.0.113.77:5555", "203.0.113.0/24"),
        ("2001:db8:1:2::9", "2001:db8:1::/48"),
        ("ipv6:[::ffff:198.51.100.7]:443", "198.51.100.0/24"),
        ("127.0.3.4", "127.0.3.4/32"),
        ("garbage", ""),
    ],
)
def test_client_network(address: str, network: str) -> None:
    assert network_of(address) == network
