-- Append-only, hash-chained record of every mutating RPC, written in the same transaction as the change.
CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    actor_role text NOT NULL,
    factory_id text NOT NULL,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    request_id text NOT NULL,
    source text NOT NULL,
    details jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC, seq DESC);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq DESC);

-- Append-only for the application: edits and deletions are refused by the database itself.
-- (A superuser can still disable the trigger; the hash chain is what detects that.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
