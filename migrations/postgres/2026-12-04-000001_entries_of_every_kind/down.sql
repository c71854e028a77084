-- Back to one leaf per letter.
DROP TABLE config_changes;

ALTER TABLE letter_documents ADD COLUMN leaf_index BIGINT;
UPDATE letter_documents d SET leaf_index = l.leaf_index FROM letters l WHERE l.id = d.letter_id;
ALTER TABLE letter_documents ALTER COLUMN leaf_index SET NOT NULL;
ALTER TABLE letter_documents DROP CONSTRAINT letter_documents_letter_id_fkey;
ALTER TABLE letter_documents DROP CONSTRAINT letter_documents_pkey;
ALTER TABLE letter_documents DROP COLUMN letter_id;
ALTER TABLE letters DROP CONSTRAINT letters_leaf_index_key;
ALTER TABLE letters DROP CONSTRAINT letters_pkey;
ALTER TABLE letters DROP COLUMN id;
ALTER TABLE letters ADD CONSTRAINT letters_pkey PRIMARY KEY (leaf_index);
ALTER TABLE letter_documents ADD CONSTRAINT letter_documents_pkey PRIMARY KEY (leaf_index, position);
ALTER TABLE letter_documents ADD CONSTRAINT letter_documents_leaf_index_fkey
    FOREIGN KEY (leaf_index) REFERENCES letters (leaf_index);

ALTER TABLE leaves DROP COLUMN kind;
