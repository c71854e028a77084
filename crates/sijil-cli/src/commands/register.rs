//! `sijil register`: register a letter and print its bundle.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use sijil_receipt::bundle::tlog_proof;
use sijil_receipt::metadata::{LetterMetadata, Sender};
use sijil_registry::{NewLetter, Registry};

use crate::cli::RegisterArgs;
use crate::output;

pub fn run(registry: &Registry, args: &RegisterArgs) -> Result<ExitCode> {
    let metadata = LetterMetadata {
        sender: Sender {
            name: args.sender.clone(),
            address: args.sender_address.clone(),
            email: args.sender_email.clone(),
            national_id: args.national_id.clone(),
        },
        reference: args.reference.clone(),
        addressee: args.addressee.clone(),
        subject: args.subject.clone(),
        channel: args.channel,
        letter_date: args.letter_date.clone(),
        notes: args.notes.clone(),
    };
    let mut documents = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let stored = registry
            .documents()
            .store_file(file, media_type_of(file))
            .with_context(|| format!("document {}", file.display()))?;
        documents.push(stored);
    }
    let registration = registry.letters().register(NewLetter {
        metadata,
        documents,
    })?;
    registry.shutdown();
    let mut json = serde_json::to_vec_pretty(&registration.bundle)?;
    json.push(b'\n');
    if let Some(path) = &args.tlog_proof {
        let proof = tlog_proof(
            &registration.bundle.inclusion_proof,
            &registration.bundle.checkpoint,
        );
        output::write_file(path, proof.as_bytes())?;
    }
    output::emit(args.out.as_deref(), &json)?;
    eprintln!(
        "registered {} at {}",
        registration.number, registration.registered_at
    );
    eprintln!("access code: {}", registration.access_code);
    Ok(ExitCode::SUCCESS)
}

/// The media type of a file, from its extension.
fn media_type_of(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        "txt" => "text/plain",
        "xml" => "application/xml",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}
