"""Verifying a scan and filing fraud reports: the scan service's domain flow.

Order of work for a scan: token decoding and HMAC (pure CPU); one Redis call that applies the per-IP
limit to every request and, for a genuine token, the code's limit per client network, the device limit and
records the scan's signals; then one PostgreSQL transaction that finds the product, counts, scores and
stores the scan. A forged or malformed token never reaches PostgreSQL nor any per-code key: it only adds 1
to a Redis counter of counterfeit scans (scan_svc/counterfeits.py). Link-preview bots get the answer
without any write.
"""

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from scan_svc import domain
from scan_svc.client import Client, ClientIdentifier
from scan_svc.counterfeits import Counterfeits, key_id_of
from scan_svc.domain import Assessment, Place, Verdict
from scan_svc.metrics import PREVIEWS, RATE_LIMITED, RISK, VERDICTS, VERIFY_LATENCY
from scan_svc.model import ProductFacts
from scan_svc.settings import ScanSettings
from scan_svc.storage import Counted, NewReport, NewScan, Recorded, ScanStore, ScanWriter
from scan_svc.storage_redis import CodeSignals, Gate, ScanKeys, place_from_key, place_key
from scan_svc.tlog import Receipt, Transparency
from voketag import lifecycle
from voketag.errors import InvalidArgument, ResourceExhausted
from voketag.ids import REQUEST_ID_RULE, is_request_id, request_hash
from voketag.limits import LIMITS
from voketag.tokens import KeyRing, TokenError

# Request-level shape of a token (proto: 16..64 chars of base32, either case); finer rules are the codec's.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z2-7]{16,64}$")
_TOKEN_RULE = "must be 16 to 64 characters of A-Z and 2-7"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DEVICE_HINT = re.compile(r"^[\x21-\x7e]{0,128}$")
_DEVICE_HINT_RULE = "at most 128 printable ASCII"
_SCAN_ID = re.compile(r"^[0-9]{1,18}$")
_DESCRIPTION = LIMITS["voketag.scan.v1.ReportFraudRequest.description"]
DESCRIPTION_MIN, DESCRIPTION_MAX = _DESCRIPTION.low, _DESCRIPTION.high
CONTACT_MAX = LIMITS["voketag.scan.v1.ReportFraudRequest.contact"].high


@dataclass(frozen=True)
class Location:
    latitude: float | None
    longitude: float | None
    country: str


@dataclass(frozen=True)
class Caller:
    """Transport facts of one request: metadata (lower-case keys) and the client address from the edge."""

    metadata: dict[str, str]
    address: str


@dataclass(frozen=True)
class Outcome:
    assessment: Assessment
    product: ProductFacts | None = None
    scan_count: int = 0
    first_scanned_at: datetime | None = None
    scan_id: int = 0
    scanned_at: datetime | None = None
    ledger_sequence: int = 0
    receipt: Receipt | None = None

    @property
    def verdict(self) -> Verdict:
        return self.assessment.verdict

    @cached_property
    def _applies(self) -> lifecycle.Effective | None:
        if self.product is None:
            return None
        return lifecycle.effective(self.product.product_lifecycle, self.product.batch_lifecycle)

    @property
    def lifecycle(self) -> str:
        """The lifecycle that applies to the product (voketag.lifecycle.effective)."""
        return self._applies.state if self._applies else ""

    @property
    def lifecycle_reason(self) -> str:
        """The public reason of the lifecycle's source ('' when none was given), never the internal one."""
        if self.product is None or self._applies is None:
            return ""
        return self.product.product_public_reason if self._applies.from_product else self.product.batch_public_reason

    @property
    def message(self) -> str:
        """One sentence per state; never the brand's internal revoke or recall reason."""
        if self.verdict is Verdict.INVALID:
            return "This code was not issued by the brand: the product may be counterfeit."
        if self.verdict is Verdict.REVOKED:
            if self.lifecycle == "RECALLED":
                return "This product was recalled by the brand: stop using it and follow the brand's instructions."
            return "This code was withdrawn by the brand: do not rely on it."
        if self.verdict is Verdict.SUSPICIOUS:
            return f"Genuine code, but it may have been copied: {self.reasons[0]}."[:200]
        return "Genuine product: the code is valid and nothing looks unusual."

    @property
    def raising(self) -> list[domain.Factor]:
        """The factors that raised the public score, largest first."""
        return sorted((f for f in self.assessment.factors if f.contribution), key=lambda f: -f.contribution)

    @property
    def reasons(self) -> list[str]:
        """Explanations of the factors that raised the score, largest first."""
        return [f.explanation for f in self.raising] or ["no single factor stands out"]


