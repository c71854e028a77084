//! The `sijil` command line, end to end, on the embedded SQLite database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use sijil_e2e::Sandbox;

#[test]
fn init_is_idempotent_and_prints_the_note_verifier_key() {
    let s = Sandbox::new();
    let first = s.run(["init", "--origin", "bo.mediateur.example"]).ok();
    assert!(
        first.stdout.starts_with("bo.mediateur.example+"),
        "{}",
        first.stdout
    );
    let again = s.run(["init"]).ok();
    assert_eq!(first.stdout, again.stdout);
    let refused = s.run(["init", "--origin", "other.example"]);
    assert_eq!(refused.code, Some(2));
    assert!(
        refused.stderr.contains("cannot change"),
        "{}",
        refused.stderr
    );
    let note = s.run(["keys", "export", "--note"]).ok();
    assert_eq!(note.stdout, first.stdout);
}

#[test]
fn a_registered_letter_verifies_with_its_file_and_not_with_a_changed_one() {
    let s = Sandbox::new();
    let scan = s.file("scan.pdf", b"%PDF-1.7 the scanned complaint");
    let annex = s.file("annexe.txt", b"annex");
    let bundle = s.path("bundle.json");
    let run = s
        .run([
            "register".as_ref(),
            "--sender".as_ref(),
            "Fatima Zahra".as_ref(),
            "--subject".as_ref(),
            "Relogement".as_ref(),
            "--channel".as_ref(),
            "email".as_ref(),
            "--out".as_ref(),
            bundle.as_os_str(),
            scan.as_os_str(),
            annex.as_os_str(),
        ])
        .ok();
    assert!(
        run.stdout.is_empty(),
        "with --out the bundle goes to the file"
    );
    assert!(run.stderr.contains("access code: "), "{}", run.stderr);
    let good = s
        .run([
            "verify".as_ref(),
            bundle.as_os_str(),
            scan.as_os_str(),
            annex.as_os_str(),
        ])
        .ok();
    for check in [
        "signature",
        "key validity",
        "checkpoint signature",
        "inclusion",
        "document scan.pdf",
        "document annexe.txt",
    ] {
        assert!(
            good.stdout.contains(&format!("ok   {check}")),
            "{check}:\n{}",
            good.stdout
        );
    }
    std::fs::write(&scan, b"%PDF-1.7 the scanned complaint, altered").unwrap();
    let bad = s.run(["verify".as_ref(), bundle.as_os_str(), scan.as_os_str()]);
    assert_eq!(bad.code, Some(1));
    assert!(
        bad.stdout.contains("FAIL document scan.pdf"),
        "{}",
        bad.stdout
    );
}

