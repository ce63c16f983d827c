-- Fraud reports follow the one idempotency rule of every Create (voketag/idempotency.py): a request id
-- replayed with another body is refused instead of answering the first report. Rows filed before this
-- column keep '' (their retries are refused too: a report's retry window is seconds, not a deploy).
ALTER TABLE scan_report_meta ADD COLUMN request_hash text NOT NULL DEFAULT '';
