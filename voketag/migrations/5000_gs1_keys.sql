-- GS1 keys of a batch (issue 16): its products then carry GS1 element strings and GS1 Digital Link URIs.
-- gtin is stored as GTIN-14 (shorter GTINs are zero-padded); lot is AI 10 ('' = none); expiry is AI 17.
ALTER TABLE batches
    ADD COLUMN gtin text CHECK (gtin ~ '^[0-9]{14}$'),
    ADD COLUMN lot text NOT NULL DEFAULT '' CHECK (length(lot) <= 20),
    ADD COLUMN expiry date;
-- The resolver finds a product by (GTIN, serial) when a Digital Link carries no token.
CREATE INDEX batches_gtin ON batches (gtin) WHERE gtin IS NOT NULL;
