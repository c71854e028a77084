//! Durable file writes: write to a temporary file, fsync, rename, fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{RegistryError, Result};

/// Replaces `path` with `bytes` so that a crash leaves either the old or the
/// new content, never a mix; the file gets `mode`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let context = |what: &str| format!("cannot {what} {}", path.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| RegistryError::io(context("write"), e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| RegistryError::io(context("write"), e))?;
    fs::rename(&tmp, path).map_err(|e| RegistryError::io(context("replace"), e))?;
    sync_dir(dir)
}

/// Makes a folder's entries (new or renamed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| RegistryError::io(format!("cannot sync folder {}", dir.display()), e))
}

/// Creates a folder and its parents, durably.
pub(crate) fn create_dir_durable(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)
        .map_err(|e| RegistryError::io(format!("cannot create folder {}", dir.display()), e))?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => sync_dir(Path::new(".")),
    }
}
