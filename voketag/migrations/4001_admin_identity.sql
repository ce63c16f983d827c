-- Admin service: factory details, staff users, login sessions, reset tokens, service accounts.

-- Factory details the admin contract carries. Nullable/defaulted so rows other services insert keep working.
ALTER TABLE factories
    ADD COLUMN code text CHECK (code ~ '^[A-Z0-9-]{2,16}$'),
    ADD COLUMN country_code text NOT NULL DEFAULT '',
    ADD COLUMN active boolean NOT NULL DEFAULT true,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN request_id text,
    ADD COLUMN request_hash text;
CREATE UNIQUE INDEX factories_code ON factories (code);
CREATE UNIQUE INDEX factories_request ON factories (request_id);
CREATE INDEX factories_name ON factories (name, id);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'auditor', 'operator')),
    factory_id uuid REFERENCES factories (id),
    -- argon2id PHC string; NULL until the user sets a password through a reset token.
    password_hash text,
    active boolean NOT NULL DEFAULT true,
    -- Raised on deactivation and password reset: access tokens carrying a lower "ver" are revoked.
    token_version integer NOT NULL DEFAULT 1,
    request_id text UNIQUE,
    request_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    deactivated_at timestamptz,
    CHECK ((role = 'operator') = (factory_id IS NOT NULL))
);

-- One login session per Login; its refresh tokens rotate on every use.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

-- SHA-256 of each refresh token ever issued; a token presented after use ends its session (reuse detection).
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id),
    issued_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- Set when consumed or superseded by a newer token; a token is valid only while NULL.
    closed_at timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE closed_at IS NULL;

CREATE TABLE service_accounts (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    factory_id uuid NOT NULL REFERENCES factories (id),
    client_id text NOT NULL UNIQUE,
    -- SHA-256 of the 32-byte random secret (high entropy: a slow hash adds nothing).
    secret_hash text NOT NULL,
    secret_hint text NOT NULL,
    description text NOT NULL DEFAULT '',
    token_version integer NOT NULL DEFAULT 1,
    request_id text UNIQUE,
    request_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
CREATE INDEX service_accounts_created ON service_accounts (created_at DESC, id DESC);
