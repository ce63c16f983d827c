-- Factory service: anchoring outbox, idempotency keys, webhooks and their deliveries.

-- Transactional outbox: a row is written in the transaction that creates (or grows) a batch; the relay in
-- factory_svc enqueues the Dramatiq anchoring message and then sets sent_at (at least once).
CREATE TABLE anchor_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id uuid NOT NULL REFERENCES batches (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX anchor_outbox_pending ON anchor_outbox (id) WHERE sent_at IS NULL;

-- Idempotency of the Creates that have no request_id column of their own (CreateProduct, ImportCsv into an
-- existing batch, CreateWebhook): the first request with a (factory, kind, request id) wins.
CREATE TABLE factory_requests (
    factory_id uuid NOT NULL REFERENCES factories (id),
    kind text NOT NULL,
    request_id text NOT NULL,
    request_hash text NOT NULL,
    object_id uuid NOT NULL,
    result jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (factory_id, kind, request_id)
);

-- external_id is unique within a batch when set.
CREATE UNIQUE INDEX products_batch_external_id ON products (batch_id, external_id) WHERE external_id <> '';

CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    factory_id uuid NOT NULL REFERENCES factories (id),
    url text NOT NULL,
    -- Event type names as in batch_events.type ('batch.anchored', ...).
    events text[] NOT NULL,
    description text NOT NULL DEFAULT '',
    -- The signing secret is needed in clear to compute HMACs, so it cannot be hashed; it is readable only by
    -- the database roles of the factory service and its worker (see docs/factory.md).
    secret text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX webhooks_factory_created ON webhooks (factory_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- One event to one webhook, with all its attempts summarised; enqueued_at is the relay's outbox mark.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    webhook_id uuid NOT NULL REFERENCES webhooks (id),
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    object_id uuid NOT NULL,
    body text NOT NULL,
    state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED')),
    attempts integer NOT NULL DEFAULT 0,
    last_status_code integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    delivered_at timestamptz,
    enqueued_at timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_unqueued ON webhook_deliveries (created_at) WHERE enqueued_at IS NULL;

CREATE TABLE webhook_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code integer NOT NULL DEFAULT 0,
    error text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
