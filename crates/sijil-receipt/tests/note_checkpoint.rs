//! Signed notes and checkpoints: our own round trips, and interoperability
//! with golang.org/x/mod/sumdb/note (test data copied from its
//! `note_test.go`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::SigningKey;
use sijil_receipt::checkpoint::Checkpoint;
use sijil_receipt::merkle::{leaf_hash, root_from_leaf_hashes};
use sijil_receipt::note::{key_hash, key_id, open_note, parse_note, sign_note, NoteVerifier};

// ---- golang.org/x/mod/sumdb/note test data ----

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> NoteVerifier {
    NoteVerifier::parse(PETER_VKEY).unwrap()
}

fn enoch() -> NoteVerifier {
    NoteVerifier::parse(ENOCH_VKEY).unwrap()
}

/// The Go private key string is `PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ seed)`.
fn peter_signing_key() -> SigningKey {
    let b64 = PETER_SKEY.splitn(5, '+').nth(4).unwrap();
    let raw = STANDARD.decode(b64).unwrap();
    assert_eq!(raw[0], 0x01);
    SigningKey::from_bytes(&raw[1..].try_into().unwrap())
}

#[test]
fn go_verifier_key_parses_and_prints_back_identically() {
    let v = peter();
    assert_eq!(v.name, "PeterNeumann");
    assert_eq!(hex::encode(v.key_hash), "c74f20a3");
    assert_eq!(v.to_string(), PETER_VKEY);
    assert_eq!(key_id("PeterNeumann", &v.key), "c74f20a3");
    assert_eq!(enoch().to_string(), ENOCH_VKEY);
}

#[test]
fn go_verifier_key_manglings_are_rejected() {
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = std::str::from_utf8(&b[i..j]).unwrap();
                assert!(NoteVerifier::parse(s).is_err(), "{s:?} accepted");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let s = String::from_utf8(m).unwrap();
        assert!(NoteVerifier::parse(&s).is_err(), "{s:?} accepted");
    }
    // Wrong key length, and unknown algorithm, each with an adjusted key hash.
    assert!(NoteVerifier::parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert!(NoteVerifier::parse(
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    .is_err());
}

#[test]
fn go_private_key_signs_the_same_note_as_go() {
    let key = peter_signing_key();
    assert_eq!(key.verifying_key(), peter().key);
    let signed = sign_note(TEXT, "PeterNeumann", &key).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
}

#[test]
fn go_signed_note_opens_with_known_key_and_ignores_unknown_ones() {
    let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let n = open_note(&msg, &[peter()]).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.signatures.len(), 1);
    assert_eq!(n.signatures[0].name, "PeterNeumann");
    assert_eq!(hex::encode(n.signatures[0].key_hash), "c74f20a3");

    let n = open_note(&msg, &[peter(), enoch()]).unwrap();
    assert_eq!(n.signatures.len(), 2);

    assert!(open_note(&msg, &[]).is_err());
    assert_eq!(parse_note(&msg).unwrap().signatures.len(), 2);
}

#[test]
fn go_note_with_a_bad_signature_by_a_known_key_is_rejected() {
    let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(open_note(&format!("{TEXT}\n{bad}"), &[peter()]).is_err());
    // The same bad signature by a key we do not know is ignored.
    let bad_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let msg = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{bad_enoch}");
    let n = open_note(&msg, &[peter()]).unwrap();
    assert_eq!(n.signatures.len(), 1);
}

#[test]
fn go_malformed_notes_are_rejected() {
    let truncated = &PETER_SIG[..PETER_SIG.len() - 1];
    let bad = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{truncated}"),
        format!("\u{1}{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
    ];
    for msg in bad {
        assert!(open_note(&msg, &[peter()]).is_err(), "{msg:?} accepted");
    }
}

