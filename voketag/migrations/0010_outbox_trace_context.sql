-- The trace context of the request that asked for a batch's anchoring (docs/operations.md, "Tracing"): the
-- relay sends the message later from a background task, and the worker continues the request's trace with it.
-- A table of its own because this shared migration runs before the factory's, which create anchor_outbox;
-- rows exist only while tracing is on and the request is waiting, and go when the relay sends it.
CREATE TABLE anchor_outbox_trace (
    outbox_id bigint PRIMARY KEY,
    traceparent text NOT NULL,
    request_id text NOT NULL
);
