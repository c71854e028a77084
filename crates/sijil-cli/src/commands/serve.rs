//! `sijil serve`: the web service.

use std::process::ExitCode;

use anyhow::{Context, Result};
use sijil_registry::Registry;
use sijil_web::{AppState, WebSettings};

use crate::cli::ServeArgs;

pub fn run(registry: Registry, args: &ServeArgs) -> Result<ExitCode> {
    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = format!("http://{}", listener.local_addr()?);
    let public_url = args.public_url.clone().unwrap_or_else(|| address.clone());
    let mut settings = WebSettings::new(&public_url);
    settings.max_document_bytes = args.max_document_mib.saturating_mul(1024 * 1024);
    settings.max_request_bytes = args.max_request_mib.saturating_mul(1024 * 1024);
    settings.check().map_err(|e| {
        anyhow::anyhow!("{e}: set --max-request-mib to at least --max-document-mib + 1")
    })?;
    let verifier = registry.note_verifier()?;
    let origin = registry.config().origin.clone();
    let database = registry.database_description();
    let state = AppState::new(registry, settings);
    actix_web::rt::System::new().block_on(async move {
        let bound = sijil_web::serve(state, listener, args.workers)
            .with_context(|| format!("cannot serve on {}", args.listen))?;
        println!("Sijil is listening on {address}");
        println!("  public address: {public_url}  (verification page: {public_url}/, clerk desk: {public_url}/desk)");
        println!("  registry origin: {origin}");
        println!("  checkpoint key: {verifier}");
        println!("  database: {database}");
        println!("Create a clerk token with: sijil token create --role clerk --name NAME");
        bound.run().await.context("the server stopped with an error")?;
        Ok(ExitCode::SUCCESS)
    })
}
