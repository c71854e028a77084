//! Checkpoints and signed notes: `Checkpoint::parse_body`, `note::parse_note`,
//! `note::open_note` / `Checkpoint::open` with the fixed verifiers, and
//! `bundle::parse_tlog_proof`, on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sijil_fuzz::note_verifiers;
use sijil_receipt::bundle::{tlog_proof, TlogProof};
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::note::{open_note, parse_note};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // A body that parses is written back byte for byte.
    if let Ok(checkpoint) = Checkpoint::parse_body(text) {
        assert_eq!(checkpoint.body(), text, "checkpoint body round trip");
    }

    let parsed = parse_note(text);
    if let Ok(note) = &parsed {
        assert!(note.text.ends_with('\n'));
        assert!(!note.signatures.is_empty());
        assert!(text.starts_with(&note.text));
        let _ = Checkpoint::parse_body(&note.text);
    }
    if let Ok(opened) = open_note(text, note_verifiers()) {
        // Opening implies parsing, with the same text.
        let parsed = parsed.as_ref().expect("an opened note parses");
        assert_eq!(opened.text, parsed.text);
        assert!(!opened.signatures.is_empty());
    }
    let _ = Checkpoint::open(text, note_verifiers());

    // tlog-proof files: one without an extra line is written back identically.
    if let Ok(parsed) = TlogProof::parse(text) {
        assert!(parsed.proof.index < parsed.proof.tree_size);
        if parsed.extra.is_none() {
            assert_eq!(
                tlog_proof(&parsed.proof, &parsed.checkpoint),
                text,
                "tlog-proof round trip"
            );
        }
    }
    let _ = sijil_receipt::bundle::parse_tlog_proof(text);
});
