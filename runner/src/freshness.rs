//! Freshness: whether a task must run, and why.
//!
//! NOTE: this is the interface the scheduler calls; fingerprints and recorded
//! state are not built yet, so every task is dirty with no previous run.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{Result, Task};

/// Why a task must run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirtyReason {
    /// The task declares no sources, so it always runs.
    NoSources,
    /// No successful run of the task is recorded.
    NoPreviousRun,
    /// The run was forced with `--force` or `--force-all`.
    Forced,
}

impl fmt::Display for DirtyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirtyReason::NoSources => write!(f, "no sources declared"),
            DirtyReason::NoPreviousRun => write!(f, "no previous run"),
            DirtyReason::Forced => write!(f, "forced"),
        }
    }
}

/// The verdict on one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing the task depends on changed since its last successful run.
    Fresh,
    /// The task must run, for these reasons.
    Dirty(Vec<DirtyReason>),
}

/// The fingerprint of a task's inputs, computed before it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) freshness: Freshness,
    /// Matched source files, absolute, for the sandbox.
    pub(crate) source_files: Vec<PathBuf>,
    /// Directories the source globs walked, absolute, for the sandbox.
    pub(crate) source_dirs: Vec<PathBuf>,
}

/// The recorded state of a project, open for one run.
pub(crate) struct Tracker {
    state_dir: PathBuf,
}

impl Tracker {
    /// Opens the state directory of the project; `write` is false for dry
    /// runs and queries, which must leave it untouched.
    pub(crate) fn open(state_dir: &Path, _write: bool) -> Result<Tracker> {
        Ok(Tracker { state_dir: state_dir.to_owned() })
    }

    pub(crate) fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Checks one task whose dependencies have finished. `deps_ran` names
    /// the dependencies that ran in this invocation.
    pub(crate) fn check(
        &self,
        task: &Task,
        _root: &Path,
        _deps_ran: &[&str],
        force: bool,
    ) -> Result<Check> {
        let reason = if force {
            DirtyReason::Forced
        } else if task.get_sources().is_empty() {
            DirtyReason::NoSources
        } else {
            DirtyReason::NoPreviousRun
        };
        Ok(Check {
            freshness: Freshness::Dirty(vec![reason]),
            source_files: Vec::new(),
            source_dirs: Vec::new(),
        })
    }

    /// Forgets the recorded state of `task`, or of every task.
    pub(crate) fn clean(&self, _task: Option<&str>) -> Result<()> {
        Ok(())
    }

    /// Records a successful run of `task`, whose inputs `check` fingerprinted.
    pub(crate) fn record(&self, _task: &Task, _root: &Path, _check: &Check) -> Result<()> {
        Ok(())
    }
}
