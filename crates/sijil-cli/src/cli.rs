//! The command line's grammar.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use sijil_receipt::metadata::Channel;

/// Sijil: the digital bureau d'ordre — a tamper-evident register of incoming letters.
#[derive(Parser, Debug)]
#[command(name = "sijil", version, about, long_about = None)]
pub struct Cli {
    /// The data directory: configuration, keys, documents and the SQLite database.
    #[arg(
        long,
        global = true,
        env = "SIJIL_DATA_DIR",
        default_value = "./sijil-data"
    )]
    pub data_dir: PathBuf,

    /// A PostgreSQL URL (postgres://...) to use instead of the embedded SQLite database.
    #[arg(
        long,
        global = true,
        env = "SIJIL_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the registry (configuration, signing key, database); does nothing if it exists.
    Init {
        /// The log's origin name, e.g. bo.mediateur.example (only for a new registry).
        #[arg(long)]
        origin: Option<String>,
    },
    /// Register a letter and print its bundle (receipt, inclusion proof, checkpoint).
    Register(RegisterArgs),
    /// Show the full record of a letter (for the registry's own staff).
    Show {
        /// The registration number, e.g. BO-2026-000001.
        number: String,
    },
    /// Check a bundle offline: signature, inclusion proof, checkpoint, documents.
    Verify(VerifyArgs),
    /// Re-verify the whole register against its log.
    Audit {
        /// Do not re-hash the stored document files.
        #[arg(long)]
        skip_documents: bool,
    },
    /// Print the register of a period as CSV.
    Export {
        /// First day (YYYY-MM-DD), in the registry's time zone.
        #[arg(long)]
        from: NaiveDate,
        /// Last day (YYYY-MM-DD), included.
        #[arg(long)]
        to: NaiveDate,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the web service: public verification page and API, clerk desk and API.
    Serve(ServeArgs),
    /// Manage the clerk API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The settings others rely on; each change is a signed entry of the log.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// `sijil config ...`.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Change a setting (`institution.name`): prints the change's bundle.
    Set {
        /// The setting.
        setting: String,
        /// Its new value.
        value: String,
    },
    /// Print the current settings.
    Show,
}

/// `sijil register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The sender's name.
    #[arg(long)]
    pub sender: String,
    /// The letter's subject.
    #[arg(long)]
    pub subject: String,
    /// The sender's postal address.
    #[arg(long)]
    pub sender_address: Option<String>,
    /// The sender's e-mail address.
    #[arg(long)]
    pub sender_email: Option<String>,
    /// The sender's national ID number.
    #[arg(long)]
    pub national_id: Option<String>,
    /// The service the letter is for.
    #[arg(long)]
    pub addressee: Option<String>,
    /// How the letter arrived.
    #[arg(long, default_value = "paper")]
    pub channel: Channel,
    /// The sender's own reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// The date written on the letter (YYYY-MM-DD).
    #[arg(long)]
    pub letter_date: Option<String>,
    /// Free notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Write the bundle to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the proof in the c2sp.org/tlog-proof@v1 form to this file.
    #[arg(long)]
    pub tlog_proof: Option<PathBuf>,
    /// The documents (scans, attachments), in order.
    pub files: Vec<PathBuf>,
}

/// `sijil verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The bundle (JSON), or a receipt (compact JWS) given with --tlog-proof.
    pub bundle: PathBuf,
    /// Documents to check against the receipt.
    pub files: Vec<PathBuf>,
    /// The proof in the c2sp.org/tlog-proof@v1 form, when BUNDLE is a bare receipt.
    #[arg(long)]
    pub tlog_proof: Option<PathBuf>,
    /// The registry's public keys (JWKS); by default those of --data-dir.
    #[arg(long)]
    pub jwks: Option<PathBuf>,
}

/// `sijil serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "SIJIL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The address citizens reach the service at (in receipt URLs and QR codes);
    /// by default http://LISTEN.
    #[arg(long, env = "SIJIL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The largest accepted document, in MiB.
    #[arg(long, env = "SIJIL_MAX_DOCUMENT_MIB", default_value_t = 256)]
    pub max_document_mib: u64,
    /// The largest accepted registration request (the whole body), in MiB; at
    /// least --max-document-mib + 1.
    #[arg(long, env = "SIJIL_MAX_REQUEST_MIB", default_value_t = 1024)]
    pub max_request_mib: u64,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SIJIL_WORKERS")]
    pub workers: Option<usize>,
}

/// `sijil token ...`.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; prints it alone on stdout (it is shown only once).
    Create {
        /// clerk (registers, reads), auditor (reads), admin (everything).
        #[arg(long)]
        role: sijil_registry::Role,
        /// Whose token it is (shown in the logs).
        #[arg(long)]
        name: String,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token, by id or name.
    Revoke {
        /// The token's id or name.
        token: String,
    },
}

/// `sijil keys ...`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make a new signing key; the old public key stays published.
    Rotate,
    /// Print the public keys.
    Export {
        /// As a JWKS (every key, with its validity period).
        #[arg(long, conflicts_with = "note", required_unless_present = "note")]
        jwks: bool,
        /// As the signed-note verifier key string of the current key.
        #[arg(long)]
        note: bool,
    },
}
