-- Monthly (UTC calendar month) copies of the two rollups that analytics ranks over: a range of whole months
-- reads one row per product or batch and month instead of one per day. Analytics combines these for the whole
-- months of its range with the daily rollups for the partial months at its edges (admin_svc/reports_store.py),
-- so its answers equal those of the daily rollups alone.
CREATE TABLE scan_monthly_risky_product (
    month date NOT NULL,
    product_id uuid NOT NULL,
    batch_id uuid NOT NULL,
    factory_id uuid NOT NULL,
    scans bigint NOT NULL,
    risk_sum bigint NOT NULL,
    max_risk smallint NOT NULL,
    last_scanned_at timestamptz NOT NULL,
    PRIMARY KEY (month, product_id)
);

CREATE TABLE scan_monthly_batch (
    month date NOT NULL,
    batch_id uuid NOT NULL,
    factory_id uuid NOT NULL,
    scans bigint NOT NULL,
    suspicious bigint NOT NULL,
    risk_sum bigint NOT NULL,
    PRIMARY KEY (month, batch_id)
);

-- The monthly statements follow the daily ones in the same trigger; the daily statements keep their function.
ALTER FUNCTION admin_scan_rollup_sql(text) RENAME TO admin_scan_daily_rollup_sql;

CREATE FUNCTION admin_scan_rollup_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
SELECT admin_scan_daily_rollup_sql(source) || format($sql$
    INSERT INTO scan_monthly_batch AS r (month, batch_id, factory_id, scans, suspicious, risk_sum)
    SELECT date_trunc('month', scanned_at AT TIME ZONE 'UTC')::date, batch_id, factory_id, count(*),
           count(*) FILTER (WHERE verdict = 'SUSPICIOUS'), sum(risk_score)
    FROM %1$I GROUP BY 1, 2, 3 ORDER BY 1, 2
    ON CONFLICT (month, batch_id) DO UPDATE SET scans = r.scans + EXCLUDED.scans,
        suspicious = r.suspicious + EXCLUDED.suspicious, risk_sum = r.risk_sum + EXCLUDED.risk_sum;

    INSERT INTO scan_monthly_risky_product AS r
        (month, product_id, batch_id, factory_id, scans, risk_sum, max_risk, last_scanned_at)
    SELECT date_trunc('month', scanned_at AT TIME ZONE 'UTC')::date, product_id, batch_id, factory_id, count(*),
           sum(risk_score), max(risk_score), max(scanned_at)
    FROM %1$I WHERE risk_score >= 50 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2
    ON CONFLICT (month, product_id) DO UPDATE SET scans = r.scans + EXCLUDED.scans,
        risk_sum = r.risk_sum + EXCLUDED.risk_sum, max_risk = greatest(r.max_risk, EXCLUDED.max_risk),
        last_scanned_at = greatest(r.last_scanned_at, EXCLUDED.last_scanned_at);
$sql$, source)
$fn$;

-- Repeats 4003: the trigger runs the statements of admin_scan_rollup_sql as static (plan-cached) statements.
DO $$
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION admin_scan_rollup() RETURNS trigger LANGUAGE plpgsql AS %L',
        'BEGIN ' || admin_scan_rollup_sql('new_scans') || ' RETURN NULL; END'
    );
END $$;

-- Scans counted before this migration, from the daily rollups (old months' scan partitions may be dropped).
INSERT INTO scan_monthly_batch (month, batch_id, factory_id, scans, suspicious, risk_sum)
SELECT date_trunc('month', day)::date, batch_id, factory_id, sum(scans), sum(suspicious), sum(risk_sum)
FROM scan_daily_batch GROUP BY 1, 2, 3;

INSERT INTO scan_monthly_risky_product (month, product_id, batch_id, factory_id, scans, risk_sum, max_risk,
                                        last_scanned_at)
SELECT date_trunc('month', day)::date, product_id, batch_id, factory_id, sum(scans), sum(risk_sum), max(max_risk),
       max(last_scanned_at)
FROM scan_daily_risky_product GROUP BY 1, 2, 3, 4;
