"""The seven-factor risk score and the verdict rules (pure logic; docs/scan.md explains the rules).

Each factor yields (value, contribution, available, explanation); the score is the sum of the
contributions capped at 100. Verdict: REVOKED when the product or its batch is revoked or recalled,
else SUSPICIOUS when the score reaches the threshold, else AUTHENTIC (an invalid token never gets here).
"""

import math
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from scan_svc.settings import RiskThresholds, RiskWeights
from voketag.lifecycle import ENDED


class Kind(IntEnum):
    """Same numbers as voketag.common.v1.RiskFactorKind."""

    TOKEN_VALIDITY = 1
    SCAN_COUNT = 2
    DISTINCT_DEVICES = 3
    GEO_DISPERSION = 4
    DEVICE_VELOCITY = 5
    LIFECYCLE = 6
    FRAUD_REPORTS = 7


class Verdict(StrEnum):
    AUTHENTIC = "AUTHENTIC"
    SUSPICIOUS = "SUSPICIOUS"
    INVALID = "INVALID"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class Factor:
    kind: Kind
    value: float
    contribution: int
    available: bool
    explanation: str

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.name,
            "value": self.value,
            "contribution": self.contribution,
            "available": self.available,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Place:
    """A coarse location: coordinates (rounded) and/or a country code, and when it was seen."""

    latitude: float | None
    longitude: float | None
    country: str
    at: datetime

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Signals:
    """What scoring needs; None marks a signal whose store was unreachable."""

    scan_count: int
    distinct_devices: int | None
    codes_by_device: int | None
    here: Place | None
    previous: Place | None
    lifecycle: str
    open_reports: int
    confirmed_reports: int


@dataclass(frozen=True)
class Assessment:
    score: int
    verdict: Verdict
    factors: tuple[Factor, ...]


def _ramp(value: float, free: float, full: float, weight: int) -> int:
    """0 up to ``free``, growing linearly to ``weight`` at ``full``."""
    if value <= free:
        return 0
    if full <= free:
        return weight
    return round(weight * min(1.0, (value - free) / (full - free)))


def distance_km(a: Place, b: Place) -> float:
    """Great-circle (haversine) distance between two located places."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))  # type: ignore[arg-type]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _unavailable(kind: Kind, why: str) -> Factor:
    return Factor(kind, 0.0, 0, False, why)


def _count(kind: Kind, value: int | None, free: int, full: int, weight: int, noun: str) -> Factor:
    if value is None:
        return _unavailable(kind, f"{noun} unknown: the counter store is unreachable")
    return Factor(kind, float(value), _ramp(value, free, full, weight), True, f"{value} {noun}")


def _geo(signals: Signals, limits: RiskThresholds, weight: int) -> Factor:
    here, before = signals.here, signals.previous
    kind = Kind.GEO_DISPERSION
    if here is None or before is None:
        return _unavailable(kind, "no location for this scan or the one before it")
    hours = max((here.at - before.at).total_seconds(), 1.0) / 3600
    if here.located and before.located:
        km = distance_km(here, before)
        speed = km / hours
        if km >= limits.min_distance_km and speed > limits.impossible_speed_kmh:
            return Factor(kind, round(km, 1), weight, True, f"{km:.0f} km from the previous scan at {speed:.0f} km/h")
        if km >= limits.dispersion_km:
            return Factor(kind, round(km, 1), weight // 2, True, f"{km:.0f} km from the previous scan")
        return Factor(kind, round(km, 1), 0, True, f"{km:.0f} km from the previous scan")
    if here.country and before.country:
        hop = here.country != before.country and hours * 3600 <= limits.country_hop_s
        countries = 2.0 if here.country != before.country else 1.0
        why = "country changed since the previous scan" if countries == 2 else "same country as the previous scan"
        return Factor(kind, countries, weight // 2 if hop else 0, True, why)
    return _unavailable(kind, "locations not comparable")


def _lifecycle(state: str, weights: RiskWeights) -> Factor:
    if state in ENDED:
        return Factor(Kind.LIFECYCLE, 2.0, weights.lifecycle_ended, True, f"product {state.lower()} by the brand")
    if state == "PENDING_RELEASE":
        return Factor(Kind.LIFECYCLE, 1.0, weights.lifecycle_pending, True, "product not released for sale yet")
    return Factor(Kind.LIFECYCLE, 0.0, 0, True, "product released")


def _reports(open_count: int, confirmed: int, weights: RiskWeights) -> Factor:
    points = min(100, open_count * weights.fraud_open + confirmed * weights.fraud_confirmed)
    why = f"{confirmed} confirmed and {open_count} open fraud reports on this product or its batch"
    return Factor(Kind.FRAUD_REPORTS, float(open_count + confirmed), points, True, why)


def assess(signals: Signals, weights: RiskWeights, limits: RiskThresholds) -> Assessment:
    """Score a scan of a genuine token."""
    factors = (
        Factor(Kind.TOKEN_VALIDITY, 1.0, 0, True, "signature and key are valid"),
        _count(
            Kind.SCAN_COUNT,
            signals.scan_count,
            limits.scan_count_free,
            limits.scan_count_full,
            weights.scan_count,
            "scans of this code",
        ),
        _count(
            Kind.DISTINCT_DEVICES,
            signals.distinct_devices,
            limits.devices_free,
            limits.devices_full,
            weights.distinct_devices,
            "devices scanned this code",
        ),
        _geo(signals, limits, weights.geo_dispersion),
        _count(
            Kind.DEVICE_VELOCITY,
            signals.codes_by_device,
            limits.velocity_free,
            limits.velocity_full,
            weights.device_velocity,
            "codes scanned by this device within the window",
        ),
        _lifecycle(signals.lifecycle, weights),
        _reports(signals.open_reports, signals.confirmed_reports, weights),
    )
    score = min(100, sum(f.contribution for f in factors))
    if signals.lifecycle in ENDED:
        verdict = Verdict.REVOKED
    elif score >= limits.suspicious_score:
        verdict = Verdict.SUSPICIOUS
    else:
        verdict = Verdict.AUTHENTIC
    return Assessment(score, verdict, factors)


def invalid(reason: str) -> Assessment:
    """A token that failed decoding or authentication: nothing else is looked at."""
    factors = (
        Factor(Kind.TOKEN_VALIDITY, 0.0, 100, True, f"token rejected: {reason.lower().replace('_', ' ')}"),
        *(_unavailable(kind, "not evaluated for an invalid token") for kind in list(Kind)[1:]),
    )
    return Assessment(100, Verdict.INVALID, factors)
