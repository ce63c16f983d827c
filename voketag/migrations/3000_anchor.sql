-- Anchoring (issue #5): batch trees, aggregations of batch roots, the signed transactions that carry them.

-- Next nonce per sending account: the database, not the node, hands out nonces.
CREATE TABLE anchor_nonces (
    chain_id bigint NOT NULL,
    sender text NOT NULL,
    next_nonce bigint NOT NULL CHECK (next_nonce >= 0),
    PRIMARY KEY (chain_id, sender)
);

-- One RFC 6962 tree over many batch roots; its root is the data of one transaction (one nonce).
CREATE TABLE anchor_aggregations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id bigint NOT NULL,
    sender text NOT NULL,
    nonce bigint NOT NULL,
    root bytea NOT NULL CHECK (length(root) = 32),
    -- The aggregated batch roots in leaf order, 32 bytes each.
    leaves bytea NOT NULL,
    size integer NOT NULL CHECK (size >= 1),
    -- SUBMITTED: signed (and maybe broadcast); CONFIRMING: mined; ANCHORED: deep enough;
    -- ABANDONED: the nonce was taken by a transaction that is not ours, the batches went back to PENDING.
    state text NOT NULL DEFAULT 'SUBMITTED' CHECK (state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED', 'ABANDONED')),
    -- The transaction that counts: the latest signed one, or the one that was mined.
    tx_hash text NOT NULL,
    block_number bigint,
    block_hash text,
    confirmations integer NOT NULL DEFAULT 0,
    fee_bumps integer NOT NULL DEFAULT 0,
    reorgs integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    signed_at timestamptz NOT NULL DEFAULT now(),
    broadcast_at timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    anchored_at timestamptz,
    UNIQUE (chain_id, sender, nonce)
);
CREATE INDEX anchor_aggregations_in_flight ON anchor_aggregations (nonce) WHERE state IN ('SUBMITTED', 'CONFIRMING');

-- Every signed transaction (the original and its fee-bumped replacements), stored before it is broadcast.
CREATE TABLE anchor_transactions (
    tx_hash text PRIMARY KEY,
    aggregation_id bigint NOT NULL REFERENCES anchor_aggregations (id),
    raw bytea NOT NULL,
    max_fee_per_gas numeric(78) NOT NULL,
    max_priority_fee_per_gas numeric(78) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anchor_transactions_aggregation ON anchor_transactions (aggregation_id, created_at DESC);

-- The anchoring record of a batch (AnchorRecord of the API).
CREATE TABLE anchor_records (
    batch_id uuid PRIMARY KEY REFERENCES batches (id),
    factory_id uuid NOT NULL REFERENCES factories (id),
    state text NOT NULL DEFAULT 'PENDING'
        CHECK (state IN ('PENDING', 'SUBMITTED', 'CONFIRMING', 'ANCHORED', 'FAILED')),
    -- Set by the request_anchor actor once the batch tree is stored.
    batch_root bytea CHECK (length(batch_root) = 32),
    batch_size integer,
    chunk_bits smallint,
    ready_at timestamptz,
    -- Anchor asked for it: aggregate at the next tick instead of waiting for the interval.
    urgent boolean NOT NULL DEFAULT false,
    aggregation_id bigint REFERENCES anchor_aggregations (id),
    aggregate_index integer,
    attempts integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    anchored_at timestamptz
);
CREATE INDEX anchor_records_pending ON anchor_records (ready_at) WHERE state = 'PENDING' AND batch_root IS NOT NULL;
CREATE INDEX anchor_records_updated ON anchor_records (updated_at DESC, batch_id DESC);
CREATE INDEX anchor_records_factory_updated ON anchor_records (factory_id, updated_at DESC, batch_id DESC);
CREATE INDEX anchor_records_aggregation ON anchor_records (aggregation_id);

-- The upper levels of a batch tree: level 0 holds the roots of its 2^chunk_bits-leaf chunks, each next
-- level the pairs above (an unpaired last node moves up). A proof reads one 32-byte sibling per level.
CREATE TABLE anchor_tree_levels (
    batch_id uuid NOT NULL REFERENCES anchor_records (batch_id),
    level smallint NOT NULL,
    nodes bytea NOT NULL,
    PRIMARY KEY (batch_id, level)
);
-- Hashes do not compress; EXTERNAL lets substring() read only the TOAST chunk that holds a sibling.
ALTER TABLE anchor_tree_levels ALTER COLUMN nodes SET STORAGE EXTERNAL;
