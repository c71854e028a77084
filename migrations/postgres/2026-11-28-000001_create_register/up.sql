-- The log head: one row, the tree size and the last registration time.
-- Every write transaction starts by taking it (SELECT ... FOR UPDATE on PostgreSQL).
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    tree_size BIGINT NOT NULL,
    last_registered_ms BIGINT NOT NULL
);
INSERT INTO log_head (id, tree_size, last_registered_ms) VALUES (1, 0, 0);

-- One row per log leaf: the compact JWS whose payload bytes are the leaf.
CREATE TABLE leaves (
    leaf_index BIGINT PRIMARY KEY NOT NULL,
    receipt TEXT NOT NULL
);

-- Perfect subtrees of the RFC 6962 tree: node (level, node_index) covers
-- leaves [node_index * 2^level, (node_index + 1) * 2^level).
CREATE TABLE tree_nodes (
    level INTEGER NOT NULL,
    node_index BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, node_index)
);

-- Signed checkpoints, one per committed batch.
CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    note TEXT NOT NULL
);

-- Gapless per-year registration counters.
CREATE TABLE counters (
    year INTEGER PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);

-- Registered letters: the record behind each registration leaf.
CREATE TABLE letters (
    leaf_index BIGINT PRIMARY KEY NOT NULL REFERENCES leaves (leaf_index),
    number TEXT NOT NULL UNIQUE,
    registered_at_ms BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    access_code TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX letters_registered_at ON letters (registered_at_ms);

-- Documents attached to a letter; the bytes live content-addressed on disk.
CREATE TABLE letter_documents (
    leaf_index BIGINT NOT NULL REFERENCES letters (leaf_index),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (leaf_index, position)
);
CREATE INDEX letter_documents_sha256 ON letter_documents (sha256);
