-- Scan service: coarse scan location, per-code counters, the tamper-evident scan ledger, and fraud reports
-- about codes that name no product.

-- Ledger sequence numbers: taken by each scan insert without any lock; the sealer chains them in order.
CREATE SEQUENCE scan_ledger_seq AS bigint START 1;

ALTER TABLE scans
    -- Rounded to 1 decimal (~11 km) before storage; NULL when the client sent none.
    ADD COLUMN latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN ledger_seq bigint NOT NULL DEFAULT nextval('scan_ledger_seq') UNIQUE;
ALTER SEQUENCE scan_ledger_seq OWNED BY scans.ledger_seq;

-- One row per scanned product, updated in the scan's transaction: the row lock orders concurrent scans of
-- one code, so every scan sees an exact count. loc_* is the last located scan; prev_* is loc_* as it was
-- before the latest update (so that the upsert's RETURNING can report it).
CREATE TABLE scan_counters (
    product_id uuid PRIMARY KEY REFERENCES products (id),
    scan_count bigint NOT NULL,
    first_scanned_at timestamptz NOT NULL,
    last_scanned_at timestamptz NOT NULL,
    loc_latitude double precision,
    loc_longitude double precision,
    loc_country text NOT NULL DEFAULT '',
    loc_at timestamptz,
    prev_latitude double precision,
    prev_longitude double precision,
    prev_country text NOT NULL DEFAULT '',
    prev_at timestamptz
);

-- Sealed ledger entries, written only by the sealer in sequence order. leaf_hash = RFC 6962 leaf hash of
-- the canonical scan record (or of a void marker when the sequence number was never committed);
-- chain_hash = SHA-256(previous chain_hash || leaf_hash).
CREATE TABLE scan_ledger (
    seq bigint PRIMARY KEY CHECK (seq >= 1),
    void boolean NOT NULL,
    leaf_hash bytea NOT NULL,
    chain_hash bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT now()
);

-- The sealer's running state: tree size, chain head and the RFC 6962 frontier (roots of the perfect
-- subtrees, largest first) so that each append costs O(log n).
CREATE TABLE scan_ledger_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tree_size bigint NOT NULL,
    head_hash bytea NOT NULL,
    frontier bytea[] NOT NULL
);
INSERT INTO scan_ledger_state (tree_size, head_hash, frontier) VALUES (0, '\x', '{}');

-- Signed tree heads.
CREATE TABLE scan_ledger_checkpoints (
    tree_size bigint PRIMARY KEY,
    root_hash bytea NOT NULL,
    head_hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    signature bytea NOT NULL,
    key_id text NOT NULL
);

-- Fraud reports about a token that names no product (a counterfeit): fraud_reports needs a product.
CREATE TABLE scan_orphan_reports (
    id uuid PRIMARY KEY,
    token text NOT NULL,
    contact text NOT NULL DEFAULT '',
    description text NOT NULL,
    country text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What ReportFraud knows beyond the shared fraud_reports columns: the idempotency key and the linked
-- scan. report_id is a fraud_reports.id or a scan_orphan_reports.id.
CREATE TABLE scan_report_meta (
    report_id uuid PRIMARY KEY,
    request_id text UNIQUE,
    scan_id bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);
