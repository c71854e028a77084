-- Clerk API tokens: only the SHA-256 of each token is stored.
CREATE TABLE api_tokens (
    id BIGINT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
