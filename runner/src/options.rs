//! `Options`: the settings of one invocation of the runner.
//!
//! The CLI fills these from the command line and `RUNNER_*` variables; a
//! library user can build them directly and pass them to `Runner::execute`.

use crate::output::Verbosity;
use crate::sandbox::{DenialsMode, SandboxMode};

/// The operation an invocation performs on the requested tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Run the stale tasks (the default).
    Run,
    /// List the tasks with their docs.
    List,
    /// Print the graph in DOT.
    Graph,
    /// Print for each planned task whether it is fresh, and why not.
    Explain,
    /// Exit with 1 when a requested task is stale.
    Status,
    /// Forget the recorded state of the requested tasks, or of all tasks.
    Clean,
    /// Run the one requested task's dependencies, then the task itself once
    /// unconfined under strace, and print the declarations it needs.
    Learn,
}

/// The set of tasks that ignore their recorded state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Force {
    /// None: fresh tasks are skipped.
    None,
    /// The requested tasks run even when fresh.
    Named,
    /// The requested tasks and everything they depend on run.
    All,
}

/// The settings of one invocation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The requested tasks.
    pub tasks: Vec<String>,
    /// The operation on them.
    pub action: Action,
    /// How many tasks may run at once; the default is the number of cores.
    pub jobs: usize,
    /// Print the commands that would run, in order, and run nothing.
    pub dry_run: bool,
    /// After a failure, go on with the tasks that do not depend on it.
    pub keep_going: bool,
    /// The tasks that ignore their recorded state.
    pub force: Force,
    /// The sandbox mode, or `None` for the runner's default.
    pub sandbox: Option<SandboxMode>,
    /// The source of the denied accesses listed when a sandboxed task fails.
    pub denials: DenialsMode,
    /// How much is printed.
    pub verbosity: Verbosity,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tasks: Vec::new(),
            action: Action::Run,
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
            dry_run: false,
            keep_going: false,
            force: Force::None,
            sandbox: None,
            denials: DenialsMode::Auto,
            verbosity: Verbosity::Normal,
        }
    }
}
