-- Admin dashboards and analytics read these rollups, never the scans table as a whole.
-- Statement-level triggers keep them current in the inserting transaction: a bulk COPY is aggregated once,
-- a single scan upserts one row per rollup. Rows are upserted in key order so concurrent inserts never
-- deadlock on each other; scans are append-only (UPDATE/DELETE of scans is not mirrored).

-- Scans per verdict (one column each, so a row covers all four) and the sum of their risk scores.
CREATE TABLE scan_hourly (
    hour timestamptz NOT NULL,
    factory_id uuid NOT NULL,
    authentic bigint NOT NULL,
    suspicious bigint NOT NULL,
    invalid bigint NOT NULL,
    revoked bigint NOT NULL,
    risk_sum bigint NOT NULL,
    PRIMARY KEY (hour, factory_id)
);

CREATE TABLE scan_daily (
    day date NOT NULL,
    factory_id uuid NOT NULL,
    authentic bigint NOT NULL,
    suspicious bigint NOT NULL,
    invalid bigint NOT NULL,
    revoked bigint NOT NULL,
    risk_sum bigint NOT NULL,
    PRIMARY KEY (day, factory_id)
);

CREATE TABLE scan_daily_country (
    day date NOT NULL,
    factory_id uuid NOT NULL,
    country text NOT NULL,
    authentic bigint NOT NULL,
    suspicious bigint NOT NULL,
    invalid bigint NOT NULL,
    revoked bigint NOT NULL,
    risk_sum bigint NOT NULL,
    PRIMARY KEY (day, factory_id, country)
);

-- Risk histogram: bucket 0..9 = scores 0-9, ..., 90-100.
CREATE TABLE scan_daily_risk (
    day date NOT NULL,
    factory_id uuid NOT NULL,
    bucket smallint NOT NULL,
    scans bigint NOT NULL,
    PRIMARY KEY (day, factory_id, bucket)
);

CREATE TABLE scan_daily_batch (
    day date NOT NULL,
    batch_id uuid NOT NULL,
    factory_id uuid NOT NULL,
    scans bigint NOT NULL,
    suspicious bigint NOT NULL,
    risk_sum bigint NOT NULL,
    PRIMARY KEY (day, batch_id)
);

-- Only scans with risk >= 50 (the suspicious threshold): the top-risky-products list ranks products by
-- their risky scans, which keeps this table a small fraction of the scans table.
CREATE TABLE scan_daily_risky_product (
    day date NOT NULL,
    product_id uuid NOT NULL,
    batch_id uuid NOT NULL,
    factory_id uuid NOT NULL,
    scans bigint NOT NULL,
    risk_sum bigint NOT NULL,
    max_risk smallint NOT NULL,
    last_scanned_at timestamptz NOT NULL,
    PRIMARY KEY (day, product_id)
);

CREATE TABLE product_hourly (
    hour timestamptz NOT NULL,
    factory_id uuid NOT NULL,
    products bigint NOT NULL,
    PRIMARY KEY (hour, factory_id)
);

