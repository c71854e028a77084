//! Letter metadata as the clerk API takes it (the JSON of the `metadata`
//! part), shared by the suites so that they register the same letters.
//!
//! Tests that need a value to show up (or not) in an answer use the
//! constants below, never a copy of them.

use serde_json::{json, Value};

/// The sender most tests register a letter from.
pub const SENDER: &str = "Fatima Zahra";
/// A national identity number: personal data, never in a public answer.
pub const NATIONAL_ID: &str = "AB123456";
/// The subject of [`letter`].
pub const SUBJECT: &str = "Demande de relogement";
/// The addressee of [`letter`].
pub const ADDRESSEE: &str = "Service social";

/// The letter most tests register: from `sender`, with a national identity
/// number, the subject [`SUBJECT`], on paper, for [`ADDRESSEE`].
pub fn letter(sender: &str) -> Value {
    json!({
        "sender": {"name": sender, "national_id": NATIONAL_ID},
        "subject": SUBJECT,
        "channel": "paper",
        "addressee": ADDRESSEE,
    })
}

/// Only what a registration requires: a sender's name, a subject, and the
/// channel (paper).
pub fn minimal(sender: &str, subject: &str) -> Value {
    json!({"sender": {"name": sender}, "subject": subject, "channel": "paper"})
}

/// Every field given, each text as long as the registry accepts (the sender's
/// name, address, reference, addressee, subject and notes, the notes in
/// Arabic: two bytes a character), the e-mail address and the national id
/// well-formed: the largest metadata a registration may carry.
pub fn full() -> Value {
    json!({
        "sender": {
            "name": "N".repeat(200),
            "address": "A".repeat(500),
            "email": "a@example.ma",
            "national_id": NATIONAL_ID,
        },
        "reference": "R".repeat(100),
        "addressee": "D".repeat(200),
        "subject": "S".repeat(500),
        "channel": "paper",
        "letter_date": "2026-01-15",
        "notes": "ن".repeat(5000),
    })
}

/// `metadata` changed by `edit` (e.g. one field made invalid).
pub fn edited(mut metadata: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut metadata);
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_letter_names_its_sender_and_carries_personal_data() {
        let m = letter("Khadija");
        assert_eq!(m["sender"]["name"], "Khadija");
        assert_eq!(m["sender"]["national_id"], NATIONAL_ID);
        assert_eq!(m["subject"], SUBJECT);
        assert_eq!(m["channel"], "paper");
        assert_eq!(m["addressee"], ADDRESSEE);
    }

    #[test]
    fn the_minimal_letter_has_the_three_required_fields_only() {
        let m = minimal("A", "B");
        assert_eq!(
            m,
            json!({"sender": {"name": "A"}, "subject": "B", "channel": "paper"})
        );
    }

    #[test]
    fn the_full_letter_fills_every_field() {
        let m = full();
        let fields = |v: &Value| v.as_object().map(|o| o.len()).unwrap_or_default();
        assert_eq!(fields(&m), 7);
        assert_eq!(fields(&m["sender"]), 4);
        assert_eq!(m["notes"].as_str().map(|n| n.chars().count()), Some(5000));
    }

    #[test]
    fn an_edit_changes_only_what_it_touches() {
        let m = edited(minimal("A", "B"), |m| m["channel"] = json!("web"));
        assert_eq!(
            m,
            json!({"sender": {"name": "A"}, "subject": "B", "channel": "web"})
        );
    }
}
