//! A task runner in the cargo-xtask style whose tasks run confined by the
//! Linux kernel to what they declare.
//!
//! Tasks are declared with a builder: what they read (`sources`), what they
//! write (`generates`), which tools and extra paths they use (`scopes`), what
//! they depend on (`deps`) and the steps they run. The [`Runner`] validates the
//! whole graph before anything runs, runs what is stale in dependency order and
//! in parallel, and runs each task's commands under a Landlock ruleset built
//! from its declarations.
//!
//! ```no_run
//! use runner::{cmd, Runner, Scope, Task};
//!
//! fn main() -> std::process::ExitCode {
//!     Runner::new()
//!         .task(
//!             Task::new("build")
//!                 .doc("Build the release binary")
//!                 .sources(["src/**/*.rs", "Cargo.toml", "Cargo.lock"])
//!                 .generates(["target/"])
//!                 .scopes([Scope::rust_toolchain()])
//!                 .cmd(cmd!("cargo", "build", "--release")),
//!         )
//!         .main()
//! }
//! ```

#[doc(hidden)]
pub mod bench;
pub mod build;
mod cli;
mod cmd;
mod codec;
mod error;
mod exec;
mod fingerprint;
mod forward;
mod freshness;
mod fs;
mod generates;
mod graph;
mod logger;
mod options;
mod output;
mod outputs;
mod parallel;
mod plan;
mod report;
mod root;
mod runner;
mod sandbox;
mod schedule;
mod scope;
mod signal;
mod sources;
mod stat_cache;
mod state;
mod task;
#[cfg(feature = "taskfile")]
pub mod taskfile;
mod traced;

pub use cmd::Cmd;
pub use error::{Error, ErrorKind, Result};
pub use freshness::{DirtyReason, Freshness};
pub use options::{Action, Force, Options};
pub use output::Verbosity;
pub use report::{Outcome, Report, TaskReport};
pub use runner::Runner;
pub use sandbox::{DenialsMode, SandboxMode, SandboxStatus};
pub use scope::Scope;
pub use task::{Step, StepContext, StepError, StepFn, Task};