def parse_location(latitude: float | None, longitude: float | None, country: str, edge_country: str) -> Location:
    """Validate and coarsen a client location (1 decimal, ~11 km); the edge's country fills a missing one."""
    fields = {}
    if (latitude is None) != (longitude is None):
        fields["location"] = "latitude and longitude must be given together"
    if latitude is not None and not -90 <= latitude <= 90:
        fields["location.latitude"] = "must be between -90 and 90"
    if longitude is not None and not -180 <= longitude <= 180:
        fields["location.longitude"] = "must be between -180 and 180"
    if country and not _COUNTRY.fullmatch(country):
        fields["location.country_code"] = "must be an ISO 3166-1 alpha-2 code of 2 uppercase letters"
    if fields:
        raise InvalidArgument("INVALID_FIELD", "the location is invalid", fields=fields)
    if not country and _COUNTRY.fullmatch(edge_country.upper()):
        country = edge_country.upper()
    return Location(
        round(latitude, 1) if latitude is not None else None,
        round(longitude, 1) if longitude is not None else None,
        country,
    )


def malformed() -> Outcome:
    """The outcome shown for a token that is not even well-formed (the page renders it as invalid)."""
    return Outcome(domain.invalid("MALFORMED"))


class Scanner:
    def __init__(
        self,
        settings: ScanSettings,
        keyring: KeyRing,
        identifier: ClientIdentifier,
        gate: Gate,
        store: ScanStore,
        writer: ScanWriter,
        counterfeits: Counterfeits,
        transparency: Transparency | None,
    ) -> None:
        self._settings = settings
        self._keyring = keyring
        self._identifier = identifier
        self._gate = gate
        self._store = store
        self._writer = writer
        self._counterfeits = counterfeits
        self._transparency = transparency

    async def _admit(self, limits: list[tuple[str, str]], scan: ScanKeys | None = None) -> CodeSignals | None:
        admission = await self._gate.admit(limits, scan)
        rejection = admission.rejection
        if rejection is not None:
            RATE_LIMITED.labels(rejection.limit).inc()
            raise ResourceExhausted(
                "RATE_LIMITED",
                f"too many requests ({rejection.limit} limit); retry later",
                metadata={"limit": rejection.limit},
                retry_after_s=rejection.retry_after_s,
            )
        return admission.signals

    async def admit(self, caller: Caller) -> None:
        """The per-IP limit alone, for public reads that verify no token (GS1 Digital Link look-ups)."""
        client = self._identifier.identify(caller.metadata, caller.address, "")
        await self._admit([("ip", client.network)])

    async def verify(self, token: str, location: Location, device_hint: str, caller: Caller) -> Outcome:
        started = time.perf_counter()
        if not _DEVICE_HINT.fullmatch(device_hint):
            raise InvalidArgument(
                "INVALID_FIELD", "the device hint is invalid", fields={"device_hint": _DEVICE_HINT_RULE}
            )
        client = self._identifier.identify(caller.metadata, caller.address, device_hint)
        claims, rejected = None, "MALFORMED"
        shaped = _TOKEN_SHAPE.fullmatch(token) is not None
        if shaped:
            try:
                claims = self._keyring.verify(token.upper())
            except TokenError as exc:
                rejected = exc.reason
        # One Redis call: the per-IP limit for every request; for a genuine token also the code's limit per
        # client network (one client flooding a code never refuses the others), for a scan the device limit and,
        # once admitted, its signals (no PostgreSQL transaction stays open across it).
        limits = [("ip", client.network)]
        scan = None
        if claims is not None:
            limits.append(("code", f"{claims.serial}:{client.network}"))
            if not client.is_bot:
                limits.append(("device", client.device_hash))
                place = place_key(location.latitude, location.longitude, location.country)
                scan = ScanKeys(claims.serial, client.device_hash, client.network, place)
        counts = await self._admit(limits, scan)
        if not shaped:  # after the per-IP limit, so that guessing malformed codes is limited too
            raise InvalidArgument("TOKEN_MALFORMED", "the token is not well-formed", fields={"token": _TOKEN_RULE})
        if claims is None:
            if not client.is_bot:
                await self._counterfeits.count(datetime.now(UTC), location.country, key_id_of(token), rejected)
            return self._done(Outcome(domain.invalid(rejected)), client, started)
        if client.is_bot:
            PREVIEWS.inc()
            product = await self._store.lookup(claims.serial, claims.key_id)
            if product is None:
                return self._done(Outcome(domain.invalid("UNKNOWN_PRODUCT")), client, started)
            return self._done(await self._preview(product, claims.serial), client, started)
        now = datetime.now(UTC)
        here = Place(location.latitude, location.longitude, location.country, now) if _known(location) else None

        def assess(product: ProductFacts, counted: Counted) -> Assessment:
            return self._assess(product, counted.scan_count, counts, here, counted.previous, with_velocity=True)

        # A place that contradicts this network's first claim for the code is recorded with the scan but never
        # becomes the trail other clients' scans are compared with.
        first = place_from_key(counts.first_place, now) if counts else None
        trail = here is None or first is None or not domain.moved(first, here, self._settings.risk_thresholds)
        recorded = await self._writer.record(
            NewScan(claims.serial, claims.key_id, now, client.device_hash, here, trail), assess
        )
        if recorded is None:
            await self._counterfeits.count(now, location.country, claims.key_id, "UNKNOWN_PRODUCT")
            return self._done(Outcome(domain.invalid("UNKNOWN_PRODUCT")), client, started)
        counted = recorded.counted
        outcome = Outcome(
            recorded.assessment,
            recorded.product,
            counted.scan_count,
            counted.first_scanned_at,
            recorded.scan_id,
            now,
            recorded.ledger_seq,
            self._receipt(recorded),
        )
        RISK.observe(recorded.assessment.score)
        return self._done(outcome, client, started)

    def _receipt(self, recorded: Recorded) -> Receipt | None:
        if self._transparency is None or recorded.stored is None:
            return None
        return self._transparency.receipt(recorded.stored)

    async def _preview(self, product: ProductFacts, serial: int) -> Outcome:
        """What a link preview shows: the current state, scored, nothing recorded."""
        counts = await self._gate.peek(serial)
        assessment = self._assess(product, product.scan_count, counts, None, None, with_velocity=False)
        return Outcome(assessment, product, product.scan_count, product.first_scanned_at)

    def _assess(
        self,
        product: ProductFacts,
        scan_count: int,
        counts: CodeSignals | None,
        here: Place | None,
        previous: Place | None,
        with_velocity: bool,
    ) -> Assessment:
        applies = lifecycle.effective(product.product_lifecycle, product.batch_lifecycle).state
        signals = domain.Signals(
            scan_count=scan_count,
            distinct_devices=counts.distinct_devices if counts else None,
            distinct_networks=counts.distinct_networks if counts else None,
            refused_scans=counts.refused_scans if counts else None,
            codes_by_device=counts.codes_by_device if counts and with_velocity else None,
            here=here,
            previous=previous,
            lifecycle=applies,
            reports=domain.Reports(
                unreviewed=product.open_reports,
                counted=product.counted_reports,
                confirmed=product.confirmed_reports,
                batch_confirmed=product.batch_confirmed,
            ),
        )
        return domain.assess(signals, self._settings.risk_weights, self._settings.risk_thresholds)

    @staticmethod
    def _done(outcome: Outcome, client: Client, started: float) -> Outcome:
        verdict = outcome.verdict.value
        VERDICTS.labels(verdict, "yes" if client.is_bot else "no").inc()
        VERIFY_LATENCY.labels(verdict).observe(time.perf_counter() - started)
        return outcome

    async def report(
        self,
        token: str,
        contact: str,
        description: str,
        scan_id: str,
        location: Location,
        request_id: str,
        device_hint: str,
        caller: Caller,
    ) -> tuple[uuid.UUID, datetime]:
        fields = {}
        if len(contact) > CONTACT_MAX:
            fields["contact"] = f"at most {CONTACT_MAX} characters"
        if not DESCRIPTION_MIN <= len(description.strip()) <= DESCRIPTION_MAX:
            fields["description"] = f"{DESCRIPTION_MIN} to {DESCRIPTION_MAX} characters"
        if scan_id and not _SCAN_ID.fullmatch(scan_id):
            fields["scan_id"] = "must be a scan id returned by VerifyToken"
        if request_id and not is_request_id(request_id):  # optional for a report: without one, no replay
            fields["request_id"] = REQUEST_ID_RULE
        if not _TOKEN_SHAPE.fullmatch(token):
            fields["token"] = _TOKEN_RULE
        if not _DEVICE_HINT.fullmatch(device_hint):
            fields["device_hint"] = _DEVICE_HINT_RULE
        if fields:
            raise InvalidArgument("INVALID_FIELD", "the fraud report is invalid", fields=fields)
        client = self._identifier.identify(caller.metadata, caller.address, device_hint)
        await self._admit([("ip", client.network), ("report", client.network)])
        text = token.upper()
        # A request id is the reporter's own: scoped to its device and the token.
        scope = self._identifier.keyed(f"report|{client.device_hash}|{text}")
        fingerprint = request_hash(
            {"token": text, "contact": contact.strip(), "description": description.strip(), "scan_id": scan_id}
        )
        if request_id:
            known = await self._store.find_report(scope, request_id, fingerprint)
            if known is not None:
                return known
        try:
            claims = self._keyring.verify(text)
        except TokenError:
            product = None
        else:
            product = await self._store.lookup(claims.serial, claims.key_id)
        linked = int(scan_id) if scan_id else None
        # A forged token owns no scan: answered without asking PostgreSQL.
        if linked is not None and (
            product is None or not await self._store.scan_belongs_to(linked, product.product_id)
        ):
            raise InvalidArgument(
                "INVALID_FIELD",
                "the scan id names no scan of this token",
                fields={"scan_id": "not a scan of this token"},
            )
        return await self._store.file_report(
            NewReport(
                product=product,
                token=text,
                contact=contact.strip(),
                description=description.strip(),
                country=location.country,
                request_id=request_id or None,
                request_hash=fingerprint,
                scan_id=linked,
                scope=scope,
                reporter_device=client.device_hash,
                reporter_network=client.network,
            )
        )


def _known(location: Location) -> bool:
    return location.latitude is not None or bool(location.country)
