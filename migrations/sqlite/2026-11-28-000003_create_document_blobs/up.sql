-- Small documents, stored in the database and committed with their letter's
-- batch (one fsync for the batch instead of one per file); identical
-- documents once. Larger documents are content-addressed files.
CREATE TABLE document_blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    content BLOB NOT NULL
);
