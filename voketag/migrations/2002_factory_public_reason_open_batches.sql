-- Factory service: a public reason next to the internal one for every lifecycle change (consumers see only
-- the public one), and batches kept open for additions until they are sealed.

ALTER TABLE batches ADD COLUMN public_reason text NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN public_reason text NOT NULL DEFAULT '';

-- An open batch takes new products until seal_at (NULL: sealed as soon as it is created); the outbox row
-- that asks for its anchoring waits until then (or until SealBatch moves it to now).
ALTER TABLE batches ADD COLUMN seal_at timestamptz;
ALTER TABLE anchor_outbox ADD COLUMN not_before timestamptz NOT NULL DEFAULT now();
DROP INDEX anchor_outbox_pending;
CREATE INDEX anchor_outbox_pending ON anchor_outbox (not_before, id) WHERE sent_at IS NULL;
