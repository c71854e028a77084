//! The JSON shapes of the API, with their OpenAPI schemas.

use serde::{Deserialize, Serialize};
use sijil_receipt::bundle::{Bundle, InclusionProof};
use sijil_receipt::merkle::Hash;
use sijil_receipt::serde_base64;
use sijil_registry::{DocumentRecord, LetterRecord};
use utoipa::ToSchema;

/// An inclusion proof: the audit path of leaf `index` in the tree of `tree_size` leaves.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct InclusionProofBody {
    /// The leaf index.
    pub index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The proof hashes, standard base64, leaf side first.
    #[schema(value_type = Vec<String>)]
    #[serde(with = "serde_base64::hashes")]
    pub hashes: Vec<Hash>,
}

impl From<InclusionProof> for InclusionProofBody {
    fn from(p: InclusionProof) -> Self {
        InclusionProofBody {
            index: p.index,
            tree_size: p.tree_size,
            hashes: p.hashes,
        }
    }
}

impl From<InclusionProofBody> for InclusionProof {
    fn from(p: InclusionProofBody) -> Self {
        InclusionProof {
            index: p.index,
            tree_size: p.tree_size,
            hashes: p.hashes,
        }
    }
}

/// A consistency proof between two tree sizes.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProofBody {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
    /// The proof hashes, standard base64.
    #[schema(value_type = Vec<String>)]
    #[serde(with = "serde_base64::hashes")]
    pub hashes: Vec<Hash>,
}

/// Receipt, inclusion proof and the checkpoint the proof is against.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct BundleBody {
    /// The receipt: a compact JWS (EdDSA).
    pub receipt: String,
    /// The proof that the receipt is a leaf of the log.
    pub inclusion_proof: InclusionProofBody,
    /// The C2SP signed checkpoint the proof is against.
    pub checkpoint: String,
}

impl From<Bundle> for BundleBody {
    fn from(b: Bundle) -> Self {
        BundleBody {
            receipt: b.receipt,
            inclusion_proof: b.inclusion_proof.into(),
            checkpoint: b.checkpoint,
        }
    }
}

impl From<BundleBody> for Bundle {
    fn from(b: BundleBody) -> Self {
        Bundle {
            receipt: b.receipt,
            inclusion_proof: b.inclusion_proof.into(),
            checkpoint: b.checkpoint,
        }
    }
}

/// The sender of a letter.
#[derive(Serialize, ToSchema)]
pub struct SenderBody {
    /// Name.
    pub name: String,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// National ID number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_id: Option<String>,
}

/// A letter's metadata (the shape of design.md).
#[derive(Serialize, ToSchema)]
pub struct MetadataBody {
    /// The sender.
    pub sender: SenderBody,
    /// The sender's own reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The service the letter is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addressee: Option<String>,
    /// Subject.
    pub subject: String,
    /// paper, email, web or partner.
    pub channel: String,
    /// The date written on the letter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter_date: Option<String>,
    /// Free notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl From<&sijil_receipt::metadata::LetterMetadata> for MetadataBody {
    fn from(m: &sijil_receipt::metadata::LetterMetadata) -> Self {
        MetadataBody {
            sender: SenderBody {
                name: m.sender.name.clone(),
                address: m.sender.address.clone(),
                email: m.sender.email.clone(),
                national_id: m.sender.national_id.clone(),
            },
            reference: m.reference.clone(),
            addressee: m.addressee.clone(),
            subject: m.subject.clone(),
            channel: m.channel.to_string(),
            letter_date: m.letter_date.clone(),
            notes: m.notes.clone(),
        }
    }
}

