//! The private temporary directory of one task.
//!
//! Each confined task gets a fresh directory under the system temp directory
//! (`TMPDIR` or `/tmp`), mode 0700, that only it may write. The caller
//! exports it to the task as `TMPDIR`, so compilers and `mktemp` work without
//! write access to the shared `/tmp`. The directory and everything the task
//! left in it are removed when the task's confinement is dropped.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// A directory that is removed with its contents when dropped.
#[derive(Debug)]
pub(crate) struct TmpDir {
    path: PathBuf,
}

impl TmpDir {
    /// Creates a fresh directory named after `task` under the system temp
    /// directory. The path is canonical, so it can be compared with grants.
    pub(crate) fn create(task: &str) -> Result<TmpDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);

        let base = std::env::temp_dir();
        let label: String = task
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .take(32)
            .collect();

        for _ in 0..16 {
            let nanos =
                SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let count = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("runner-{label}-{}-{count}-{nanos:08x}", std::process::id());
            let path = base.join(name);
            match DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    let path = std::fs::canonicalize(&path)
                        .map_err(|error| Error::io("resolve", &path, error))?;
                    return Ok(TmpDir { path });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => {
                    return Err(Error::io("create the task's temp directory", path, error));
                }
            }
        }
        Err(Error::io(
            "create the task's temp directory",
            base,
            io::Error::new(io::ErrorKind::AlreadyExists, "16 candidate names already exist"),
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            log::debug!("failed to remove temp directory `{}`: {error}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmp_dir_removed_on_drop() {
        let dir = TmpDir::create("build/x").unwrap();
        let path = dir.path().to_owned();
        std::fs::write(path.join("left-over"), "x").unwrap();
        assert!(path.is_dir());
        assert!(path.file_name().unwrap().to_string_lossy().starts_with("runner-build_x-"));

        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn tmp_dir_paths_are_unique() {
        let first = TmpDir::create("t").unwrap();
        let second = TmpDir::create("t").unwrap();
        assert_ne!(first.path(), second.path());
    }
}
