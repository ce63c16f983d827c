-- Anchoring: a transaction the node keeps refusing (never taken into its pool) ends FAILED, and its nonce,
-- never consumed on chain, goes to the next aggregation instead of leaving a gap that blocks every later one.

ALTER TABLE anchor_aggregations DROP CONSTRAINT anchor_aggregations_state_check;
ALTER TABLE anchor_aggregations ADD CONSTRAINT anchor_aggregations_state_check
    CHECK (state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED', 'ABANDONED', 'FAILED'));

-- A FAILED aggregation's nonce is used again by a later aggregation: only the others must be unique.
ALTER TABLE anchor_aggregations DROP CONSTRAINT anchor_aggregations_chain_id_sender_nonce_key;
CREATE UNIQUE INDEX anchor_aggregations_nonce_key ON anchor_aggregations (chain_id, sender, nonce)
    WHERE state <> 'FAILED';

-- accepted: the node may hold a signed version (it took one into its pool, or a send ended without a clear
-- answer). Such a transaction may be mined at any time (peers may hold it even after this node dropped it),
-- so its nonce is never given up. Sticky: only ever set, never cleared.
-- sending: committed before eth_sendRawTransaction and cleared by the transaction that records the answer
-- (success or timeout: accepted; an explicit refusal: refusals + 1). Still set at the start of a cycle means
-- the answer was lost (crash, failed commit): the cycle turns it into accepted.
-- refusals: how often the node refused it (see Rejected.refused); ANCHOR_MAX_REFUSALS of them end it.
ALTER TABLE anchor_aggregations
    ADD COLUMN accepted boolean NOT NULL DEFAULT false,
    ADD COLUMN sending boolean NOT NULL DEFAULT false,
    ADD COLUMN refusals integer NOT NULL DEFAULT 0;
-- Before this migration a send that timed out or whose answer was never recorded left only attempts > 0
-- behind (broadcast_at NULL): the node may hold any of those.
UPDATE anchor_aggregations SET accepted = true
WHERE broadcast_at IS NOT NULL OR attempts > 0 OR reorgs > 0 OR state <> 'SUBMITTED';
-- Every cycle looks for sends left unanswered; almost always none, so index only those.
CREATE INDEX anchor_aggregations_sending ON anchor_aggregations (id) WHERE sending;

-- Nonces of FAILED aggregations, free for the next one (lowest first).
CREATE TABLE anchor_released_nonces (
    chain_id bigint NOT NULL,
    sender text NOT NULL,
    nonce bigint NOT NULL CHECK (nonce >= 0),
    released_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, sender, nonce)
);
