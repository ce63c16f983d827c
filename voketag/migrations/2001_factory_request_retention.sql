-- Factory service: idempotency records (factory_requests) expire after REQUEST_ID_RETENTION_S; the service
-- deletes them oldest first in bounded chunks (factory_svc/retention.py). This index lets each chunk find
-- its rows by a range scan instead of reading the whole table.
--
-- Migrations run in one transaction, so this cannot be CREATE INDEX CONCURRENTLY; the build blocks writes
-- to factory_requests while it runs. On a large production table, create the index first, outside any
-- transaction, with the statement below plus CONCURRENTLY; IF NOT EXISTS then makes this a no-op.
CREATE INDEX IF NOT EXISTS factory_requests_created ON factory_requests (created_at);
