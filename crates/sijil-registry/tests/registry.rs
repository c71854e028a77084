//! The registry's behaviour, checked on SQLite and on PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use common::{letter, metadata, Backend, ManualClock, TestRegistry};
use sijil_receipt::claims::LeafClaims;
use sijil_receipt::claims::RegistrationClaims;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::merkle::{self, leaf_hash};
use sijil_receipt::metadata::metadata_mac;
use sijil_receipt::verify::{verify_bundle, DocumentCheckInput};
use sijil_registry::{AuditOptions, NewLetter, Registry, RegistryError, Role, Setting};

on_both_backends!(
    a_registered_letter_has_a_receipt_that_verifies_with_its_documents,
    numbers_are_gapless_and_restart_at_one_each_january,
    registration_time_never_decreases_when_the_clock_steps_back,
    concurrent_registrations_get_gapless_numbers_and_verifying_receipts,
    two_registries_on_one_database_share_one_gapless_log,
    a_letter_registered_by_another_process_is_served_at_once,
    proofs_from_stored_nodes_equal_proofs_from_the_recomputed_tree,
    lookups_return_a_fresh_proof_against_the_latest_checkpoint,
    letters_are_found_by_document_hash,
    the_metadata_hash_opens_only_with_the_access_code,
    invalid_letters_are_refused_and_nothing_is_written,
    nul_characters_are_refused_or_not_found_never_a_database_error,
    receipts_signed_before_a_key_rotation_still_verify,
    audit_passes_on_an_untouched_register,
    audit_names_the_index_of_an_altered_letter,
    audit_names_the_index_of_an_altered_tree_node,
    audit_detects_a_forged_checkpoint,
    audit_detects_a_counter_set_back,
    audit_detects_an_altered_document,
    lookups_refuse_a_record_altered_behind_the_logs_back,
    every_read_of_a_record_goes_through_the_checked_read,
    a_config_change_is_a_signed_leaf_of_the_one_log,
    audit_rederives_every_config_change_from_its_leaf,
    audit_names_a_leaf_stored_under_another_type,
    a_status_that_no_entry_records_is_an_audit_problem,
    deleting_the_last_letters_is_detected_against_a_kept_checkpoint,
    audit_names_the_index_of_an_altered_leaf,
    audit_reports_every_disagreement_in_log_order,
    audit_names_the_leaf_whose_receipt_signature_fails,
    export_lists_the_period_in_order,
    shutdown_refuses_new_registrations,
);

fn verify_all(registry: &Registry, registration: &sijil_registry::Registration) {
    let report = verify_bundle(&registration.bundle, &registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:#?}", report.checks);
}

fn a_registered_letter_has_a_receipt_that_verifies_with_its_documents(backend: Backend) {
    let t = TestRegistry::open(backend);
    let scan = t.store("scan.pdf", b"%PDF-1.7 scanned letter");
    let annex = t.store("annexe.pdf", b"%PDF-1.7 annex");
    let registration = t
        .registry
        .letters()
        .register(letter("Fatima", vec![scan.clone(), annex]))
        .unwrap();
    assert_eq!(registration.index, 0);
    assert!(
        registration.number.ends_with("-000001"),
        "{}",
        registration.number
    );
    let documents = [DocumentCheckInput {
        label: "scan.pdf".into(),
        sha256: scan.sha256.clone(),
        size: Some(scan.size),
    }];
    let report = verify_bundle(
        &registration.bundle,
        &t.registry.jwks().unwrap(),
        &documents,
    );
    assert!(report.passed(), "{:#?}", report.checks);
    let claims = report.registration().unwrap();
    assert_eq!(claims.documents.len(), 2);
    assert_eq!(claims.registry, "bo.test.example");
    let wrong = [DocumentCheckInput {
        label: "other.pdf".into(),
        sha256: sijil_receipt::sha256_hex(b"another file"),
        size: Some(12),
    }];
    assert!(!verify_bundle(&registration.bundle, &t.registry.jwks().unwrap(), &wrong).passed());
}

fn numbers_are_gapless_and_restart_at_one_each_january(backend: Backend) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 58).unwrap());
    let t = TestRegistry::open_with_clock(backend, Some(clock.clone()));
    let a = t.registry.letters().register(letter("A", vec![])).unwrap();
    let b = t.registry.letters().register(letter("B", vec![])).unwrap();
    clock.set(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 1).unwrap());
    let c = t.registry.letters().register(letter("C", vec![])).unwrap();
    let d = t.registry.letters().register(letter("D", vec![])).unwrap();
    assert_eq!(
        [a.number, b.number, c.number, d.number],
        [
            "BO-2026-000001",
            "BO-2026-000002",
            "BO-2027-000001",
            "BO-2027-000002"
        ]
    );
    assert_eq!([a.index, b.index, c.index, d.index], [0, 1, 2, 3]);
}