/// A document of a letter.
#[derive(Serialize, ToSchema)]
pub struct DocumentBody {
    /// Position in the letter, from 1.
    pub position: u32,
    /// File name.
    pub file_name: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

impl From<&DocumentRecord> for DocumentBody {
    fn from(d: &DocumentRecord) -> Self {
        DocumentBody {
            position: d.position,
            file_name: d.file_name.clone(),
            media_type: d.media_type.clone(),
            size: d.size,
            sha256: d.sha256.clone(),
        }
    }
}

/// The check of the receipt's `metadata_sha256` against the stored metadata.
#[derive(Serialize, ToSchema)]
pub struct MetadataCheckBody {
    /// Whether the HMAC recomputed with the access code equals the receipt's.
    pub passed: bool,
    /// In plain words.
    pub detail: String,
}

/// A receipt lookup.
#[derive(Serialize, ToSchema)]
pub struct ReceiptBody {
    /// The registration number.
    pub number: String,
    /// The letter's status.
    pub status: String,
    /// When it was registered (RFC 3339).
    pub registered_at: String,
    /// Receipt, fresh inclusion proof and latest checkpoint.
    pub bundle: BundleBody,
    /// The metadata, only with the access code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataBody>,
    /// The documents' names, only with the access code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<DocumentBody>>,
    /// The metadata hash check, only with the access code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_check: Option<MetadataCheckBody>,
}

/// The answer to a registration.
#[derive(Serialize, ToSchema)]
pub struct RegistrationBody {
    /// The registration number.
    pub number: String,
    /// The access code to print on the citizen's copy.
    pub access_code: String,
    /// The printable acknowledgement.
    pub receipt_url: String,
    /// Receipt, inclusion proof, checkpoint.
    pub bundle: BundleBody,
}

/// A letter's full record, for the registry's staff.
#[derive(Serialize, ToSchema)]
pub struct LetterBody {
    /// The registration number.
    pub number: String,
    /// The leaf index in the log.
    pub index: u64,
    /// When it was registered.
    pub registered_at: String,
    /// Status.
    pub status: String,
    /// The metadata.
    pub metadata: MetadataBody,
    /// The access code.
    pub access_code: String,
    /// The documents.
    pub documents: Vec<DocumentBody>,
    /// The receipt JWS.
    pub receipt: String,
}

impl From<&LetterRecord> for LetterBody {
    fn from(l: &LetterRecord) -> Self {
        LetterBody {
            number: l.number.clone(),
            index: l.index,
            registered_at: l.registered_at.clone(),
            status: l.status.clone(),
            metadata: (&l.metadata).into(),
            access_code: l.access_code.as_str().to_owned(),
            documents: l.documents.iter().map(Into::into).collect(),
            receipt: l.receipt.clone(),
        }
    }
}

/// A page of the register.
#[derive(Serialize, ToSchema)]
pub struct LetterPage {
    /// The page number, from 1.
    pub page: u32,
    /// Letters per page.
    pub per_page: u32,
    /// The letters, newest first.
    pub letters: Vec<LetterBody>,
}

/// A document hash to check against a receipt.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentHash {
    /// Lowercase or uppercase hex SHA-256.
    pub sha256: String,
    /// The size in bytes, if known.
    pub size: Option<u64>,
}

/// What to verify: a bundle, or a bare receipt (the server supplies the proof).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The receipt JWS.
    pub receipt: String,
    /// The inclusion proof (with a bundle).
    pub inclusion_proof: Option<InclusionProofBody>,
    /// The checkpoint (with a bundle).
    pub checkpoint: Option<String>,
    /// Documents to check against the receipt.
    #[serde(default)]
    pub documents: Vec<DocumentHash>,
}

/// One check of a verification.
#[derive(Serialize, ToSchema)]
pub struct CheckBody {
    /// signature, claims, key validity, checkpoint signature, inclusion, registry record, document N.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// In plain words.
    pub detail: String,
}

/// The verdict of a verification.
#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    /// `valid` when every check passed; `invalid` when one failed;
    /// `unknown_type` when signature, checkpoint and inclusion hold but the
    /// entry is of a type this registry's version does not know.
    pub verdict: String,
    /// The registration number, when the receipt could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The time the log appended the entry, when the receipt could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// Each check.
    pub checks: Vec<CheckBody>,
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The log's tree size.
    pub tree_size: u64,
}
