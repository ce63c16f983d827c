-- Scans partitioned by calendar month (UTC) of scanned_at (docs/scan.md, "Growth of the scans table"): old months
-- are dropped whole once they are rolled up and sealed, instead of deleting rows from one ever-growing table.
--
-- The existing table is copied into the partitioned one inside this migration's transaction, so an upgrade is
-- all-or-nothing. A partitioned table's unique keys must contain the partition key: the primary key becomes
-- (id, scanned_at) and ledger_seq is unique with scanned_at (both stay unique alone: they come from sequences).

-- Creates the monthly partitions from the month of first_at to the month of last_at that do not exist yet and
-- returns how many it created. The one place that names and bounds a partition; the scan service calls it
-- ahead of time (scan_svc/partitions.py).
CREATE FUNCTION scans_add_partitions(first_at timestamptz, last_at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    -- Months as UTC wall-clock timestamps, so that month arithmetic ignores the session's time zone.
    month timestamp := date_trunc('month', first_at AT TIME ZONE 'UTC');
    created integer := 0;
    name text;
BEGIN
    WHILE month <= last_at AT TIME ZONE 'UTC' LOOP
        name := 'scans_p' || to_char(month, 'YYYY_MM');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF scans FOR VALUES FROM (%L) TO (%L)',
                name, month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC'
            );
            created := created + 1;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN created;
END $$;

DO $$
DECLARE
    -- On an upgraded database the admin migrations ran before this one; on a fresh one they run after it and
    -- create their trigger and index on the partitioned table themselves.
    had_rollup boolean := to_regprocedure('admin_scan_rollup()') IS NOT NULL;
    had_risky boolean := to_regclass('scans_risky') IS NOT NULL;
    oldest timestamptz;
BEGIN
    -- The ledger sequence outlives the old table (dropping a table drops the sequences it owns).
    ALTER SEQUENCE scan_ledger_seq OWNED BY NONE;
    ALTER TABLE scans RENAME TO scans_unpartitioned;

    CREATE TABLE scans (
        id bigint NOT NULL,
        product_id uuid NOT NULL REFERENCES products (id),
        batch_id uuid NOT NULL REFERENCES batches (id),
        factory_id uuid NOT NULL REFERENCES factories (id),
        scanned_at timestamptz NOT NULL DEFAULT now(),
        verdict text NOT NULL CHECK (verdict IN ('AUTHENTIC', 'SUSPICIOUS', 'INVALID', 'REVOKED')),
        risk_score smallint NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
        factors jsonb NOT NULL DEFAULT '[]',
        device_hash text NOT NULL,
        country text NOT NULL DEFAULT '',
        latitude double precision CHECK (latitude BETWEEN -90 AND 90),
        longitude double precision CHECK (longitude BETWEEN -180 AND 180),
        ledger_seq bigint NOT NULL DEFAULT nextval('scan_ledger_seq')
    ) PARTITION BY RANGE (scanned_at);

    SELECT min(scanned_at) INTO oldest FROM scans_unpartitioned;
    PERFORM scans_add_partitions(coalesce(oldest, now()), now() + interval '3 months');
    -- No rollup trigger exists on the new table yet: the copied rows are already counted in the rollups.
    INSERT INTO scans (id, product_id, batch_id, factory_id, scanned_at, verdict, risk_score, factors, device_hash,
                       country, latitude, longitude, ledger_seq)
    SELECT id, product_id, batch_id, factory_id, scanned_at, verdict, risk_score, factors, device_hash,
           country, latitude, longitude, ledger_seq
    FROM scans_unpartitioned;
    DROP TABLE scans_unpartitioned;

    CREATE SEQUENCE scans_id_seq AS bigint OWNED BY scans.id;
    PERFORM setval('scans_id_seq', coalesce((SELECT max(id) FROM scans), 0) + 1, false);
    ALTER TABLE scans ALTER COLUMN id SET DEFAULT nextval('scans_id_seq');
    ALTER SEQUENCE scan_ledger_seq OWNED BY scans.ledger_seq;

    ALTER TABLE scans ADD PRIMARY KEY (id, scanned_at), ADD UNIQUE (ledger_seq, scanned_at);
    CREATE INDEX scans_product ON scans (product_id, scanned_at);
    CREATE INDEX scans_scanned_at ON scans (scanned_at);
    IF had_risky THEN
        CREATE INDEX scans_risky ON scans (scanned_at DESC, id DESC) WHERE risk_score >= 50;
    END IF;
    IF had_rollup THEN
        CREATE TRIGGER scans_admin_rollup AFTER INSERT ON scans
            REFERENCING NEW TABLE AS new_scans FOR EACH STATEMENT EXECUTE FUNCTION admin_scan_rollup();
    END IF;
END $$;

-- Ledger entries whose scan was dropped with its partition after it was sealed: the verifier cannot recompute
-- their leaf hash any more, and checks their place in the hash chain and the signed Merkle tree instead.
ALTER TABLE scan_ledger ADD COLUMN pruned boolean NOT NULL DEFAULT false;
