-- The product catalog every service reads: batches and their products.
-- A product's token is not stored: it is derived from (batches.key_id, products.serial) by voketag.tokens.
CREATE TABLE batches (
    id uuid PRIMARY KEY,
    factory_id uuid NOT NULL REFERENCES factories (id),
    sku text NOT NULL,
    product_line text NOT NULL,
    product_name text NOT NULL DEFAULT '',
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    state text NOT NULL DEFAULT 'CREATED' CHECK (state IN ('CREATED', 'ANCHORING', 'ANCHORED', 'FAILED')),
    lifecycle text NOT NULL DEFAULT 'RELEASED'
        CHECK (lifecycle IN ('PENDING_RELEASE', 'RELEASED', 'REVOKED', 'RECALLED')),
    lifecycle_reason text NOT NULL DEFAULT '',
    metadata jsonb NOT NULL DEFAULT '{}',
    -- Token key the batch's tokens are signed with (voketag.tokens key id, 0-255).
    key_id smallint NOT NULL CHECK (key_id BETWEEN 0 AND 255),
    -- Idempotency: the caller's request id and a hash of the request body it came with.
    request_id text,
    request_hash text,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    ended_at timestamptz,
    UNIQUE (factory_id, request_id)
);
CREATE INDEX batches_factory_created ON batches (factory_id, created_at DESC, id DESC);
CREATE INDEX batches_created ON batches (created_at DESC, id DESC);

CREATE TABLE products (
    id uuid PRIMARY KEY,
    -- No foreign key: products are only ever written by COPY in the transaction that inserts their
    -- batch, and the per-row FK check halved the COPY rate of a 1,000,000-product batch.
    batch_id uuid NOT NULL,
    -- Globally unique; the token carries it, so a scan finds its product by serial alone.
    serial bigint NOT NULL UNIQUE CHECK (serial >= 0),
    -- Position of the product's leaf in its batch's Merkle tree (0-based).
    leaf_index integer NOT NULL CHECK (leaf_index >= 0),
    external_id text NOT NULL DEFAULT '',
    -- NULL: the product follows its batch's lifecycle.
    lifecycle text CHECK (lifecycle IN ('PENDING_RELEASE', 'RELEASED', 'REVOKED', 'RECALLED')),
    lifecycle_reason text NOT NULL DEFAULT '',
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (batch_id, leaf_index)
);

-- Serial numbers are handed out in blocks (one short UPDATE ... RETURNING per batch, outside the
-- batch's own transaction), so creating two large batches at once never waits on a lock.
CREATE TABLE serial_counter (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    next_serial bigint NOT NULL
);
INSERT INTO serial_counter (next_serial) VALUES (1);

-- Consumer scans of genuine tokens (forged or malformed tokens are never written). The scan service
-- writes them; the admin service aggregates them. The scan service may add columns and tables.
CREATE TABLE scans (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id),
    batch_id uuid NOT NULL REFERENCES batches (id),
    factory_id uuid NOT NULL REFERENCES factories (id),
    scanned_at timestamptz NOT NULL DEFAULT now(),
    verdict text NOT NULL CHECK (verdict IN ('AUTHENTIC', 'SUSPICIOUS', 'INVALID', 'REVOKED')),
    -- 0-100, and the seven factors as [{kind, value, contribution, available, explanation}].
    risk_score smallint NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    factors jsonb NOT NULL DEFAULT '[]',
    -- Keyed hash of stable client attributes; raw IP addresses are never stored.
    device_hash text NOT NULL,
    -- ISO 3166-1 alpha-2, '' when unknown.
    country text NOT NULL DEFAULT ''
);
CREATE INDEX scans_product ON scans (product_id, scanned_at);
CREATE INDEX scans_scanned_at ON scans (scanned_at);

-- Consumer fraud reports; the admin service reviews them, confirmed ones feed the scan risk score.
CREATE TABLE fraud_reports (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id),
    batch_id uuid NOT NULL REFERENCES batches (id),
    factory_id uuid NOT NULL REFERENCES factories (id),
    contact text NOT NULL DEFAULT '',
    description text NOT NULL,
    status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'INVESTIGATING', 'CONFIRMED', 'DISMISSED')),
    note text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fraud_reports_product ON fraud_reports (product_id);
CREATE INDEX fraud_reports_batch ON fraud_reports (batch_id);
CREATE INDEX fraud_reports_status ON fraud_reports (status, created_at DESC);

-- Batch lifecycle events (anchored, anchor failed, ...), written in the transaction that changes the
-- batch; the factory service's relay turns them into signed webhook deliveries.
CREATE TABLE batch_events (
    id uuid PRIMARY KEY,
    batch_id uuid NOT NULL REFERENCES batches (id),
    factory_id uuid NOT NULL REFERENCES factories (id),
    -- 'batch.anchored' or 'batch.anchor_failed'.
    type text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set by the relay once every webhook delivery for the event is enqueued.
    dispatched_at timestamptz
);
CREATE INDEX batch_events_pending ON batch_events (created_at) WHERE dispatched_at IS NULL;
