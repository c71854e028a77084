//! A verification result from the registry's report: each check in plain
//! words, the access code's state, the documents, the dropped document.

use super::*;

pub(super) fn check_key(name: &str) -> Option<Key> {
    Some(match name {
        "signature" => Key::CheckSignature,
        "claims" => Key::CheckClaims,
        "key validity" => Key::CheckKeyValidity,
        "checkpoint signature" => Key::CheckCheckpoint,
        "inclusion" => Key::CheckInclusion,
        "metadata" => Key::CheckMetadata,
        "registry record" => Key::CheckRecord,
        n if n.starts_with("document") => Key::CheckDocument,
        _ => return None,
    })
}

/// Verifies `bundle` and gathers everything the result shows.
#[allow(clippy::too_many_arguments)]
pub(super) fn outcome(
    lang: Lang,
    bundle: &Bundle,
    jwks: &Jwks,
    report: Report,
    letter: Option<LetterRecord>,
    code: Option<&str>,
    sha256: Option<&str>,
    source: Source,
) -> (Outcome, bool) {
    let claims: Option<&RegistrationClaims> = report.registration();
    let mut checks: Vec<CheckRow> = report
        .checks
        .iter()
        .map(|c| CheckRow {
            name: c.name.clone(),
            passed: c.passed,
            summary: None,
            technical: Some(c.detail.clone()),
        })
        .collect();

    // The access code: unlocks the personal data, and lets the metadata's
    // HMAC in the receipt be checked against the registry's record.
    let mut code_failed = false;
    let code_state = match (code, &letter) {
        (None, _) => CodeState::Absent,
        (Some(_), None) => CodeState::Wrong,
        (Some(text), Some(letter)) => match AccessCode::parse(text) {
            Err(_) => {
                code_failed = true;
                CodeState::Malformed
            }
            Ok(given) if letter.access_code.matches(&given) => {
                let mac = metadata_mac(letter.access_code.as_str(), &letter.metadata).ok();
                let passed = matches!((&mac, claims), (Some(m), Some(c)) if m.eq_ignore_ascii_case(&c.metadata_sha256));
                checks.push(CheckRow {
                    name: "metadata".into(),
                    passed,
                    summary: Some(
                        t(
                            lang,
                            if passed {
                                Key::MetadataMatches
                            } else {
                                Key::MetadataDiffers
                            },
                        )
                        .to_owned(),
                    ),
                    technical: None,
                });
                CodeState::Matched
            }
            Ok(_) => {
                code_failed = true;
                CodeState::Wrong
            }
        },
    };
    let granted = matches!(code_state, CodeState::Matched);

    let documents: Vec<DocRow> = match (&letter, granted) {
        (Some(letter), true) => letter
            .documents
            .iter()
            .map(|d| DocRow {
                position: d.position,
                name: Some(d.file_name.clone()),
                size: d.size,
                sha256: d.sha256.clone(),
            })
            .collect(),
        _ => claims
            .map(|c| {
                c.documents
                    .iter()
                    .enumerate()
                    .map(|(i, d)| DocRow {
                        position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        name: None,
                        size: d.size,
                        sha256: d.sha256.to_ascii_lowercase(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };

    let document = sha256.map(|hash| {
        let found = claims.and_then(|c| {
            c.documents
                .iter()
                .position(|d| d.sha256.eq_ignore_ascii_case(hash))
        });
        let text = match found {
            Some(i) => tf(lang, Key::DocMatch, &[("n", &(i + 1).to_string())]),
            None => t(lang, Key::DocMismatch).to_owned(),
        };
        checks.push(CheckRow {
            name: "document".into(),
            passed: found.is_some(),
            summary: Some(text),
            technical: None,
        });
        (hash.to_owned(), found)
    });

    let number = claims
        .map(|c| c.number.clone())
        .or_else(|| letter.as_ref().map(|l| l.number.clone()))
        .unwrap_or_default();
    let outcome = Outcome {
        number,
        registered_at: claims.map(|c| c.registered_at.clone()),
        index: claims.map(|c| c.index),
        status: letter.as_ref().map(|l| l.status.clone()),
        passed: checks.iter().all(|c| c.passed),
        checks,
        documents,
        letter: if granted { letter } else { None },
        code: code_state,
        document,
        bundle_json: serde_json::to_string(bundle).unwrap_or_default(),
        jwks_json: serde_json::to_string(jwks).unwrap_or_default(),
        source,
    };
    (outcome, code_failed)
}
