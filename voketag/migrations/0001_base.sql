-- Factories own batches, products, operators and service accounts; every service scopes rows by them.
CREATE TABLE factories (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
