//! `sijil verify`: check a bundle offline, with `sijil-receipt` alone.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use sijil_receipt::bundle::Bundle;
use sijil_receipt::claims::LeafClaims;
use sijil_receipt::jwks::Jwks;
use sijil_receipt::verify::{verify_bundle, DocumentCheckInput, Verdict};

use crate::cli::VerifyArgs;

pub fn run(data_dir: &Path, args: &VerifyArgs) -> Result<ExitCode> {
    let bundle = read_bundle(&args.bundle, args.tlog_proof.as_deref())?;
    let jwks_path = args
        .jwks
        .clone()
        .unwrap_or_else(|| data_dir.join("keys").join("jwks.json"));
    let jwks: Jwks = serde_json::from_slice(
        &fs::read(&jwks_path)
            .with_context(|| format!("cannot read the keys {}", jwks_path.display()))?,
    )
    .with_context(|| format!("{} is not a JWKS", jwks_path.display()))?;
    let documents = args
        .files
        .iter()
        .map(|path| hash_file(path))
        .collect::<Result<Vec<_>>>()?;
    let report = verify_bundle(&bundle, &jwks, &documents);
    for check in &report.checks {
        let mark = if check.passed { "ok  " } else { "FAIL" };
        println!("{mark} {}: {}", check.name, check.detail);
    }
    match report.verdict() {
        Verdict::Verified => {
            match &report.claims {
                Some(LeafClaims::Registration(c)) => println!(
                    "verified: {} registered at {} by {}",
                    c.number, c.registered_at, c.registry
                ),
                Some(LeafClaims::Config(c)) => println!(
                    "verified: change of {} at {} by {}",
                    c.setting, c.registered_at, c.registry
                ),
                _ => println!("verified"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Verdict::UnknownType(kind) => {
            println!(
                "signature and inclusion verified, but this version of sijil does not know entries of type {kind:?}: their own claims were not checked"
            );
            Ok(ExitCode::from(1))
        }
        Verdict::Failed => {
            println!("verification FAILED");
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads a JSON bundle, or a bare receipt with its tlog-proof file.
fn read_bundle(path: &Path, tlog_proof: Option<&Path>) -> Result<Bundle> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        if tlog_proof.is_some() {
            bail!(
                "{} is a bundle: --tlog-proof goes with a bare receipt",
                path.display()
            );
        }
        return serde_json::from_str(trimmed)
            .with_context(|| format!("{} is not a bundle", path.display()));
    }
    let proof_path: PathBuf = match tlog_proof {
        Some(p) => p.to_path_buf(),
        None => bail!(
            "{} is not a JSON bundle; for a bare receipt give its proof with --tlog-proof FILE",
            path.display()
        ),
    };
    let proof = fs::read_to_string(&proof_path)
        .with_context(|| format!("cannot read {}", proof_path.display()))?;
    Bundle::from_receipt_and_tlog_proof(trimmed, &proof)
        .with_context(|| format!("{} with {}", path.display(), proof_path.display()))
}

/// Streams a file through SHA-256.
fn hash_file(path: &Path) -> Result<DocumentCheckInput> {
    let mut file =
        fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(DocumentCheckInput {
        label: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: hex::encode(hasher.finalize()),
        size: Some(size),
    })
}