fn registration_time_never_decreases_when_the_clock_steps_back(backend: Backend) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap());
    let t = TestRegistry::open_with_clock(backend, Some(clock.clone()));
    let first = t.registry.letters().register(letter("A", vec![])).unwrap();
    clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    let second = t.registry.letters().register(letter("B", vec![])).unwrap();
    assert_eq!(first.registered_at, "2026-11-20T10:00:00.000Z");
    assert_eq!(second.registered_at, first.registered_at);
    clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 1).unwrap());
    let third = t.registry.letters().register(letter("C", vec![])).unwrap();
    assert_eq!(third.registered_at, "2026-11-20T10:00:01.000Z");
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
}

fn concurrent_registrations_get_gapless_numbers_and_verifying_receipts(backend: Backend) {
    let t = TestRegistry::open(backend);
    let threads = 16;
    let per_thread = 15;
    let registrations: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let registry = t.registry.clone();
                s.spawn(move || {
                    (0..per_thread)
                        .map(|j| {
                            registry
                                .letters()
                                .register(letter(&format!("T{i}-{j}"), vec![]))
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let total = threads * per_thread;
    let indices: BTreeSet<u64> = registrations.iter().map(|r| r.index).collect();
    assert_eq!(indices, (0..total as u64).collect());
    let numbers: BTreeSet<String> = registrations.iter().map(|r| r.number.clone()).collect();
    let year = &registrations[0].number[3..7];
    let expected: BTreeSet<String> = (1..=total).map(|n| format!("BO-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    for r in &registrations {
        verify_all(&t.registry, r);
    }
    assert!(t.registry.batch_stats().entries == total as u64);
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
}

fn two_registries_on_one_database_share_one_gapless_log(backend: Backend) {
    let t = TestRegistry::open(backend);
    let other = TestRegistry::reopen_at(&t.dir, &t.database_url, None);
    let registrations: Vec<_> = std::thread::scope(|s| {
        let a = s.spawn(|| {
            (0..25)
                .map(|i| {
                    t.registry
                        .letters()
                        .register(letter(&format!("A{i}"), vec![]))
                        .unwrap()
                })
                .collect::<Vec<_>>()
        });
        let b = s.spawn(|| {
            (0..25)
                .map(|i| {
                    other
                        .letters()
                        .register(letter(&format!("B{i}"), vec![]))
                        .unwrap()
                })
                .collect::<Vec<_>>()
        });
        let mut all = a.join().unwrap();
        all.extend(b.join().unwrap());
        all
    });
    let indices: BTreeSet<u64> = registrations.iter().map(|r| r.index).collect();
    assert_eq!(indices, (0..50).collect());
    for r in &registrations {
        verify_all(&t.registry, r);
    }
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
}

fn a_letter_registered_by_another_process_is_served_at_once(backend: Backend) {
    let t = TestRegistry::open(backend);
    let other = TestRegistry::reopen_at(&t.dir, &t.database_url, None);
    let first = t
        .registry
        .letters()
        .register(letter("First", vec![]))
        .unwrap();
    // The other registry has read (and cached) the checkpoint of one letter.
    assert_eq!(
        other
            .letters()
            .lookup(&first.number)
            .unwrap()
            .bundle
            .inclusion_proof
            .tree_size,
        1
    );
    let scan = t.store("scan.pdf", b"%PDF-1.7 registered by the first process");
    let second = t
        .registry
        .letters()
        .register(letter("Second", vec![scan.clone()]))
        .unwrap();
    // At once, within the cache's lifetime: by number, by document hash, by proof.
    let found = other.letters().lookup(&second.number).unwrap();
    assert_eq!(found.bundle.inclusion_proof.tree_size, 2);
    assert_eq!(found.bundle.receipt, second.bundle.receipt);
    let by_document = other.letters().lookup_by_document(&scan.sha256).unwrap();
    assert_eq!(by_document.len(), 1);
    assert_eq!(by_document[0].bundle.inclusion_proof.tree_size, 2);
    assert_eq!(other.log().inclusion_proof(1, 2).unwrap().tree_size, 2);
}

fn proofs_from_stored_nodes_equal_proofs_from_the_recomputed_tree(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..37 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    let leaves: Vec<_> = (0..37)
        .map(|i| {
            leaf_hash(
                &parse_compact(&t.registry.log().entry(i).unwrap())
                    .unwrap()
                    .payload,
            )
        })
        .collect();
    for size in [1u64, 2, 5, 8, 13, 32, 37] {
        let root = merkle::root_from_leaf_hashes(&leaves[..size as usize]);
        for index in 0..size {
            let proof = t.registry.log().inclusion_proof(index, size).unwrap();
            assert_eq!(
                proof.hashes,
                merkle::inclusion_proof(&leaves[..size as usize], index).unwrap()
            );
            merkle::verify_inclusion(index, size, &leaves[index as usize], &proof.hashes, &root)
                .unwrap();
        }
        for old in 1..=size {
            let proof = t.registry.log().consistency_proof(old, size).unwrap();
            assert_eq!(
                proof,
                merkle::consistency_proof(&leaves[..size as usize], old).unwrap()
            );
        }
    }
    assert!(matches!(
        t.registry.log().inclusion_proof(5, 5),
        Err(RegistryError::Invalid(_))
    ));
    assert!(matches!(
        t.registry.log().inclusion_proof(0, 38),
        Err(RegistryError::Invalid(_))
    ));
    assert!(matches!(
        t.registry.log().consistency_proof(0, 5),
        Err(RegistryError::Invalid(_))
    ));
    assert!(matches!(
        t.registry.log().consistency_proof(6, 5),
        Err(RegistryError::Invalid(_))
    ));
}

fn lookups_return_a_fresh_proof_against_the_latest_checkpoint(backend: Backend) {
    let t = TestRegistry::open(backend);
    let first = t.registry.letters().register(letter("A", vec![])).unwrap();
    for i in 0..4 {
        t.registry
            .letters()
            .register(letter(&format!("B{i}"), vec![]))
            .unwrap();
    }
    let lookup = t.registry.letters().lookup(&first.number).unwrap();
    assert_eq!(lookup.bundle.receipt, first.bundle.receipt);
    assert_eq!(lookup.bundle.inclusion_proof.tree_size, 5);
    assert_eq!(t.registry.log().checkpoint().unwrap().tree_size, 5);
    let report = verify_bundle(&lookup.bundle, &t.registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:#?}", report.checks);
    assert_eq!(lookup.letter.metadata.sender.name, "A");
    assert!(matches!(
        t.registry.letters().lookup("BO-1999-000001"),
        Err(RegistryError::NotFound(_))
    ));
}

fn letters_are_found_by_document_hash(backend: Backend) {
    let t = TestRegistry::open(backend);
    let doc = t.store("plainte.pdf", b"the complaint");
    let a = t
        .registry
        .letters()
        .register(letter("A", vec![doc.clone()]))
        .unwrap();
    t.registry.letters().register(letter("B", vec![])).unwrap();
    let c = t
        .registry
        .letters()
        .register(letter("C", vec![doc.clone()]))
        .unwrap();
    let found = t
        .registry
        .letters()
        .lookup_by_document(&doc.sha256.to_uppercase())
        .unwrap();
    let numbers: Vec<_> = found.iter().map(|l| l.letter.number.clone()).collect();
    assert_eq!(numbers, vec![a.number, c.number]);
    assert!(t
        .registry
        .letters()
        .lookup_by_document(&sijil_receipt::sha256_hex(b"unknown"))
        .unwrap()
        .is_empty());
    assert!(matches!(
        t.registry.letters().lookup_by_document("xyz"),
        Err(RegistryError::Invalid(_))
    ));
    let mut stored = Vec::new();
    std::io::Read::read_to_end(
        &mut t.registry.letters().open_document(&doc.sha256).unwrap(),
        &mut stored,
    )
    .unwrap();
    assert_eq!(stored, b"the complaint");
}

fn the_metadata_hash_opens_only_with_the_access_code(backend: Backend) {
    let t = TestRegistry::open(backend);
    let registration = t
        .registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    let claims = RegistrationClaims::from_payload(
        &parse_compact(&registration.bundle.receipt).unwrap().payload,
    )
    .unwrap();
    let stored = t.registry.letters().letter(&registration.number).unwrap();
    assert!(stored.access_code.matches(&registration.access_code));
    let mac = metadata_mac(registration.access_code.as_str(), &stored.metadata).unwrap();
    assert_eq!(mac, claims.metadata_sha256);
    let other = sijil_registry::AccessCode::generate();
    assert_ne!(
        metadata_mac(other.as_str(), &stored.metadata).unwrap(),
        claims.metadata_sha256
    );
    // The receipt itself carries no personal data.
    let payload =
        String::from_utf8(parse_compact(&registration.bundle.receipt).unwrap().payload).unwrap();
    assert!(
        !payload.contains("Fatima") && !payload.contains("AB123456"),
        "{payload}"
    );
}

fn invalid_letters_are_refused_and_nothing_is_written(backend: Backend) {
    let t = TestRegistry::open(backend);
    t.registry.letters().register(letter("A", vec![])).unwrap();
    let mut m = metadata("B");
    m.subject = "   ".into();
    let refused = t.registry.letters().register(NewLetter {
        metadata: m,
        documents: vec![],
    });
    assert!(
        matches!(refused, Err(RegistryError::Invalid(ref e)) if e.contains("subject")),
        "{refused:?}"
    );
    let mut m = metadata("C");
    m.letter_date = Some("yesterday".into());
    assert!(matches!(
        t.registry.letters().register(NewLetter {
            metadata: m,
            documents: vec![]
        }),
        Err(RegistryError::Invalid(_))
    ));
    assert_eq!(t.registry.log().checkpoint().unwrap().tree_size, 1);
    let next = t.registry.letters().register(letter("D", vec![])).unwrap();
    assert!(next.number.ends_with("-000002"), "{}", next.number);
}

/// PostgreSQL refuses U+0000 in text, SQLite does not: text with a NUL must
/// be refused (or found absent) by the registry itself, the same way on both,
/// before it reaches a query.
fn nul_characters_are_refused_or_not_found_never_a_database_error(backend: Backend) {
    let t = TestRegistry::open(backend);
    let a = t.registry.letters().register(letter("A", vec![])).unwrap();

    let mut m = metadata("Khadija\u{0}Benali");
    let refused = t.registry.letters().register(NewLetter {
        metadata: m.clone(),
        documents: vec![],
    });
    assert!(
        matches!(refused, Err(RegistryError::Invalid(ref e)) if e.contains("sender.name") && e.contains("control")),
        "{refused:?}"
    );
    m.sender.name = "Khadija Benali".into();
    m.subject = "Demande\u{0}".into();
    let refused = t.registry.letters().register(NewLetter {
        metadata: m.clone(),
        documents: vec![],
    });
    assert!(
        matches!(refused, Err(RegistryError::Invalid(ref e)) if e.contains("subject") && e.contains("control")),
        "{refused:?}"
    );
    m.subject = "Demande".into();
    m.notes = Some("ligne 1\n\u{0}ligne 2".into());
    let refused = t.registry.letters().register(NewLetter {
        metadata: m,
        documents: vec![],
    });
    assert!(
        matches!(refused, Err(RegistryError::Invalid(ref e)) if e.contains("notes")),
        "{refused:?}"
    );

    // A registration number never holds a NUL: no such letter.
    for number in [format!("{}\u{0}", a.number), "\u{0}".to_owned()] {
        let looked_up = t.registry.letters().lookup(&number);
        assert!(
            matches!(looked_up, Err(RegistryError::NotFound(ref e)) if e.contains("no letter")),
            "lookup {number:?}: {:?}",
            looked_up.map(|l| l.letter.number)
        );
        let record = t.registry.letters().letter(&number);
        assert!(
            matches!(record, Err(RegistryError::NotFound(ref e)) if e.contains("no letter")),
            "letter {number:?}: {:?}",
            record.map(|l| l.number)
        );
    }

    let searched = t
        .registry
        .letters()
        .list_letters(i64::MIN, i64::MAX, Some("A\u{0}"), 1, 50);
    assert!(
        matches!(searched, Err(RegistryError::Invalid(ref e)) if e.contains("search text") && e.contains("control")),
        "{:?}",
        searched.map(|l| l.len())
    );
    // The same search without the NUL still works.
    assert_eq!(
        t.registry
            .letters()
            .list_letters(i64::MIN, i64::MAX, Some("A"), 1, 50)
            .unwrap()
            .len(),
        1
    );

    let token = t
        .registry
        .access()
        .create_token("Guichet\u{0}1", Role::Clerk);
    assert!(
        matches!(token, Err(RegistryError::Invalid(_))),
        "{:?}",
        token.map(|(info, _)| info.name)
    );
    let revoked = t.registry.access().revoke_token("Guichet\u{0}1");
    assert!(
        matches!(revoked, Err(RegistryError::NotFound(_))),
        "{:?}",
        revoked.map(|info| info.name)
    );
    assert_eq!(
        t.registry
            .access()
            .authenticate("sijil_\u{0}")
            .unwrap()
            .map(|i| i.name),
        None
    );

    // Nothing was written.
    assert_eq!(t.registry.log().checkpoint().unwrap().tree_size, 1);
    assert!(t.registry.access().list_tokens().unwrap().is_empty());
}

fn receipts_signed_before_a_key_rotation_still_verify(backend: Backend) {
    let t = TestRegistry::open(backend);
    let before = t.registry.letters().register(letter("A", vec![])).unwrap();
    let old_kid = parse_compact(&before.bundle.receipt)
        .unwrap()
        .header
        .kid
        .unwrap();
    let new_kid = t.registry.rotate_key().unwrap();
    assert_ne!(old_kid, new_kid);
    let after = t.registry.letters().register(letter("B", vec![])).unwrap();
    assert_eq!(
        parse_compact(&after.bundle.receipt)
            .unwrap()
            .header
            .kid
            .unwrap(),
        new_kid
    );
    let jwks = t.registry.jwks().unwrap();
    assert_eq!(jwks.keys.len(), 2);
    assert!(jwks.find(&old_kid).unwrap().not_after.is_some());
    // The old receipt, with a fresh proof under a checkpoint signed by the new key.
    let fresh = t.registry.letters().lookup(&before.number).unwrap();
    assert!(verify_bundle(&fresh.bundle, &jwks, &[]).passed());
    assert!(verify_bundle(&before.bundle, &jwks, &[]).passed());
    assert!(verify_bundle(&after.bundle, &jwks, &[]).passed());
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
}

fn audit_passes_on_an_untouched_register(backend: Backend) {
    let t = TestRegistry::open(backend);
    let doc = t.store("a.pdf", b"document a");
    for i in 0..12 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![doc.clone()]))
            .unwrap();
    }
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert!(report.passed(), "{:?}", report.problems);
    assert_eq!(report.leaves, 12);
    assert_eq!(report.letters, 12);
    assert_eq!(report.nodes, 12 + 6 + 3 + 1);
    assert_eq!(report.documents, 1);
}

fn audit_names_the_index_of_an_altered_letter(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..6 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    t.execute("UPDATE letters SET metadata = REPLACE(metadata, 'S3', 'Someone else') WHERE leaf_index = 3");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let first = report.first_problem().expect("the audit must fail");
    assert_eq!(first.index, Some(3), "{:?}", report.problems);
    assert!(first.what.contains("metadata"), "{}", first.what);
}

fn audit_names_the_index_of_an_altered_tree_node(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..8 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    let zeros = match backend {
        Backend::Sqlite => "X'0000000000000000000000000000000000000000000000000000000000000000'",
        Backend::Postgres => {
            "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea"
        }
    };
    t.execute(&format!(
        "UPDATE tree_nodes SET hash = {zeros} WHERE level = 1 AND node_index = 2"
    ));
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let first = report.first_problem().expect("the audit must fail");
    assert_eq!(first.index, Some(4), "{:?}", report.problems);
}

fn audit_detects_a_forged_checkpoint(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..3 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    t.execute("UPDATE checkpoints SET note = REPLACE(note, 'bo.test.example\n2\n', 'bo.test.example\n2\nX') WHERE tree_size = 2");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let first = report.first_problem().expect("the audit must fail");
    assert_eq!(first.index, Some(1), "{:?}", report.problems);
    assert!(
        first.what.contains("checkpoint of size 2"),
        "{}",
        first.what
    );
}

fn audit_detects_a_counter_set_back(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..3 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    t.execute("UPDATE counters SET value = 1");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.what.contains("counter says 1")),
        "{:?}",
        report.problems
    );
}

fn audit_detects_an_altered_document(backend: Backend) {
    let t = TestRegistry::open(backend);
    let small = t.store("small.pdf", b"a small document, kept in the database");
    let big_bytes = vec![b'x'; sijil_registry::documents::INLINE_MAX + 10];
    let big = t.store("big.pdf", &big_bytes);
    t.registry
        .letters()
        .register(letter("A", vec![small.clone()]))
        .unwrap();
    t.registry
        .letters()
        .register(letter("B", vec![big.clone()]))
        .unwrap();
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
    let hex_content = match backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    t.execute(&format!(
        "UPDATE document_blobs SET content = {hex_content} WHERE sha256 = '{}'",
        small.sha256
    ));
    std::fs::write(t.registry.documents().path(&big.sha256), b"replaced").unwrap();
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let indices: Vec<_> = report.problems.iter().map(|p| p.index).collect();
    assert_eq!(indices, vec![Some(0), Some(1)], "{:?}", report.problems);
    assert!(report
        .problems
        .iter()
        .all(|p| p.what.contains("has changed in storage")));
    assert!(t
        .registry
        .audit(AuditOptions {
            check_documents: false
        })
        .unwrap()
        .passed());
}

fn lookups_refuse_a_record_altered_behind_the_logs_back(backend: Backend) {
    let t = TestRegistry::open(backend);
    let a = t
        .registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    let b = t
        .registry
        .letters()
        .register(letter("Ahmed", vec![]))
        .unwrap();
    let c = t
        .registry
        .letters()
        .register(letter("Karim", vec![]))
        .unwrap();
    t.execute(
        "UPDATE letters SET metadata = REPLACE(metadata, 'Fatima', 'Someone') WHERE leaf_index = 0",
    );
    let altered = t.registry.letters().lookup(&a.number);
    assert!(
        matches!(altered, Err(RegistryError::Integrity(ref e)) if e.contains("metadata")),
        "{altered:?}"
    );
    // A receipt swapped for another letter's no longer matches the signed log.
    t.execute(&format!(
        "UPDATE leaves SET receipt = '{}' WHERE leaf_index = 1",
        c.bundle.receipt
    ));
    let swapped = t.registry.letters().lookup(&b.number);
    assert!(
        matches!(swapped, Err(RegistryError::Integrity(ref e)) if e.contains("does not match the log")),
        "{swapped:?}"
    );
    assert!(
        t.registry.letters().lookup(&c.number).is_ok(),
        "untouched letters are still served"
    );
}

fn deleting_the_last_letters_is_detected_against_a_kept_checkpoint(backend: Backend) {
    let t = TestRegistry::open(backend);
    for i in 0..6 {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![]))
            .unwrap();
    }
    // A client keeps the checkpoint of size 6.
    let kept = t.registry.log().checkpoint().unwrap();
    let verifier = t.registry.note_verifier().unwrap();
    let kept =
        sijil_receipt::checkpoint::Checkpoint::open(&kept.note, std::slice::from_ref(&verifier))
            .unwrap();
    t.registry.shutdown();
    // Someone removes the last two letters and everything that pointed at them.
    t.execute(
        "DELETE FROM letter_documents WHERE letter_id IN (SELECT id FROM letters WHERE leaf_index >= 4); DELETE FROM letters WHERE leaf_index >= 4; \
         DELETE FROM leaves WHERE leaf_index >= 4; DELETE FROM checkpoints WHERE tree_size > 4; \
         DELETE FROM tree_nodes WHERE (level = 0 AND node_index >= 4) OR (level = 1 AND node_index >= 2) OR level >= 2 AND node_index >= 1; \
         UPDATE log_head SET tree_size = 4; UPDATE counters SET value = value - 2",
    );
    let reopened = TestRegistry::reopen_at(&t.dir, &t.database_url, None);
    for i in 0..3 {
        reopened
            .letters()
            .register(letter(&format!("R{i}"), vec![]))
            .unwrap();
    }
    let now = reopened.log().checkpoint().unwrap();
    let now = sijil_receipt::checkpoint::Checkpoint::open(&now.note, &[verifier]).unwrap();
    assert_eq!(now.size, 7);
    // The registry's own consistency proof from the kept size cannot convince the client.
    let proof = reopened
        .log()
        .consistency_proof(kept.size, now.size)
        .unwrap();
    assert!(
        merkle::verify_consistency(kept.size, now.size, &kept.root, &now.root, &proof).is_err()
    );
}