#[test]
fn a_tampered_receipt_fails_verification() {
    let s = Sandbox::new();
    let (mut bundle, _) = s.register("Ahmed", &[]);
    let receipt = bundle["receipt"].as_str().unwrap().to_owned();
    let mut parts: Vec<String> = receipt.split('.').map(str::to_owned).collect();
    // Change one character of the payload: the signature no longer covers it.
    let payload = parts[1].clone();
    let flipped = if payload.ends_with('A') { "B" } else { "A" };
    parts[1] = format!("{}{}", &payload[..payload.len() - 1], flipped);
    bundle["receipt"] = parts.join(".").into();
    let path = s.path("tampered.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    let run = s.run(["verify".as_ref(), path.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("FAIL signature"), "{}", run.stdout);
    assert!(run.stdout.contains("verification FAILED"));
}

#[test]
fn a_receipt_checked_with_another_registrys_keys_fails() {
    let s = Sandbox::new();
    let other = Sandbox::new();
    other.run(["init"]).ok();
    let (bundle, _) = s.register("Ahmed", &[]);
    let path = s.path("bundle.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    let wrong_keys = other.data_dir().join("keys").join("jwks.json");
    let run = s.run([
        "verify".as_ref(),
        path.as_os_str(),
        "--jwks".as_ref(),
        wrong_keys.as_os_str(),
    ]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("FAIL signature"), "{}", run.stdout);
    // With the right keys, exported to a file, it passes.
    let jwks = s.run(["keys", "export", "--jwks"]).ok();
    let right_keys = s.file("jwks.json", jwks.stdout.as_bytes());
    s.run([
        "verify".as_ref(),
        path.as_os_str(),
        "--jwks".as_ref(),
        right_keys.as_os_str(),
    ])
    .ok();
}

#[test]
fn a_bare_receipt_verifies_with_its_tlog_proof_file() {
    let s = Sandbox::new();
    let proof = s.path("letter.tlog-proof");
    let run = s
        .run([
            "register".as_ref(),
            "--sender".as_ref(),
            "Ahmed".as_ref(),
            "--subject".as_ref(),
            "Demande".as_ref(),
            "--tlog-proof".as_ref(),
            proof.as_os_str(),
        ])
        .ok();
    let bundle: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let text = std::fs::read_to_string(&proof).unwrap();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\n"), "{text}");
    let receipt = s.file("letter.jws", bundle["receipt"].as_str().unwrap().as_bytes());
    let ok = s
        .run([
            "verify".as_ref(),
            receipt.as_os_str(),
            "--tlog-proof".as_ref(),
            proof.as_os_str(),
        ])
        .ok();
    assert!(ok.stdout.contains("ok   inclusion"), "{}", ok.stdout);
    let missing = s.run(["verify".as_ref(), receipt.as_os_str()]);
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("--tlog-proof"),
        "{}",
        missing.stderr
    );
}

#[test]
fn receipts_from_before_a_key_rotation_still_verify() {
    let s = Sandbox::new();
    let (before, _) = s.register("Before", &[]);
    let old_key = s.run(["keys", "export", "--note"]).ok().stdout;
    let rotated = s.run(["keys", "rotate"]).ok();
    assert_ne!(rotated.stdout, old_key);
    let (after, _) = s.register("After", &[]);
    for (name, bundle) in [("before", before), ("after", after)] {
        let path = s.file(&format!("{name}.json"), bundle.to_string().as_bytes());
        s.run(["verify".as_ref(), path.as_os_str()]).ok();
    }
    let jwks: serde_json::Value =
        serde_json::from_str(&s.run(["keys", "export", "--jwks"]).ok().stdout).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["not_after"].is_string() && keys[1]["not_after"].is_null());
}

#[test]
fn audit_passes_then_names_the_index_of_a_row_altered_in_the_database() {
    let s = Sandbox::new();
    let scan = s.file("scan.pdf", b"scan");
    for i in 0..5 {
        s.register(&format!("Sender {i}"), &[&scan]);
    }
    let clean = s.run(["audit"]).ok();
    assert!(
        clean.stdout.starts_with("audit passed: 5 leaves"),
        "{}",
        clean.stdout
    );
    let db = s.data_dir().join("sijil.db");
    SqliteConnection::establish(db.to_str().unwrap())
        .unwrap()
        .batch_execute("UPDATE letters SET metadata = REPLACE(metadata, 'Sender 2', 'Sender X') WHERE leaf_index = 2")
        .unwrap();
    let altered = s.run(["audit"]);
    assert_eq!(altered.code, Some(1));
    assert!(
        altered.stdout.starts_with("audit FAILED at index 2:"),
        "{}",
        altered.stdout
    );
}

