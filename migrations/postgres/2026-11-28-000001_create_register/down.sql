DROP TABLE letter_documents;
DROP TABLE letters;
DROP TABLE counters;
DROP TABLE checkpoints;
DROP TABLE tree_nodes;
DROP TABLE leaves;
DROP TABLE log_head;
