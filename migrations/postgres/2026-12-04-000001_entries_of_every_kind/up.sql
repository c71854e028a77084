-- One log for every kind of entry. Leaves, receipts, nodes and checkpoints
-- are left byte-identical: leaves only gain their type; letters get an id of
-- their own (one letter will own many leaves); configuration changes get
-- their projection.

-- Every leaf says which kind of entry it is (the `type` of its claims);
-- every leaf written so far is a registration.
ALTER TABLE leaves ADD COLUMN kind TEXT NOT NULL DEFAULT 'registration';

-- Letters keyed by their own id; their registration leaf stays unique.
ALTER TABLE letters ADD COLUMN id BIGINT;
UPDATE letters SET id = leaf_index + 1;
ALTER TABLE letters ALTER COLUMN id SET NOT NULL;

ALTER TABLE letter_documents ADD COLUMN letter_id BIGINT;
UPDATE letter_documents SET letter_id = leaf_index + 1;
ALTER TABLE letter_documents ALTER COLUMN letter_id SET NOT NULL;

ALTER TABLE letter_documents DROP CONSTRAINT letter_documents_pkey;
ALTER TABLE letter_documents DROP CONSTRAINT letter_documents_leaf_index_fkey;
ALTER TABLE letters DROP CONSTRAINT letters_pkey;
ALTER TABLE letters ADD CONSTRAINT letters_pkey PRIMARY KEY (id);
ALTER TABLE letters ADD CONSTRAINT letters_leaf_index_key UNIQUE (leaf_index);
ALTER TABLE letter_documents DROP COLUMN leaf_index;
ALTER TABLE letter_documents ADD CONSTRAINT letter_documents_pkey PRIMARY KEY (letter_id, position);
ALTER TABLE letter_documents ADD CONSTRAINT letter_documents_letter_id_fkey
    FOREIGN KEY (letter_id) REFERENCES letters (id);

-- The projection of `config` leaves: each change an administrator made.
CREATE TABLE config_changes (
    leaf_index BIGINT PRIMARY KEY NOT NULL REFERENCES leaves (leaf_index),
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX config_changes_setting ON config_changes (setting, leaf_index);
