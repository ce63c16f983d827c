-- Scan ledger proofs in O(log n) reads (docs/ledger.md, "How proofs are computed"): the hash of every perfect
-- subtree of the Merkle tree above the leaves, stored by the sealer in the transaction that seals the leaf
-- completing it. Node (level, idx) covers the leaves idx * 2^level .. (idx + 1) * 2^level - 1; level 0, the
-- leaves themselves, is scan_ledger.leaf_hash of seq idx + 1 and is not repeated here. idx comes first so that no
-- alignment padding follows level: 77 instead of 84 MB of heap per million nodes (108 MB with the primary key).
CREATE TABLE scan_ledger_nodes (
    idx bigint NOT NULL,
    level smallint NOT NULL CHECK (level BETWEEN 1 AND 63),
    hash bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

-- The tree size whose nodes are all stored. It lags tree_size only for entries sealed without nodes: before this
-- migration, or by a replica still running older code during an upgrade. The sealer then stores the missing nodes
-- first, a bounded batch per transaction, so a restart midway resumes where it stopped.
ALTER TABLE scan_ledger_state ADD COLUMN nodes_size bigint NOT NULL DEFAULT 0;
