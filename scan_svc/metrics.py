"""Prometheus metrics of the scan service (served by the runtime's metrics endpoint, default registry)."""

from prometheus_client import Counter, Histogram

VERDICTS = Counter("scan_verdicts_total", "Verifications by verdict (bots included, label bot)", ["verdict", "bot"])
RISK = Histogram(
    "scan_risk_score", "Risk score of recorded scans", buckets=(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
)
RATE_LIMITED = Counter("scan_rate_limited_total", "Requests refused by a rate limit, by limit", ["limit"])
REDIS_UNAVAILABLE = Counter(
    "scan_redis_unavailable_total", "Redis operations skipped or failed (the scan went on without them)", ["operation"]
)
VERIFY_LATENCY = Histogram(
    "scan_verify_seconds",
    "Time to verify a token and record the scan, by outcome",
    ["verdict"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
# Queries the request path sends to PostgreSQL, by statement; tests prove forged tokens send none.
DB_QUERIES = Counter("scan_db_queries_total", "PostgreSQL statements sent on behalf of scan RPCs", ["query"])
LEDGER_SEALED = Counter("scan_ledger_sealed_total", "Ledger entries sealed into the hash chain and Merkle tree")
# Link previews (crawler user agents): answered from the current state, nothing recorded, limited like clients.
PREVIEWS = Counter("scan_previews_total", "Verifications and pages answered to link-preview bots and crawlers")