fn audit_names_the_index_of_an_altered_leaf(backend: Backend) {
    let t = TestRegistry::open(backend);
    let regs: Vec<_> = (0..5)
        .map(|i| {
            t.registry
                .letters()
                .register(letter(&format!("S{i}"), vec![]))
                .unwrap()
        })
        .collect();
    // Replace leaf 3's receipt with leaf 1's: a validly signed receipt, in the wrong place.
    t.execute(&format!(
        "UPDATE leaves SET receipt = '{}' WHERE leaf_index = 3",
        regs[1].bundle.receipt
    ));
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let first = report.first_problem().expect("the audit must fail");
    assert_eq!(first.index, Some(3), "{:?}", report.problems);
}

/// The audit checks letters on several threads and then follows the
/// numbering in log order: disagreements of every kind, in several letters,
/// come out by index, and a letter moved to another year breaks the sequence
/// of the letters after it too.
fn audit_reports_every_disagreement_in_log_order(backend: Backend) {
    let t = TestRegistry::open(backend);
    let docs: Vec<_> = (0..12)
        .map(|i| t.store(&format!("d{i}.pdf"), format!("document {i}").as_bytes()))
        .collect();
    for (i, doc) in docs.iter().enumerate() {
        t.registry
            .letters()
            .register(letter(&format!("S{i}"), vec![doc.clone()]))
            .unwrap();
    }
    assert!(t.registry.audit(AuditOptions::default()).unwrap().passed());
    let zero_byte = match backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    t.execute(&format!(
        "UPDATE letters SET metadata = REPLACE(metadata, 'S2', 'Someone else') WHERE leaf_index = 2; \
         UPDATE document_blobs SET content = {zero_byte} WHERE sha256 IN ('{}', '{}'); \
         UPDATE letters SET registered_at_ms = 1590969600000, \
             metadata = REPLACE(metadata, 'S9', 'Someone else') WHERE leaf_index = 9",
        docs[5].sha256, docs[9].sha256
    ));
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let indices: Vec<_> = report.problems.iter().map(|p| p.index).collect();
    assert_eq!(
        indices,
        [
            Some(2),
            Some(5),
            Some(9),
            Some(9),
            Some(9),
            Some(9),
            Some(9),
            Some(10),
            Some(11),
            None,
            None
        ],
        "{:#?}",
        report.problems
    );
    let what: Vec<&str> = report.problems.iter().map(|p| p.what.as_str()).collect();
    assert!(what[0].contains("metadata"), "{}", what[0]);
    assert!(what[1].contains("has changed in storage"), "{}", what[1]);
    assert!(
        what[2].contains("the record says registered at 2020-06-01"),
        "{}",
        what[2]
    );
    assert!(
        what[3].contains("before the entry it follows"),
        "{}",
        what[3]
    );
    assert!(
        what[4].contains("breaks the sequence: expected BO-2020-000001"),
        "{}",
        what[4]
    );
    assert!(what[5].contains("metadata"), "{}", what[5]);
    assert!(what[6].contains("has changed in storage"), "{}", what[6]);
    assert!(what[7].contains("breaks the sequence"), "{}", what[7]);
    assert!(what[8].contains("breaks the sequence"), "{}", what[8]);
    assert!(
        what[9..].iter().all(|w| w.contains("counter says")),
        "{what:?}"
    );
    assert_eq!(
        (report.leaves, report.letters, report.documents),
        (12, 12, 12)
    );
}

