-- One review queue: fraud reports about counterfeit codes (tokens that name no product) are stored in
-- fraud_reports like every other report, and the fields the review view shows are columns of the report.

ALTER TABLE fraud_reports
    ALTER COLUMN product_id DROP NOT NULL,
    ALTER COLUMN batch_id DROP NOT NULL,
    ALTER COLUMN factory_id DROP NOT NULL,
    -- The scan the reporter quoted (scans.id), checked to be a scan of the reported token.
    ADD COLUMN scan_id bigint,
    -- Where the reporter says the product was found (ISO 3166-1 alpha-2), '' when unknown.
    ADD COLUMN country_code text NOT NULL DEFAULT '',
    -- voketag.tokens.fingerprint of the reported token: names the code without being printable.
    -- '' for reports filed before this migration about genuine codes (their text was never stored).
    ADD COLUMN token_fingerprint text NOT NULL DEFAULT '',
    -- The reported text of a code that names no product: the counterfeiter's own string, not a brand
    -- secret. A genuine code's token is never stored with a report.
    ADD COLUMN counterfeit_token text,
    ADD CONSTRAINT fraud_reports_subject CHECK (
        num_nulls(product_id, batch_id, factory_id) IN (0, 3)
        AND (product_id IS NULL) = (counterfeit_token IS NOT NULL)
    );

UPDATE fraud_reports f SET scan_id = m.scan_id FROM scan_report_meta m WHERE m.report_id = f.id;

-- Reports on counterfeit codes filed before this migration. The fingerprint is voketag.tokens.fingerprint
-- written in SQL for this one backfill.
INSERT INTO fraud_reports (id, contact, description, country_code, token_fingerprint, counterfeit_token,
                           scan_id, created_at, updated_at)
SELECT o.id, o.contact, o.description, o.country,
       left(encode(sha256(convert_to('voketag/token-fingerprint/v1|' || upper(o.token), 'UTF8')), 'hex'), 16),
       o.token, m.scan_id, o.created_at, o.created_at
FROM scan_orphan_reports o LEFT JOIN scan_report_meta m ON m.report_id = o.id;

DROP TABLE scan_orphan_reports;
