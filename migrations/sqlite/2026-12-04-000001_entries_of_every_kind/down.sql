-- Back to one leaf per letter (refused by the foreign keys if the log holds
-- configuration changes: their leaves have no letter).
DROP TABLE config_changes;

CREATE TABLE letters_v1 (
    leaf_index BIGINT PRIMARY KEY NOT NULL REFERENCES leaves (leaf_index),
    number TEXT NOT NULL UNIQUE,
    registered_at_ms BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    access_code TEXT NOT NULL,
    status TEXT NOT NULL
);
INSERT INTO letters_v1 SELECT leaf_index, number, registered_at_ms, metadata, access_code, status
    FROM letters;
CREATE TABLE letter_documents_v1 (
    leaf_index BIGINT NOT NULL REFERENCES letters_v1 (leaf_index),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (leaf_index, position)
);
INSERT INTO letter_documents_v1
    SELECT l.leaf_index, d.position, d.sha256, d.size, d.file_name, d.media_type
    FROM letter_documents d JOIN letters l ON l.id = d.letter_id;
DROP TABLE letter_documents;
DROP TABLE letters;
ALTER TABLE letters_v1 RENAME TO letters;
ALTER TABLE letter_documents_v1 RENAME TO letter_documents;
CREATE INDEX letters_registered_at ON letters (registered_at_ms);
CREATE INDEX letter_documents_sha256 ON letter_documents (sha256);

ALTER TABLE leaves DROP COLUMN kind;