-- The rollup statements over a relation of scan rows: the trigger's transition table, or scans itself for
-- the one-time backfill below. (A transition table is visible to EXECUTE in the trigger function only.)
CREATE FUNCTION admin_scan_rollup_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($sql$
    INSERT INTO scan_hourly AS r (hour, factory_id, authentic, suspicious, invalid, revoked, risk_sum)
    SELECT date_trunc('hour', scanned_at, 'UTC'), factory_id,
           count(*) FILTER (WHERE verdict = 'AUTHENTIC'), count(*) FILTER (WHERE verdict = 'SUSPICIOUS'),
           count(*) FILTER (WHERE verdict = 'INVALID'), count(*) FILTER (WHERE verdict = 'REVOKED'), sum(risk_score)
    FROM %1$I GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, factory_id) DO UPDATE SET
        authentic = r.authentic + EXCLUDED.authentic, suspicious = r.suspicious + EXCLUDED.suspicious,
        invalid = r.invalid + EXCLUDED.invalid, revoked = r.revoked + EXCLUDED.revoked,
        risk_sum = r.risk_sum + EXCLUDED.risk_sum;

    INSERT INTO scan_daily AS r (day, factory_id, authentic, suspicious, invalid, revoked, risk_sum)
    SELECT (scanned_at AT TIME ZONE 'UTC')::date, factory_id,
           count(*) FILTER (WHERE verdict = 'AUTHENTIC'), count(*) FILTER (WHERE verdict = 'SUSPICIOUS'),
           count(*) FILTER (WHERE verdict = 'INVALID'), count(*) FILTER (WHERE verdict = 'REVOKED'), sum(risk_score)
    FROM %1$I GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, factory_id) DO UPDATE SET
        authentic = r.authentic + EXCLUDED.authentic, suspicious = r.suspicious + EXCLUDED.suspicious,
        invalid = r.invalid + EXCLUDED.invalid, revoked = r.revoked + EXCLUDED.revoked,
        risk_sum = r.risk_sum + EXCLUDED.risk_sum;

    INSERT INTO scan_daily_country AS r (day, factory_id, country, authentic, suspicious, invalid, revoked, risk_sum)
    SELECT (scanned_at AT TIME ZONE 'UTC')::date, factory_id, country,
           count(*) FILTER (WHERE verdict = 'AUTHENTIC'), count(*) FILTER (WHERE verdict = 'SUSPICIOUS'),
           count(*) FILTER (WHERE verdict = 'INVALID'), count(*) FILTER (WHERE verdict = 'REVOKED'), sum(risk_score)
    FROM %1$I GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, factory_id, country) DO UPDATE SET
        authentic = r.authentic + EXCLUDED.authentic, suspicious = r.suspicious + EXCLUDED.suspicious,
        invalid = r.invalid + EXCLUDED.invalid, revoked = r.revoked + EXCLUDED.revoked,
        risk_sum = r.risk_sum + EXCLUDED.risk_sum;

    INSERT INTO scan_daily_risk AS r (day, factory_id, bucket, scans)
    SELECT (scanned_at AT TIME ZONE 'UTC')::date, factory_id, least(risk_score / 10, 9), count(*)
    FROM %1$I GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, factory_id, bucket) DO UPDATE SET scans = r.scans + EXCLUDED.scans;

    INSERT INTO scan_daily_batch AS r (day, batch_id, factory_id, scans, suspicious, risk_sum)
    SELECT (scanned_at AT TIME ZONE 'UTC')::date, batch_id, factory_id, count(*),
           count(*) FILTER (WHERE verdict = 'SUSPICIOUS'), sum(risk_score)
    FROM %1$I GROUP BY 1, 2, 3 ORDER BY 1, 2
    ON CONFLICT (day, batch_id) DO UPDATE SET scans = r.scans + EXCLUDED.scans,
        suspicious = r.suspicious + EXCLUDED.suspicious, risk_sum = r.risk_sum + EXCLUDED.risk_sum;

    INSERT INTO scan_daily_risky_product AS r
        (day, product_id, batch_id, factory_id, scans, risk_sum, max_risk, last_scanned_at)
    SELECT (scanned_at AT TIME ZONE 'UTC')::date, product_id, batch_id, factory_id, count(*), sum(risk_score),
           max(risk_score), max(scanned_at)
    FROM %1$I WHERE risk_score >= 50 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2
    ON CONFLICT (day, product_id) DO UPDATE SET scans = r.scans + EXCLUDED.scans,
        risk_sum = r.risk_sum + EXCLUDED.risk_sum, max_risk = greatest(r.max_risk, EXCLUDED.max_risk),
        last_scanned_at = greatest(r.last_scanned_at, EXCLUDED.last_scanned_at);
$sql$, source)
$fn$;

CREATE FUNCTION admin_scan_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE admin_scan_rollup_sql('new_scans');
    RETURN NULL;
END $$;

CREATE TRIGGER scans_admin_rollup AFTER INSERT ON scans
    REFERENCING NEW TABLE AS new_scans FOR EACH STATEMENT EXECUTE FUNCTION admin_scan_rollup();

CREATE FUNCTION admin_product_rollup_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($sql$
    INSERT INTO product_hourly AS r (hour, factory_id, products)
    SELECT date_trunc('hour', p.created_at, 'UTC'), b.factory_id, count(*)
    FROM %1$I p JOIN batches b ON b.id = p.batch_id GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (hour, factory_id) DO UPDATE SET products = r.products + EXCLUDED.products;
$sql$, source)
$fn$;

CREATE FUNCTION admin_product_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE admin_product_rollup_sql('new_products');
    RETURN NULL;
END $$;

CREATE TRIGGER products_admin_rollup AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_products FOR EACH STATEMENT EXECUTE FUNCTION admin_product_rollup();

-- Rows written before this migration.
DO $$
BEGIN
    EXECUTE admin_scan_rollup_sql('scans');
    EXECUTE admin_product_rollup_sql('products');
END $$;

-- Dashboard side lookups.
CREATE INDEX batches_state ON batches (state, updated_at);
CREATE INDEX fraud_reports_created ON fraud_reports (created_at DESC, id DESC);
CREATE INDEX scans_risky ON scans (scanned_at DESC, id DESC) WHERE risk_score >= 50;

-- Who last changed a fraud report's status or note (a user id).
ALTER TABLE fraud_reports ADD COLUMN updated_by text NOT NULL DEFAULT '';
