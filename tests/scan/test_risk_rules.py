"""The scoring rules as pure functions (the scenario tests through Envoy are in test_risk.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from scan_svc import risk
from scan_svc.client import network_of
from scan_svc.settings import RiskThresholds, RiskWeights

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def signals(**changes: object) -> risk.Signals:
    base = {
        "scan_count": 1,
        "distinct_devices": 1,
        "codes_by_device": 1,
        "here": None,
        "previous": None,
        "lifecycle": "RELEASED",
        "open_reports": 0,
        "confirmed_reports": 0,
    }
    return risk.Signals(**{**base, **changes})  # type: ignore[arg-type]


def assess(**changes: object) -> risk.Assessment:
    return risk.assess(signals(**changes), RiskWeights(), RiskThresholds())


def test_a_first_scan_is_authentic_with_seven_factors() -> None:
    result = assess()
    assert (result.verdict, result.score) == (risk.Verdict.AUTHENTIC, 0)
    assert [f.kind for f in result.factors] == list(risk.Kind)


def test_ended_lifecycle_is_revoked_whatever_the_score() -> None:
    assert assess(lifecycle="RECALLED").verdict is risk.Verdict.REVOKED


def test_score_is_capped_and_redis_factors_can_be_unavailable() -> None:
    result = assess(scan_count=500, distinct_devices=None, codes_by_device=None, confirmed_reports=3)
    assert result.score == 100
    unavailable = [f.kind for f in result.factors if not f.available]
    assert risk.Kind.DISTINCT_DEVICES in unavailable and risk.Kind.DEVICE_VELOCITY in unavailable


def test_nearby_scans_do_not_count_as_travel() -> None:
    here = risk.Place(52.5, 13.4, "DE", NOW)
    before = risk.Place(52.5, 13.5, "DE", NOW - timedelta(seconds=30))
    geo = assess(here=here, previous=before).factors[3]
    assert geo.available and geo.contribution == 0


def test_invalid_token_scores_100() -> None:
    result = risk.invalid("BAD_TAG")
    assert (result.verdict, result.score) == (risk.Verdict.INVALID, 100)
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
