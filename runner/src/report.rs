//! `Report`: what a run did, task by task.
//!
//! The scheduler fills one `TaskReport` per planned task, in the order the
//! tasks finished, then the sandbox status and the total time. A library user
//! reads it instead of parsing output; `Runner::main` turns it into the
//! summary and the exit code.

use std::time::Duration;

use crate::{DirtyReason, SandboxStatus};

/// The outcome of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The task ran and every step succeeded.
    Ran { reasons: Vec<DirtyReason> },
    /// Nothing the task depends on changed, so it did not run.
    Fresh,
    /// A step failed, and `message` names the step and the failure.
    Failed { message: String },
    /// The task did not start, for the reason given.
    Skipped { reason: String },
    /// The run was interrupted while the task was running.
    Interrupted,
    /// A dry run, `--explain` or `--status` found the task stale; it did not run.
    Stale { reasons: Vec<DirtyReason> },
}

/// The outcome and duration of one task.
#[derive(Clone, Debug)]
pub struct TaskReport {
    /// The task's name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// How long its steps ran; zero when it did not run.
    pub duration: Duration,
}

/// The record of one run.
#[derive(Clone, Debug)]
pub struct Report {
    /// One entry per planned task, in the order they finished.
    pub tasks: Vec<TaskReport>,
    /// Whether and how tasks were confined.
    pub sandbox: SandboxStatus,
    /// Wall time of the whole run.
    pub duration: Duration,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// Whether `--status` found a requested task stale.
    pub(crate) stale: bool,
    /// The task that learn mode ran unconfined under strace, if any.
    pub(crate) learned: Option<String>,
}

impl Report {
    /// Returns whether no task failed and the run was not interrupted.
    pub fn success(&self) -> bool {
        !self.interrupted && self.failed().next().is_none()
    }

    /// Returns the tasks that failed.
    pub fn failed(&self) -> impl Iterator<Item = &TaskReport> {
        self.tasks.iter().filter(|task| matches!(task.outcome, Outcome::Failed { .. }))
    }

    /// Returns the report of the task named `name`.
    pub fn task(&self, name: &str) -> Option<&TaskReport> {
        self.tasks.iter().find(|task| task.name == name)
    }

    /// Returns the exit code `Runner::main` uses: 0 on success, 130 when
    /// interrupted, 1 when a task failed or `--status` found a requested task
    /// stale.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            130
        } else if self.success() && !self.stale {
            0
        } else {
            1
        }
    }
}
