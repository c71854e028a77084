//! Verifying a receipt against this registry: the one function the API and
//! the pages present (`sijil verify` renders the same report offline, from
//! `sijil-receipt` alone).
//!
//! A bundle is checked as given. A bare receipt gets the registry's fresh
//! proof against its latest checkpoint; one whose index is not in the log
//! fails `inclusion`. Either way the registry adds its own `registry record`
//! check (it holds exactly this receipt at that index), then one check per
//! document given.

use sijil_receipt::bundle::{Bundle, InclusionProof};
use sijil_receipt::claims::LeafClaims;
use sijil_receipt::jws::parse_compact;
use sijil_receipt::verify::{verify_bundle, CheckName, DocumentCheckInput, Report};

use crate::error::{RegistryError, Result};
use crate::registry::Registry;

/// What to verify.
#[derive(Clone, Debug)]
pub struct ReceiptToVerify {
    /// The compact JWS.
    pub receipt: String,
    /// Its inclusion proof and the checkpoint it is against (a bundle), or
    /// `None` for a bare receipt.
    pub proof: Option<(InclusionProof, String)>,
    /// Documents whose hashes must be among the receipt's.
    pub documents: Vec<DocumentCheckInput>,
}

impl Registry {
    /// A bundle of `receipt` with the registry's proof of leaf `index`
    /// against its latest checkpoint; `None` when the log has no such leaf.
    fn fresh_bundle(&self, receipt: &str, index: u64) -> Result<Option<Bundle>> {
        let latest = self.log().checkpoint()?;
        match self.log().inclusion_proof(index, latest.tree_size) {
            Ok(proof) => Ok(Some(Bundle {
                receipt: receipt.to_owned(),
                inclusion_proof: proof,
                checkpoint: latest.note,
            })),
            Err(RegistryError::Invalid(_) | RegistryError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Verifies a receipt (a bundle or a bare JWS, with optional documents)
    /// against this registry and returns the report: the offline checks,
    /// `registry record`, then `document <label>` per document.
    pub fn verify(&self, request: &ReceiptToVerify) -> Result<Report> {
        let jwks = self.jwks()?;
        let bundle = match &request.proof {
            Some((proof, checkpoint)) => Some(Bundle {
                receipt: request.receipt.clone(),
                inclusion_proof: proof.clone(),
                checkpoint: checkpoint.clone(),
            }),
            // A bare receipt: its index is read here, the proof is the registry's.
            None => match parse_compact(&request.receipt)
                .ok()
                .and_then(|jws| LeafClaims::from_payload(&jws.payload).ok())
            {
                Some(claims) => self.fresh_bundle(&request.receipt, claims.envelope().index)?,
                None => None,
            },
        };
        let mut report = match &bundle {
            Some(bundle) => verify_bundle(bundle, &jwks, &[]),
            None => without_proof(&request.receipt, &jwks),
        };
        // Read by `verify_bundle` even when a check failed.
        let index = report.claims.as_ref().map(|c| c.envelope().index);
        let record = match index {
            None => Err("not checked: the receipt could not be read".to_owned()),
            Some(index) => match self.log().entry(index) {
                Ok(stored) if stored == request.receipt => {
                    Ok(format!("the registry holds this receipt at index {index}"))
                }
                Ok(_) => Err(format!(
                    "the registry holds a different receipt at index {index}"
                )),
                Err(RegistryError::NotFound(_)) => {
                    Err(format!("the registry has no entry {index}"))
                }
                Err(e) => return Err(e),
            },
        };
        report.record(CheckName::RegistryRecord, record);
        report.check_documents(&request.documents);
        Ok(report)
    }
}

/// The report of a receipt no proof can exist for: the offline checks that
/// need none, and `inclusion` failed.
fn without_proof(receipt: &str, jwks: &sijil_receipt::jwks::Jwks) -> Report {
    let mut report = verify_bundle(
        &Bundle {
            receipt: receipt.to_owned(),
            inclusion_proof: InclusionProof {
                index: 0,
                tree_size: 0,
                hashes: Vec::new(),
            },
            checkpoint: String::new(),
        },
        jwks,
        &[],
    );
    report
        .checks
        .retain(|c| c.kind != CheckName::CheckpointSignature && c.kind != CheckName::Inclusion);
    report.checkpoint = None;
    report.record(
        CheckName::Inclusion,
        Err("the receipt's index is not in this registry's log".into()),
    );
    report
}
