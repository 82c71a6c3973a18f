//! The private temporary directory of one task.
//!
//! Each confined task gets a directory under the system temp directory
//! (`TMPDIR` or `/tmp`), mode 0700, that only it may write. The caller
//! exports it to the task as `TMPDIR`, so compilers and `mktemp` work without
//! write access to the shared `/tmp`. When the task's confinement is dropped,
//! everything the task left in the directory is removed and the directory
//! leaves the task's path.
//!
//! A process recycles these directories instead of creating one per task.
//! On ext4, `mkdir` in a `/tmp` where many directories were removed in the
//! last minute scans past each recently freed inode. On the ext4 root of a
//! 2-core VM, `strace -T` timed that `mkdir` at 250 to 500 µs, and a `rename`
//! in the same `/tmp` at about 15 µs. So a dropped directory is emptied and renamed to a pool name
//! (`runner-pool-PID-N`), and the next task renames it to a name of its own.
//! A directory that cannot be emptied, or that is no longer empty when it is
//! taken from the pool, is removed instead. The pooled directories are
//! removed when the process exits normally (`atexit`), so a process killed by
//! a signal leaves its empty pool directories behind.
//!
//! NOTE: the runner does not kill what a task left running, and Landlock's
//! grant follows the directory, not its name. A process that outlives its
//! task can therefore still write to the directory after a later task of the
//! same run received it.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// The empty directories waiting for the next task, each with the temp
/// directory it was created in.
static POOL: Mutex<Vec<Pooled>> = Mutex::new(Vec::new());

/// Numbers the directory names of this process, so no two collide.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An empty directory in the pool.
struct Pooled {
    /// The temp directory as `std::env::temp_dir` returned it at creation.
    base: PathBuf,
    /// The canonical path of the directory under its pool name.
    path: PathBuf,
}

/// A task's private directory, emptied and returned to the pool when dropped.
#[derive(Debug)]
pub(crate) struct TmpDir {
    /// The temp directory as `std::env::temp_dir` returned it at creation.
    base: PathBuf,
    /// The canonical path under the task's name.
    path: PathBuf,
}

