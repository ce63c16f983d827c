-- Fraud reports: which unreviewed reports may move the public verdict, and idempotency keys scoped to the
-- reporter and the token (docs/scan.md, "Fraud reports").

-- counts_publicly: the report followed a scan of the code from the reporter's device and is the first such
-- report on the product from that device and from that network. reporter_device / reporter_network are
-- keyed hashes (no raw address is stored).
ALTER TABLE fraud_reports
    ADD COLUMN counts_publicly boolean NOT NULL DEFAULT false,
    ADD COLUMN reporter_device text NOT NULL DEFAULT '',
    ADD COLUMN reporter_network text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX fraud_reports_counted_device ON fraud_reports (product_id, reporter_device) WHERE counts_publicly;
CREATE UNIQUE INDEX fraud_reports_counted_network ON fraud_reports (product_id, reporter_network) WHERE counts_publicly;

-- A request id names a report only within its scope (keyed hash of the reporter's device and the token):
-- another reporter reusing "report-1" files a report of its own.
ALTER TABLE scan_report_meta
    DROP CONSTRAINT scan_report_meta_request_id_key,
    ADD COLUMN request_scope text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX scan_report_meta_request ON scan_report_meta (request_scope, request_id);
