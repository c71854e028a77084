//! Rebuild when a migration changes: `embed_migrations!` does not notice on its own.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