/// Signatures are checked in batches: a batch with one bad signature names
/// that leaf, and only that one.
fn audit_names_the_leaf_whose_receipt_signature_fails(backend: Backend) {
    let t = TestRegistry::open(backend);
    let receipts: Vec<String> = (0..10)
        .map(|i| {
            t.registry
                .letters()
                .register(letter(&format!("S{i}"), vec![]))
                .unwrap()
                .bundle
                .receipt
        })
        .collect();
    // Leaf 6's header and payload with leaf 5's signature.
    let (signed, _) = receipts[6].rsplit_once('.').unwrap();
    let (_, other_signature) = receipts[5].rsplit_once('.').unwrap();
    t.execute(&format!(
        "UPDATE leaves SET receipt = '{signed}.{other_signature}' WHERE leaf_index = 6"
    ));
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.index, p.what.as_str()))
        .collect();
    assert_eq!(
        problems,
        [(Some(6), "leaf 6: the receipt signature does not verify")]
    );
}

fn export_lists_the_period_in_order(backend: Backend) {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 19, 12, 0, 0).unwrap());
    let t = TestRegistry::open_with_clock(backend, Some(clock.clone()));
    let doc = t.store("a.pdf", b"document a");
    t.registry
        .letters()
        .register(letter("Day one", vec![doc.clone()]))
        .unwrap();
    clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap());
    t.registry
        .letters()
        .register(letter("Day two, \"quoted\"", vec![]))
        .unwrap();
    clock.set(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    t.registry
        .letters()
        .register(letter("Day three", vec![]))
        .unwrap();
    let mut csv = Vec::new();
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    assert_eq!(
        t.registry
            .letters()
            .export_csv(day(19), day(20), &mut csv)
            .unwrap(),
        2
    );
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(
        lines[0],
        "number,registered_at,channel,sender,subject,addressee,document_sha256"
    );
    assert!(lines[1].starts_with("BO-2026-000001,2026-11-19T12:00:00.000Z,paper,Day one,"));
    assert!(lines[1].ends_with(&doc.sha256));
    assert!(
        lines[2].contains("\"Day two, \"\"quoted\"\"\""),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 3);
    assert!(t
        .registry
        .letters()
        .export_csv(day(21), day(20), Vec::new())
        .is_err());
}

