//! Filesystem calls that name the operation and the path in their errors.
//!
//! Every call here maps `io::Error` into [`crate::Error::io`], so a failure
//! reads "failed to read `.runner/tasks/build`: permission denied" and no bare
//! `io::Error` escapes the freshness code. Atomic writes go through a temporary
//! file in the same directory followed by `rename`, which replaces the target
//! in one step on POSIX filesystems: a reader sees the old or the new contents,
//! never a mix.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The suffix of temporary files, so a crashed write can be found and removed.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Reads a file, returning `None` when it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read", path, err)),
    }
}

pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|err| Error::io("create directory", path, err))
}

/// Removes a file; a file that is already gone is not an error.
pub(crate) fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(Error::io("remove", path, err)),
    }
}

/// Removes a directory tree; a directory that is already gone is not an error.
pub(crate) fn remove_dir_all_if_exists(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(Error::io("remove directory", path, err)),
    }
}

/// Lists the names of a directory's entries; a missing directory has none.
pub(crate) fn list_dir_if_exists(path: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Error::io("read directory", path, err)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io("read directory", path, err))?;
        paths.push(entry.path());
    }
    Ok(paths)
}

/// Opens a file for reading and writing, creating it when missing.
pub(crate) fn open_or_create(path: &Path) -> Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|err| Error::io("open", path, err))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so the file
/// is replaced whole or not at all.
///
/// N.B. there is no `fsync`: after a power loss the renamed file may be empty
/// or cut short. Readers of state files treat such a file as absent, which
/// makes a task run again and never makes it fresh.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let name = path.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = path.with_file_name(format!(".{name}.{}.{unique}{TEMP_SUFFIX}", std::process::id()));

    let written = File::create(&temp).and_then(|mut file| file.write_all(bytes));
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("write", &temp, err));
    }

    fs::rename(&temp, path).map_err(|err| {
        let _ = fs::remove_file(&temp);
        Error::io("rename", &temp, err)
    })
}

/// A directory under the system's temporary directory, removed with its
/// contents when dropped. The tests and the benchmarks build their trees here.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates an empty directory whose name starts with `prefix`.
    pub(crate) fn new(prefix: &str) -> Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{nanos}-{unique}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::create_dir(&path).map_err(|err| Error::io("create directory", &path, err))?;
        Ok(TempDir { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = fs::remove_dir_all(&self.path) {
            log::debug!("failed to remove `{}`: {err}", self.path.display());
        }
    }
}
