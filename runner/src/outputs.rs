//! Declared outputs: whether they exist, and whether they changed since the
//! recorded run.
//!
//! A `generates` entry is a directory (written with a trailing `/`, or a
//! literal path that is a directory), a file, or a glob. After a successful
//! run the metadata (size, mtime, inode, ctime) of every file they match is
//! recorded. A later check finds the task stale when an entry matches nothing,
//! when a recorded file is gone, or when its metadata differs, so an output
//! that was edited or deleted makes the task run again. Files added to an
//! output directory by someone else do not.
//!
//! Outputs are compared by metadata, not by content: touching an output makes
//! the task stale although its bytes are the same, which errs on the side of
//! running.
//!
//! NOTE: every check walks each output directory in full, so a large output
//! tree (a `target/` of 100,000 files) costs a walk of that size per check.

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
pub(crate) fn snapshot(task: &Task, root: &Path, state_dir: &Path) -> Result<Snapshot> {
    let generates = task.get_generates();
    if generates.is_empty() {
        return Ok(Snapshot::default());
    }

    let exclude = Exclude::default().dir(state_dir.to_path_buf());
    let expansion = sources::expand(task.name(), root, generates, &exclude)?;

    let mut missing = Vec::new();
    for entry in generates {
        let pattern = sources::normalize(entry);
        let path = root.join(&pattern);
        let present = if entry.ends_with('/') {
            path.is_dir()
        } else if !sources::has_glob_syntax(&pattern) {
            path.exists()
        } else {
            let matcher = sources::matcher(task.name(), entry)?;
            expansion.files.iter().any(|file| matcher.is_match(&file.key))
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