impl TmpDir {
    /// Returns an empty directory named after `task` under the system temp
    /// directory, taken from the pool or created. The path is canonical, so
    /// it can be compared with grants.
    pub(crate) fn create(task: &str) -> Result<TmpDir> {
        let base = std::env::temp_dir();
        let label: String = task
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .take(32)
            .collect();

        while let Some(pooled) = take_pooled(&base) {
            if let Some(path) = reuse(&pooled, &label) {
                return Ok(TmpDir { base, path });
            }
        }

        for _ in 0..16 {
            let path = base.join(unique_name(&label));
            match DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    let path = std::fs::canonicalize(&path)
                        .map_err(|error| Error::io("resolve", &path, error))?;
                    return Ok(TmpDir { base, path });
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
        if let Err(error) = remove_contents(&self.path) {
            log::debug!("failed to empty temp directory `{}`: {error}", self.path.display());
            remove_all(&self.path);
            return;
        }

        let pool_path = self.path.with_file_name(pool_name());
        if let Err(error) = std::fs::rename(&self.path, &pool_path) {
            log::debug!("failed to return `{}` to the pool: {error}", self.path.display());
            remove_all(&self.path);
            return;
        }
        register_exit_cleanup();
        if let Ok(mut pool) = POOL.lock() {
            pool.push(Pooled { base: self.base.clone(), path: pool_path });
        } else {
            remove_all(&pool_path);
        }
    }
}

/// Returns a fresh name for a task's directory:
/// `runner-LABEL-PID-COUNT-NANOS`.
fn unique_name(label: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("runner-{label}-{}-{count}-{nanos:08x}", std::process::id())
}

/// Returns a fresh name for a pooled directory: `runner-pool-PID-COUNT`.
fn pool_name() -> String {
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("runner-pool-{}-{count}", std::process::id())
}

/// Takes a pooled directory that was created under `base`.
fn take_pooled(base: &Path) -> Option<Pooled> {
    let mut pool = POOL.lock().ok()?;
    let index = pool.iter().rposition(|pooled| pooled.base == base)?;
    Some(pool.swap_remove(index))
}

/// Renames `pooled` to a fresh name for `label` and returns the new path,
/// or removes it and returns `None` when it is no longer an empty private
/// directory.
fn reuse(pooled: &Pooled, label: &str) -> Option<PathBuf> {
    let path = pooled.path.with_file_name(unique_name(label));
    if let Err(error) = std::fs::rename(&pooled.path, &path) {
        log::debug!("failed to reuse `{}`: {error}", pooled.path.display());
        remove_all(&pooled.path);
        return None;
    }
    if !is_empty_private_dir(&path) {
        log::debug!("not reusing `{}`: it is not an empty private directory", path.display());
        remove_all(&path);
        return None;
    }
    log::trace!("reusing `{}` as `{}`", pooled.path.display(), path.display());
    Some(path)
}

/// Checks that `path` is still a directory of ours that no one else may
/// enter, with no entries, as it was when it entered the pool.
fn is_empty_private_dir(path: &Path) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let private = std::fs::symlink_metadata(path)
        .is_ok_and(|meta| meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0);
    private && std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// Removes every entry of the directory `dir`, but not `dir` itself.
fn remove_contents(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn remove_all(path: &Path) {
    if let Err(error) = std::fs::remove_dir_all(path) {
        log::debug!("failed to remove temp directory `{}`: {error}", path.display());
    }
}

/// Registers `remove_pool` to run at exit, once per process.
fn register_exit_cleanup() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: `remove_pool` is an `extern "C"` function without arguments
        // that never unwinds, as atexit requires.
        if unsafe { libc::atexit(remove_pool) } != 0 {
            log::debug!("failed to register the removal of pooled temp directories at exit");
        }
    });
}

/// Removes the pooled directories. Runs from `atexit`, so it only tries the
/// lock: a thread that holds it at exit keeps its directories.
extern "C" fn remove_pool() {
    let _ = std::panic::catch_unwind(|| {
        if let Ok(mut pool) = POOL.try_lock() {
            for pooled in pool.drain(..) {
                let _ = std::fs::remove_dir_all(&pooled.path);
            }
        }
    });
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

    #[test]
    fn reused_dir_is_empty_and_private() {
        let first = TmpDir::create("reuse").unwrap();
        std::fs::create_dir_all(first.path().join("nested/deeper")).unwrap();
        std::fs::write(first.path().join("nested/deeper/file"), "x").unwrap();
        std::fs::write(first.path().join("file"), "x").unwrap();
        drop(first);

        let second = TmpDir::create("reuse").unwrap();
        assert!(is_empty_private_dir(second.path()), "{}", second.path().display());
        assert!(second.path().file_name().unwrap().to_string_lossy().starts_with("runner-reuse-"));
    }

    #[test]
    fn pooled_dir_with_entries_is_not_reused() {
        let base = std::env::temp_dir();
        let path = std::fs::canonicalize(&base).unwrap().join(pool_name());
        DirBuilder::new().mode(0o700).create(&path).unwrap();
        std::fs::write(path.join("planted"), "x").unwrap();

        let pooled = Pooled { base, path: path.clone() };
        assert_eq!(reuse(&pooled, "planted"), None);
        assert!(!path.exists(), "the pooled directory with an entry is removed");
    }

    #[test]
    fn pooled_dir_open_to_others_is_not_reused() {
        use std::os::unix::fs::PermissionsExt;

        let base = std::env::temp_dir();
        let path = std::fs::canonicalize(&base).unwrap().join(pool_name());
        DirBuilder::new().mode(0o700).create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();

        let pooled = Pooled { base, path: path.clone() };
        assert_eq!(reuse(&pooled, "open"), None);
        assert!(!path.exists(), "the pooled directory open to others is removed");
    }
}