#[test]
fn audit_notices_a_document_file_changed_on_disk() {
    let s = Sandbox::new();
    // Large enough to be stored as a file rather than in the database.
    let scan = s.file("scan.pdf", &vec![b's'; 300 * 1024]);
    let (bundle, _) = s.register("Sender", &[&scan]);
    let claims = sijil_receipt::jws::parse_compact(bundle["receipt"].as_str().unwrap())
        .unwrap()
        .payload;
    let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
    let sha = claims["documents"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = s.data_dir().join("documents").join(&sha[..2]).join(&sha);
    std::fs::write(&stored, b"replaced scan").unwrap();
    let run = s.run(["audit"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("has changed in storage"),
        "{}",
        run.stdout
    );
    s.run(["audit", "--skip-documents"]).ok();
}

#[test]
fn export_prints_the_register_as_csv() {
    let s = Sandbox::new();
    let scan = s.file("scan.pdf", b"scan");
    let (_, first) = s.register("Fatima, Rabat", &[&scan]);
    let (_, second) = s.register("Ahmed", &[]);
    let run = s
        .run(["export", "--from", "2000-01-01", "--to", "2100-12-31"])
        .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "number,registered_at,channel,sender,subject,addressee,document_sha256"
    );
    assert!(
        lines[1].starts_with(&format!("{first},")) && lines[1].contains("\"Fatima, Rabat\""),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with(&format!("{second},")));
    assert_eq!(lines.len(), 3);
    let none = s
        .run(["export", "--from", "2000-01-01", "--to", "2000-01-02"])
        .ok();
    assert_eq!(none.stdout.lines().count(), 1);
    let bad = s.run(["export", "--from", "2000-13-01", "--to", "2000-01-02"]);
    assert_eq!(bad.code, Some(2));
}

#[test]
fn show_prints_the_full_record_for_staff() {
    let s = Sandbox::new();
    let (_, number) = s.register("Fatima", &[]);
    let record: serde_json::Value =
        serde_json::from_str(&s.run(["show", &number]).ok().stdout).unwrap();
    assert_eq!(record["number"], number.as_str());
    assert_eq!(record["metadata"]["sender"]["name"], "Fatima");
    assert_eq!(record["access_code"].as_str().unwrap().len(), 14);
    let unknown = s.run(["show", "BO-1999-000001"]);
    assert_eq!(unknown.code, Some(2));
    assert_eq!(unknown.stderr.lines().count(), 1, "{}", unknown.stderr);
}

#[test]
fn a_failed_registration_is_one_line_and_writes_nothing() {
    let s = Sandbox::new();
    s.run(["init"]).ok();
    let out = s.path("bundle.json");
    let missing = s.path("missing.pdf");
    let run = s.run([
        "register".as_ref(),
        "--sender".as_ref(),
        "A".as_ref(),
        "--subject".as_ref(),
        "B".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("missing.pdf"), "{}", run.stderr);
    assert!(!out.exists());
    let blank = s.run(["register", "--sender", "  ", "--subject", "B"]);
    assert_eq!(blank.code, Some(2));
    assert!(
        blank.stderr.contains("sender.name is required"),
        "{}",
        blank.stderr
    );
    let (_, number) = s.register("C", &[]);
    assert!(
        number.ends_with("-000001"),
        "nothing was numbered before: {number}"
    );
}

#[test]
fn a_changed_institution_name_is_a_signed_config_entry_that_verifies_and_is_audited() {
    let s = Sandbox::new();
    s.register("Before", &[]);
    let shown = s.run(["config", "show"]).ok();
    assert_eq!(shown.stdout.trim(), "institution.name\tBureau d'ordre");
    let changed = s
        .run(["config", "set", "institution.name", "Médiateur du Royaume"])
        .ok();
    assert!(changed.stderr.contains("log entry 1"), "{}", changed.stderr);
    let bundle = s.file("config.json", changed.stdout.as_bytes());
    let verified = s.run(["verify".as_ref(), bundle.as_os_str()]).ok();
    assert!(
        verified
            .stdout
            .contains("verified: change of institution.name"),
        "{}",
        verified.stdout
    );
    let shown = s.run(["config", "show"]).ok();
    assert_eq!(
        shown.stdout.trim(),
        "institution.name\tMédiateur du Royaume"
    );
    let (after, _) = s.register("After", &[]);
    assert_eq!(after["inclusion_proof"]["index"], 2);
    let audit = s.run(["audit"]).ok();
    assert!(
        audit.stdout.starts_with("audit passed: 3 leaves"),
        "{}",
        audit.stdout
    );
    let refused = s.run(["config", "set", "institution.motto", "x"]);
    assert_eq!(refused.code, Some(2));
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("unknown setting"),
        "{}",
        refused.stderr
    );
    let db = s.data_dir().join("sijil.db");
    SqliteConnection::establish(db.to_str().unwrap())
        .unwrap()
        .batch_execute("UPDATE config_changes SET value = '\"Autre\"'")
        .unwrap();
    let altered = s.run(["audit"]);
    assert_eq!(altered.code, Some(1));
    assert!(
        altered.stdout.starts_with("audit FAILED at index 1:"),
        "{}",
        altered.stdout
    );
}
