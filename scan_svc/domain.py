"""The seven-factor risk score and the verdict rules (pure logic; docs/scan.md explains the rules).

Each factor yields (value, contribution, available, explanation); the score is the sum of the
contributions capped at 100. Verdict: REVOKED when the product or its batch is revoked or recalled,
else SUSPICIOUS when the score reaches the threshold, else AUTHENTIC (an invalid token never gets here).
"""

import math
from dataclasses import dataclass, replace
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
    # What the factor adds to the brand-facing score when that differs from the public contribution
    # (unreviewed fraud reports); None = the same.
    brand_contribution: int | None = None

    @property
    def brand(self) -> int:
        return self.contribution if self.brand_contribution is None else self.brand_contribution

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "kind": self.kind.name,
            "value": self.value,
            "contribution": self.contribution,
            "available": self.available,
            "explanation": self.explanation,
        }
        if self.brand_contribution is not None:
            shown["brand_contribution"] = self.brand_contribution
        return shown


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
class Reports:
    """Fraud reports that bear on a product.

    unreviewed: OPEN or INVESTIGATING reports on the product; counted: those of them that may move the public
    verdict (filed after a scan of the code from the reporter's device, first from that device and network);
    confirmed: CONFIRMED on the product; batch_confirmed: CONFIRMED on other products of its batch.
    """

    unreviewed: int = 0
    counted: int = 0
    confirmed: int = 0
    batch_confirmed: int = 0


@dataclass(frozen=True)
class Signals:
    """What scoring needs; None marks a signal whose store was unreachable."""

    scan_count: int
    distinct_devices: int | None
    # Distinct client networks that scanned the code: one network alone cannot move the public device count.
    distinct_networks: int | None
    # Scans of the code refused by rate limits within the velocity window (a flood, for the explanation).
    refused_scans: int | None
    codes_by_device: int | None
    here: Place | None
    previous: Place | None
    lifecycle: str
    reports: Reports


@dataclass(frozen=True)
class Assessment:
    """score and verdict are public; brand_score is what staff see (unreviewed reports at full weight)."""

    score: int
    verdict: Verdict
    factors: tuple[Factor, ...]
    brand_score: int


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


def _devices(signals: Signals, limits: RiskThresholds, weight: int) -> Factor:
    """Publicly the devices count only as far as they come from distinct networks; staff see every device."""
    devices, networks = signals.distinct_devices, signals.distinct_networks
    if devices is None or networks is None:
        return _unavailable(Kind.DISTINCT_DEVICES, "devices unknown: the counter store is unreachable")
    public = _ramp(min(devices, networks), limits.devices_free, limits.devices_full, weight)
    brand = _ramp(devices, limits.devices_free, limits.devices_full, weight)
    why = f"{devices} devices from {networks} networks scanned this code"
    return Factor(Kind.DISTINCT_DEVICES, float(devices), public, True, why, brand if brand != public else None)


def _scans(signals: Signals, limits: RiskThresholds, weight: int) -> Factor:
    free, full = limits.scan_count_free, limits.scan_count_full
    factor = _count(Kind.SCAN_COUNT, signals.scan_count, free, full, weight, "scans of this code")
    if not signals.refused_scans:
        return factor
    flood = f"; {signals.refused_scans} more refused by rate limits within the hour"
    return replace(factor, explanation=factor.explanation + flood)


def moved(first: Place, here: Place, limits: RiskThresholds) -> bool:
    """Whether ``here`` contradicts the place one client claimed first for a code (another city or country)."""
    if first.located and here.located:
        return distance_km(first, here) >= limits.min_distance_km
    return bool(first.country and here.country and first.country != here.country)


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


def _reports(reports: Reports, weights: RiskWeights) -> Factor:
    """Confirmed reports weigh fully; unreviewed ones publicly only when counted, and at most fraud_unreviewed_cap."""
    reviewed = reports.confirmed * weights.fraud_confirmed + reports.batch_confirmed * weights.fraud_open
    public = min(100, reviewed + min(weights.fraud_unreviewed_cap, reports.counted * weights.fraud_open))
    brand = min(100, reviewed + reports.unreviewed * weights.fraud_open)
    why = (
        f"{reports.confirmed} confirmed fraud reports on this product, {reports.batch_confirmed} on other products"
        f" of its batch, {reports.counted} unreviewed counted"
    )
    value = float(reports.confirmed + reports.batch_confirmed + reports.counted)
    return Factor(Kind.FRAUD_REPORTS, value, public, True, why, brand if brand != public else None)


def assess(signals: Signals, weights: RiskWeights, limits: RiskThresholds) -> Assessment:
    """Score a scan of a genuine token."""
    factors = (
        Factor(Kind.TOKEN_VALIDITY, 1.0, 0, True, "signature and key are valid"),
        _scans(signals, limits, weights.scan_count),
        _devices(signals, limits, weights.distinct_devices),
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
        _reports(signals.reports, weights),
    )
    score = min(100, sum(f.contribution for f in factors))
    brand_score = min(100, sum(f.brand for f in factors))
    if signals.lifecycle in ENDED:
        verdict = Verdict.REVOKED
    elif score >= limits.suspicious_score:
        verdict = Verdict.SUSPICIOUS
    else:
        verdict = Verdict.AUTHENTIC
    return Assessment(score, verdict, factors, brand_score)


def invalid(reason: str) -> Assessment:
    """A token that failed decoding or authentication: nothing else is looked at."""
    factors = (
        Factor(Kind.TOKEN_VALIDITY, 0.0, 100, True, f"token rejected: {reason.lower().replace('_', ' ')}"),
        *(_unavailable(kind, "not evaluated for an invalid token") for kind in list(Kind)[1:]),
    )
    return Assessment(100, Verdict.INVALID, factors, 100)