fn shutdown_refuses_new_registrations(backend: Backend) {
    let t = TestRegistry::open(backend);
    t.registry.letters().register(letter("A", vec![])).unwrap();
    t.registry.shutdown();
    assert!(matches!(
        t.registry.letters().register(letter("B", vec![])),
        Err(RegistryError::ShuttingDown)
    ));
    assert_eq!(t.registry.log().checkpoint().unwrap().tree_size, 1);
}

#[test]
fn the_key_file_must_not_be_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestRegistry::open(Backend::Sqlite);
    t.registry.shutdown();
    let key = t.dir.path().join("keys").join("signing-key.pem");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let db = std::fs::metadata(t.dir.path().join("sijil.db")).unwrap();
    assert_eq!(
        db.permissions().mode() & 0o777,
        0o600,
        "the database holds personal data"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut options = sijil_registry::RegistryOptions::new(t.dir.path());
    options.database_url = Some(t.database_url.clone());
    let refused = Registry::open(options);
    assert!(
        matches!(refused, Err(RegistryError::Setup(ref e)) if e.contains("readable by others"))
    );
}

#[test]
fn an_interrupted_key_rotation_is_completed_at_the_next_start() {
    let t = TestRegistry::open(Backend::Sqlite);
    let before = t.registry.letters().register(letter("A", vec![])).unwrap();
    let keys = t.dir.path().join("keys");
    let old_pem = std::fs::read(keys.join("signing-key.pem")).unwrap();
    let new_kid = t.registry.rotate_key().unwrap();
    t.registry.shutdown();
    // The state of a crash after the key ring was written, before the swap.
    std::fs::rename(
        keys.join("signing-key.pem"),
        keys.join("signing-key.pem.new"),
    )
    .unwrap();
    std::fs::write(keys.join("signing-key.pem"), old_pem).unwrap();
    std::fs::set_permissions(
        keys.join("signing-key.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let reopened = TestRegistry::reopen_at(&t.dir, &t.database_url, None);
    let after = reopened.letters().register(letter("B", vec![])).unwrap();
    assert_eq!(
        parse_compact(&after.bundle.receipt)
            .unwrap()
            .header
            .kid
            .unwrap(),
        new_kid
    );
    assert!(!keys.join("signing-key.pem.new").exists());
    let jwks = reopened.jwks().unwrap();
    assert!(verify_bundle(&after.bundle, &jwks, &[]).passed());
    assert!(verify_bundle(&before.bundle, &jwks, &[]).passed());
}

#[test]
fn receipts_after_a_rotation_are_not_older_than_their_key_even_if_the_clock_lags() {
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap());
    let t = TestRegistry::open_with_clock(Backend::Sqlite, Some(clock.clone()));
    t.registry.letters().register(letter("A", vec![])).unwrap();
    // The clock stands still: the rotation is stamped after the last receipt.
    t.registry.rotate_key().unwrap();
    let after = t.registry.letters().register(letter("B", vec![])).unwrap();
    let report = verify_bundle(&after.bundle, &t.registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:#?}", report.checks);
    assert_eq!(after.registered_at, "2026-11-20T10:00:00.001Z");
}

fn every_read_of_a_record_goes_through_the_checked_read(backend: Backend) {
    let t = TestRegistry::open(backend);
    let scan = t.store("scan.pdf", b"%PDF-1.7 one scan");
    let a = t
        .registry
        .letters()
        .register(letter("Fatima", vec![scan.clone()]))
        .unwrap();
    assert_eq!(
        t.registry.letters().letter(&a.number).unwrap().number,
        a.number
    );
    assert_eq!(
        t.registry
            .letters()
            .lookup_by_document(&scan.sha256)
            .unwrap()
            .len(),
        1
    );
    t.execute(
        "UPDATE letters SET metadata = REPLACE(metadata, 'Fatima', 'Someone') WHERE leaf_index = 0",
    );
    for outcome in [
        t.registry.letters().letter(&a.number).map(|_| ()),
        t.registry
            .letters()
            .lookup_by_document(&scan.sha256)
            .map(|_| ()),
    ] {
        assert!(
            matches!(outcome, Err(RegistryError::Integrity(ref e)) if e.contains("metadata")),
            "{outcome:?}"
        );
    }
}

fn a_config_change_is_a_signed_leaf_of_the_one_log(backend: Backend) {
    let t = TestRegistry::open(backend);
    assert_eq!(
        t.registry.settings().institution_name().unwrap(),
        "Bureau d'ordre"
    );
    let first = t
        .registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    let change = t
        .registry
        .settings()
        .change_setting(Setting::InstitutionName, "  Médiateur du Royaume ", "admin")
        .unwrap();
    let second = t
        .registry
        .letters()
        .register(letter("Ahmed", vec![]))
        .unwrap();
    assert_eq!(
        t.registry.settings().institution_name().unwrap(),
        "Médiateur du Royaume"
    );
    // One log: the change sits between the two letters, whose numbers stay gapless.
    assert_eq!(
        (first.index, change.inclusion_proof.index, second.index),
        (0, 1, 2)
    );
    assert!(first.number.ends_with("-000001") && second.number.ends_with("-000002"));
    let report = verify_bundle(&change, &t.registry.jwks().unwrap(), &[]);
    assert!(report.passed(), "{:#?}", report.checks);
    match report.claims {
        Some(LeafClaims::Config(c)) => {
            assert_eq!(c.setting, "institution.name");
            assert_eq!(c.value, serde_json::json!("Médiateur du Royaume"));
            assert_eq!(c.actor, "admin");
        }
        other => panic!("not a config leaf: {other:?}"),
    }
    assert_eq!(t.registry.log().entry(1).unwrap(), change.receipt);
    let audit = t.registry.audit(AuditOptions::default()).unwrap();
    assert!(audit.passed(), "{:?}", audit.problems);
    assert_eq!(
        (audit.leaves, audit.letters, audit.config_changes),
        (3, 2, 1)
    );
    for bad in ["", "   ", "a\u{7}b"] {
        assert!(matches!(
            t.registry
                .settings()
                .change_setting(Setting::InstitutionName, bad, "admin"),
            Err(RegistryError::Invalid(_))
        ));
    }
    assert!(matches!(
        Setting::parse("institution.motto"),
        Err(RegistryError::Invalid(_))
    ));
    assert_eq!(
        t.registry.log().checkpoint().unwrap().tree_size,
        3,
        "refused changes write nothing"
    );
}

fn audit_rederives_every_config_change_from_its_leaf(backend: Backend) {
    let t = TestRegistry::open(backend);
    t.registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    t.registry
        .settings()
        .change_setting(Setting::InstitutionName, "Médiateur du Royaume", "admin")
        .unwrap();
    t.execute("UPDATE config_changes SET value = '\"Quelqu''un d''autre\"'");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].index, Some(1));
    assert!(report.problems[0].what.contains("differs from its leaf"));
    // The altered row is what the pages would print: the audit is the check.
    assert_eq!(
        t.registry.settings().institution_name().unwrap(),
        "Quelqu'un d'autre"
    );
    t.execute("DELETE FROM config_changes");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.index == Some(1) && p.what.contains("has no row")),
        "{:?}",
        report.problems
    );
}

fn audit_names_a_leaf_stored_under_another_type(backend: Backend) {
    let t = TestRegistry::open(backend);
    t.registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    t.registry
        .letters()
        .register(letter("Ahmed", vec![]))
        .unwrap();
    t.execute("UPDATE leaves SET kind = 'config' WHERE leaf_index = 1");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].index, Some(1));
    assert!(report.problems[0]
        .what
        .contains("stored as a leaf of type \"config\""));
}

fn a_status_that_no_entry_records_is_an_audit_problem(backend: Backend) {
    let t = TestRegistry::open(backend);
    let a = t
        .registry
        .letters()
        .register(letter("Fatima", vec![]))
        .unwrap();
    assert_eq!(
        t.registry.letters().letter(&a.number).unwrap().status,
        "registered"
    );
    t.execute("UPDATE letters SET status = 'closed'");
    let report = t.registry.audit(AuditOptions::default()).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].what.contains("status \"closed\""));
    assert!(matches!(
        t.registry.letters().lookup(&a.number),
        Err(RegistryError::Integrity(_))
    ));
}
