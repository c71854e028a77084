-- One log for every kind of entry. Leaves, receipts, nodes and checkpoints
-- are left byte-identical: leaves only gain their type; letters get an id of
-- their own (one letter will own many leaves); configuration changes get
-- their projection.

-- Every leaf says which kind of entry it is (the `type` of its claims);
-- every leaf written so far is a registration.
ALTER TABLE leaves ADD COLUMN kind TEXT NOT NULL DEFAULT 'registration';

-- Letters keyed by their own id; their registration leaf stays unique.
CREATE TABLE letters_v2 (
    id INTEGER PRIMARY KEY NOT NULL,
    leaf_index BIGINT NOT NULL UNIQUE REFERENCES leaves (leaf_index),
    number TEXT NOT NULL UNIQUE,
    registered_at_ms BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    access_code TEXT NOT NULL,
    status TEXT NOT NULL
);
INSERT INTO letters_v2 (id, leaf_index, number, registered_at_ms, metadata, access_code, status)
    SELECT leaf_index + 1, leaf_index, number, registered_at_ms, metadata, access_code, status
    FROM letters;

CREATE TABLE letter_documents_v2 (
    letter_id BIGINT NOT NULL REFERENCES letters_v2 (id),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (letter_id, position)
) WITHOUT ROWID;
INSERT INTO letter_documents_v2 (letter_id, position, sha256, size, file_name, media_type)
    SELECT leaf_index + 1, position, sha256, size, file_name, media_type
    FROM letter_documents;

DROP TABLE letter_documents;
DROP TABLE letters;
ALTER TABLE letters_v2 RENAME TO letters;
ALTER TABLE letter_documents_v2 RENAME TO letter_documents;
CREATE INDEX letters_registered_at ON letters (registered_at_ms);
CREATE INDEX letter_documents_sha256 ON letter_documents (sha256);

-- The projection of `config` leaves: each change an administrator made.
CREATE TABLE config_changes (
    leaf_index BIGINT PRIMARY KEY NOT NULL REFERENCES leaves (leaf_index),
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX config_changes_setting ON config_changes (setting, leaf_index);
