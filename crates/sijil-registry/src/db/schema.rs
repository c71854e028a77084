//! Diesel table definitions, shared by the SQLite and PostgreSQL backends.
//! Column types are those both backends have: BigInt, Integer, Text, Binary.

diesel::table! {
    log_head (id) {
        id -> Integer,
        tree_size -> BigInt,
        last_registered_ms -> BigInt,
    }
}

diesel::table! {
    leaves (leaf_index) {
        leaf_index -> BigInt,
        receipt -> Text,
        kind -> Text,
    }
}

diesel::table! {
    tree_nodes (level, node_index) {
        level -> Integer,
        node_index -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    checkpoints (tree_size) {
        tree_size -> BigInt,
        note -> Text,
    }
}

diesel::table! {
    counters (year) {
        year -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    letters (id) {
        id -> BigInt,
        leaf_index -> BigInt,
        number -> Text,
        registered_at_ms -> BigInt,
        metadata -> Text,
        access_code -> Text,
        status -> Text,
    }
}

diesel::table! {
    letter_documents (letter_id, position) {
        letter_id -> BigInt,
        position -> Integer,
        sha256 -> Text,
        size -> BigInt,
        file_name -> Text,
        media_type -> Text,
    }
}

diesel::joinable!(letters -> leaves (leaf_index));
diesel::joinable!(letter_documents -> letters (letter_id));
diesel::joinable!(config_changes -> leaves (leaf_index));
diesel::allow_tables_to_appear_in_same_query!(
    log_head,
    leaves,
    tree_nodes,
    checkpoints,
    counters,
    letters,
    letter_documents,
    api_tokens,
    document_blobs,
    config_changes,
);

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        token_sha256 -> Text,
        created_at_ms -> BigInt,
        revoked_at_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    document_blobs (sha256) {
        sha256 -> Text,
        content -> Binary,
    }
}

diesel::table! {
    config_changes (leaf_index) {
        leaf_index -> BigInt,
        setting -> Text,
        value -> Text,
        actor -> Text,
    }
}
