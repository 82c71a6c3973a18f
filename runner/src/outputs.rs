//! Declared outputs: whether they exist, and whether they changed since the
//! recorded run.
//!
//! A `generates` entry is a directory (written with a trailing `/`, or a
//! literal path that is a directory), a file, or a glob. A check finds the
//! task stale when an entry matches nothing: a directory or file that does not
//! exist, or a glob without a matching file.
//!
//! Files and globs are also tracked file by file. After a successful run the
//! metadata (size, mtime, inode, ctime) of every file they match is recorded,
//! and a later check finds the task stale when a recorded file is gone or its
//! metadata differs. So an output that was edited or deleted makes the task
//! run again, and a file that someone else added does not. Outputs are
//! compared by metadata, not by content: touching an output makes the task
//! stale although its bytes are the same, which errs on the side of running.
//!
//! A directory entry is tracked file by file too, unless several tasks declare
//! the same directory. Build directories such as `target/` are written by
//! several tasks (clippy, test and doc all write there), so tracking their
//! files would make each of those tasks stale whenever another one ran. A
//! shared directory is only checked for existence.

use std::collections::HashSet;
use std::path::Path;

use crate::freshness::DirtyReason;
use crate::sources::{self, Exclude};
use crate::stat_cache::FileStat;
use crate::{Result, Task};

/// The outputs of a task as they are on disk now.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Each matched file's key and metadata, sorted by key.
    pub(crate) files: Vec<(String, FileStat)>,
    /// The declared entries that match nothing.
    pub(crate) missing: Vec<String>,
}

/// Expands the task's `generates` entries. `state_dir` is never walked.
/// `shared` contains the normalized directory entries that more than one task
/// declares; those are checked for existence only.
pub(crate) fn snapshot(
    task: &Task,
    root: &Path,
    state_dir: &Path,
    shared: &HashSet<String>,
) -> Result<Snapshot> {
    let generates = task.get_generates();
    if generates.is_empty() {
        return Ok(Snapshot::default());
    }

    let mut missing = Vec::new();
    let mut tracked = Vec::new();
    let mut directories = Vec::new();
    for entry in generates {
        let pattern = sources::normalize(entry);
        let path = root.join(&pattern);
        if entry.ends_with('/') || path.is_dir() {
            if !path.is_dir() {
                missing.push(pattern);
            } else if !shared.contains(&pattern) {
                directories.push(entry.clone());
            }
        } else {
            tracked.push(entry.clone());
        }
    }

    let exclude = Exclude::default().dir(state_dir.to_path_buf());
    let walked: Vec<String> = tracked.iter().chain(&directories).cloned().collect();
    let expansion = sources::expand(task.name(), root, &walked, &exclude)?;
    for entry in &tracked {
        let pattern = sources::normalize(entry);
        let present = if sources::has_glob_syntax(&pattern) {
            let matcher = sources::matcher(task.name(), entry)?;
            expansion.files.iter().any(|file| matcher.is_match(&file.key))
        } else {
            root.join(&pattern).is_file()
        };
        if !present {
            missing.push(pattern);
        }
    }

    let files = expansion.files.into_iter().map(|file| (file.key, file.stat)).collect();
    Ok(Snapshot { files, missing })
}

/// Returns why the outputs on disk differ from the recorded ones.
pub(crate) fn compare(recorded: &[(String, FileStat)], current: &Snapshot) -> Vec<DirtyReason> {
    let mut reasons: Vec<DirtyReason> = current
        .missing
        .iter()
        .map(|path| DirtyReason::OutputMissing { path: path.clone() })
        .collect();

    for (key, stat) in recorded {
        let now = current.files.binary_search_by(|(other, _)| other.as_str().cmp(key));
        match now {
            Err(_) if current.missing.iter().any(|missing| missing == key) => {}
            Err(_) => reasons.push(DirtyReason::OutputMissing { path: key.clone() }),
            Ok(index) if current.files[index].1 != *stat => {
                reasons.push(DirtyReason::OutputChanged { path: key.clone() });
            }
            Ok(_) => {}
        }
    }
    reasons
}
