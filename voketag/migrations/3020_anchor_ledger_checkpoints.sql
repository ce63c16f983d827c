-- Scan ledger checkpoints anchored with the batch roots (issue 14): an aggregation that finds a signed
-- ledger checkpoint newer than the last one it anchored adds the checkpoint's commitment (SHA-256 of the
-- C2SP checkpoint text) as its last leaf. No foreign key to the scan tables: the scan service owns them.
CREATE TABLE anchor_ledger_checkpoints (
    aggregation_id bigint PRIMARY KEY REFERENCES anchor_aggregations (id),
    origin text NOT NULL,
    tree_size bigint NOT NULL,
    root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
    aggregate_index integer NOT NULL
);
CREATE INDEX anchor_ledger_checkpoints_size ON anchor_ledger_checkpoints (tree_size DESC);
