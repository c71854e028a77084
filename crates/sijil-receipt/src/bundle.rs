//! The bundle: receipt, inclusion proof and checkpoint, everything needed to
//! verify a registration offline except the public key.
//!
//! The proof can also be written as a `c2sp.org/tlog-proof@v1` file for tools
//! of the transparency-log ecosystem:
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]         (optional, never emitted by us)
//! index <leaf index>
//! <base64 hash>            (zero or more, leaf's sibling first)
//!
//! <checkpoint, verbatim>
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::merkle::{self, Hash};
use crate::note::parse_note;
use crate::serde_base64::{decode_hash, encode_hash};
use crate::{Error, Result};

/// First line of a tlog-proof file.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Inclusion proof of a leaf in the tree of a given size.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Leaf index (0-based).
    pub index: u64,
    /// Size of the tree the proof is against.
    pub tree_size: u64,
    /// Audit path, leaf side first; standard base64 strings of 32 bytes in JSON.
    #[serde(with = "crate::serde_base64::hashes")]
    pub hashes: Vec<Hash>,
}

impl InclusionProof {
    /// Checks the proof for `leaf_hash` against `root` (see
    /// [`merkle::verify_inclusion`]).
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<()> {
        merkle::verify_inclusion(self.index, self.tree_size, leaf_hash, &self.hashes, root)
    }
}

/// Consistency proof between two tree sizes, as the registry's proof
/// endpoint returns it: `{"from", "to", "hashes": [base64…]}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// Size of the older tree.
    pub from: u64,
    /// Size of the newer tree.
    pub to: u64,
    /// Proof hashes in RFC 9162 order; standard base64 strings in JSON.
    #[serde(with = "crate::serde_base64::hashes")]
    pub hashes: Vec<Hash>,
}

impl ConsistencyProof {
    /// Checks the proof between the two roots (see
    /// [`merkle::verify_consistency`]).
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<()> {
        merkle::verify_consistency(self.from, self.to, old_root, new_root, &self.hashes)
    }
}

/// What registration returns and `verify` accepts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The receipt, a compact JWS.
    pub receipt: String,
    /// Proof that the receipt's payload is a leaf of the checkpointed tree.
    pub inclusion_proof: InclusionProof,
    /// The signed checkpoint the proof is against (signed-note text).
    pub checkpoint: String,
}

impl Bundle {
    /// Builds a bundle from a receipt and a tlog-proof file (see
    /// [`parse_tlog_proof`]).
    pub fn from_receipt_and_tlog_proof(receipt: &str, tlog_proof: &str) -> Result<Bundle> {
        let (inclusion_proof, checkpoint) = parse_tlog_proof(tlog_proof)?;
        Ok(Bundle {
            receipt: receipt.to_owned(),
            inclusion_proof,
            checkpoint,
        })
    }

    /// The bundle's proof and checkpoint as a tlog-proof file.
    pub fn to_tlog_proof(&self) -> String {
        tlog_proof(&self.inclusion_proof, &self.checkpoint)
    }
}

/// Writes `proof` and the signed `checkpoint` as a `c2sp.org/tlog-proof@v1`
/// file, with no extra data line. The tree size is not written: readers take
/// it from the checkpoint.
pub fn tlog_proof(proof: &InclusionProof, checkpoint: &str) -> String {
    let mut out = format!("{TLOG_PROOF_HEADER}\nindex {}\n", proof.index);
    for h in &proof.hashes {
        out.push_str(&encode_hash(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(checkpoint);
    out
}

/// A parsed `c2sp.org/tlog-proof@v1` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// The unauthenticated extra data, if the file has an `extra` line.
    pub extra: Option<Vec<u8>>,
    /// The inclusion proof, its tree size taken from the checkpoint.
    pub proof: InclusionProof,
    /// The checkpoint, verbatim (signatures not checked).
    pub checkpoint: String,
}

/// Splits the first line (without its newline) off `rest`.
fn take_line<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (line, after) = rest.split_once('\n')?;
    *rest = after;
    Some(line)
}

fn parse_index(text: &str) -> Result<u64> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !ok {
        return Err(Error::Format(format!(
            "tlog-proof index {text:?} is not a decimal number without leading zeros"
        )));
    }
    text.parse()
        .map_err(|_| Error::Format(format!("tlog-proof index {text:?} is too large")))
}

impl TlogProof {
    /// Parses a tlog-proof file strictly: the header line, an optional
    /// `extra` line of standard base64, the `index` line, 32-byte hashes, a
    /// blank line, and a checkpoint whose body parses (its signatures are not
    /// checked here) and whose size is above the index.
    pub fn parse(text: &str) -> Result<TlogProof> {
        let bad = |what: &str| Error::Format(format!("tlog-proof: {what}"));
        let mut rest = text;
        if take_line(&mut rest) != Some(TLOG_PROOF_HEADER) {
            return Err(bad(&format!("first line is not {TLOG_PROOF_HEADER}")));
        }
        let mut line = take_line(&mut rest).ok_or_else(|| bad("missing index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(
                STANDARD
                    .decode(b64)
                    .map_err(|e| bad(&format!("extra data is not standard base64: {e}")))?,
            );
            line = take_line(&mut rest).ok_or_else(|| bad("missing index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .ok_or_else(|| bad("missing index line"))
            .and_then(parse_index)?;
        let mut hashes = Vec::new();
        loop {
            let line =
                take_line(&mut rest).ok_or_else(|| bad("missing blank line before checkpoint"))?;
            if line.is_empty() {
                break;
            }
            hashes.push(decode_hash(line)?);
        }
        let checkpoint = rest.to_owned();
        let note = parse_note(&checkpoint)?;
        let size = Checkpoint::parse_body(&note.text)?.size;
        if index >= size {
            return Err(bad(&format!(
                "index {index} is not below the checkpoint's tree size {size}"
            )));
        }
        Ok(TlogProof {
            extra,
            proof: InclusionProof {
                index,
                tree_size: size,
                hashes,
            },
            checkpoint,
        })
    }
}

/// Reads a tlog-proof file into the inclusion proof (tree size from the
/// checkpoint) and the checkpoint text; any extra data is checked for syntax
/// and dropped. See [`TlogProof::parse`].
pub fn parse_tlog_proof(text: &str) -> Result<(InclusionProof, String)> {
    let parsed = TlogProof::parse(text)?;
    Ok((parsed.proof, parsed.checkpoint))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn proof_json_is_base64_and_rejects_short_hashes() {
        let p = InclusionProof {
            index: 1,
            tree_size: 2,
            hashes: vec![[9; 32]],
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"index":1,"tree_size":2,"hashes":["{}"]}}"#,
                encode_hash(&[9; 32])
            )
        );
        assert_eq!(serde_json::from_str::<InclusionProof>(&json).unwrap(), p);
        let short = r#"{"index":1,"tree_size":2,"hashes":["AAAA"]}"#;
        assert!(serde_json::from_str::<InclusionProof>(short).is_err());
        let not_b64 = r#"{"index":1,"tree_size":2,"hashes":["!!"]}"#;
        assert!(serde_json::from_str::<InclusionProof>(not_b64).is_err());
    }

    #[test]
    fn consistency_proof_json_has_from_to_hashes() {
        let p = ConsistencyProof {
            from: 1,
            to: 2,
            hashes: vec![[1; 32]],
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["from"], 1);
        assert_eq!(v["to"], 2);
        assert_eq!(v["hashes"][0], encode_hash(&[1; 32]));
    }
}
