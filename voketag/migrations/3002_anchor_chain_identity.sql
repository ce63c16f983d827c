-- Which chain our anchors live on (issue #12). The chain id alone cannot tell a restarted or replaced node
-- from the one the database refers to (every fresh anvil is chain 31337), the genesis block hash can.

CREATE TABLE anchor_chains (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id bigint NOT NULL,
    genesis_hash text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the node stopped answering with this chain; exactly one row (the current one) has none.
    retired_at timestamptz,
    UNIQUE (chain_id, genesis_hash)
);
CREATE UNIQUE INDEX anchor_chains_current ON anchor_chains ((true)) WHERE retired_at IS NULL;

-- NULL: sent before the chain was recorded; the first check adopts those rows or orphans them.
ALTER TABLE anchor_aggregations ADD COLUMN chain_ref bigint REFERENCES anchor_chains (id);

-- ORPHANED: sent to a chain the node no longer has (reset, replaced, or it lost our queued transactions); its
-- batches went back to PENDING and were anchored again. Its nonce means nothing on the current chain.
ALTER TABLE anchor_aggregations DROP CONSTRAINT anchor_aggregations_state_check;
ALTER TABLE anchor_aggregations ADD CONSTRAINT anchor_aggregations_state_check
    CHECK (state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED', 'ABANDONED', 'FAILED', 'ORPHANED'));
DROP INDEX anchor_aggregations_nonce_key;
CREATE UNIQUE INDEX anchor_aggregations_nonce_key ON anchor_aggregations (chain_id, sender, nonce)
    WHERE state NOT IN ('FAILED', 'ORPHANED');