#[test]
fn misnamed_or_rehashed_signature_is_not_matched_to_a_key() {
    let misnamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego");
    assert!(open_note(&format!("{TEXT}\n{misnamed}"), &[peter()]).is_err());
    let wrong_hash = PETER_SIG.replace("x08g", "xxxx");
    assert!(open_note(&format!("{TEXT}\n{wrong_hash}"), &[peter()]).is_err());
}

// ---- our checkpoints ----

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn checkpoint() -> Checkpoint {
    let leaves: Vec<_> = (0u8..9).map(|i| leaf_hash(&[i])).collect();
    Checkpoint {
        origin: "bo.mediateur.example".into(),
        size: 9,
        root: root_from_leaf_hashes(&leaves),
        extensions: vec![],
    }
}

fn log_verifier() -> NoteVerifier {
    NoteVerifier::new("bo.mediateur.example", log_key().verifying_key()).unwrap()
}

#[test]
fn signed_checkpoint_has_the_c2sp_layout() {
    let cp = checkpoint();
    let signed = cp.sign(&log_key()).unwrap();
    let lines: Vec<&str> = signed.split('\n').collect();
    assert_eq!(lines[0], "bo.mediateur.example");
    assert_eq!(lines[1], "9");
    assert_eq!(STANDARD.decode(lines[2]).unwrap(), cp.root);
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} bo.mediateur.example "));
    assert_eq!(lines[5], "");
    assert_eq!(lines.len(), 6);
    let sig = STANDARD
        .decode(lines[4].rsplit(' ').next().unwrap())
        .unwrap();
    assert_eq!(sig.len(), 68);
    assert_eq!(
        sig[..4],
        key_hash("bo.mediateur.example", &log_key().verifying_key())
    );
}

#[test]
fn signed_checkpoint_opens_and_parses_back() {
    let cp = checkpoint();
    let signed = cp.sign(&log_key()).unwrap();
    let note = open_note(&signed, &[log_verifier()]).unwrap();
    assert_eq!(Checkpoint::parse_body(&note.text).unwrap(), cp);
    assert_eq!(Checkpoint::open(&signed, &[log_verifier()]).unwrap(), cp);
}

#[test]
fn tampered_checkpoint_text_fails() {
    let signed = checkpoint().sign(&log_key()).unwrap();
    let tampered = signed.replacen("\n9\n", "\n10\n", 1);
    assert_ne!(tampered, signed);
    assert!(Checkpoint::open(&tampered, &[log_verifier()]).is_err());
}

#[test]
fn checkpoint_signed_by_another_key_fails() {
    let signed = checkpoint()
        .sign(&SigningKey::from_bytes(&[7; 32]))
        .unwrap();
    assert!(Checkpoint::open(&signed, &[log_verifier()]).is_err());
}

#[test]
fn checkpoint_key_with_matching_name_and_hash_but_wrong_key_is_an_error() {
    // A verifier claiming the signer's name and hash with another public key
    // must not make the note verify.
    let signed = checkpoint().sign(&log_key()).unwrap();
    let mut impostor = NoteVerifier::new(
        "bo.mediateur.example",
        SigningKey::from_bytes(&[8; 32]).verifying_key(),
    )
    .unwrap();
    impostor.key_hash = log_verifier().key_hash;
    assert!(Checkpoint::open(&signed, &[impostor]).is_err());
}

#[test]
fn checkpoint_with_extension_lines_roundtrips() {
    let mut cp = checkpoint();
    cp.extensions = vec!["ext-a".into(), "ext b".into()];
    let signed = cp.sign(&log_key()).unwrap();
    assert_eq!(Checkpoint::open(&signed, &[log_verifier()]).unwrap(), cp);
}

#[test]
fn c2sp_example_checkpoint_body_parses() {
    // The example of c2sp.org/tlog-checkpoint (its signature needs the log's key).
    let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    let parsed = parse_note(note).unwrap();
    let cp = Checkpoint::parse_body(&parsed.text).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert_eq!(cp.body(), parsed.text);
}
