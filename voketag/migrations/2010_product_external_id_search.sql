-- SearchProducts finds products by external id across batches; the unique index (batch_id, external_id)
-- cannot serve a lookup without the batch.
CREATE INDEX products_external_id ON products (external_id) WHERE external_id <> '';
