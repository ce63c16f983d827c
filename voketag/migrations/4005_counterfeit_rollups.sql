-- Scans of codes that name no product (forged, unknown key, retired key, or no such product): the scan
-- service counts them in Redis, never in PostgreSQL on the request path, and flushes the counts here
-- (scan_svc/counterfeits.py). They belong to no factory.

-- Per UTC hour, for the dashboard's windows.
CREATE TABLE counterfeit_hourly (
    hour timestamptz PRIMARY KEY,
    scans bigint NOT NULL
);

-- Per UTC day, country the client gave or the edge set ('' unknown), key id read from the token (-1 when
-- the text does not even decode) and why the token was refused.
CREATE TABLE counterfeit_daily (
    day date NOT NULL,
    country text NOT NULL,
    key_id smallint NOT NULL CHECK (key_id BETWEEN -1 AND 255),
    reason text NOT NULL,
    scans bigint NOT NULL,
    PRIMARY KEY (day, country, key_id, reason)
);

-- Batches of counts already added (by their id): a batch that two replicas, or a retry after a crash
-- between the commit and the Redis clean-up, try to add again is skipped.
CREATE TABLE counterfeit_flushes (
    id text PRIMARY KEY,
    flushed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX counterfeit_flushes_at ON counterfeit_flushes (flushed_at);
