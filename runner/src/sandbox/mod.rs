//! The Landlock sandbox: one ruleset per task, built from its declarations.
//!
//! NOTE: this is the interface the scheduler calls; the ruleset itself is not
//! built yet, so every mode runs tasks unconfined and reports `off`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::str::FromStr;

use crate::{Error, Result, Scope};

/// How strictly tasks are confined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SandboxMode {
    /// Tasks run unconfined.
    Off,
    /// Tasks are confined as far as the kernel allows; one line says what is
    /// missing.
    Warn,
    /// The run fails before any task starts unless the kernel can enforce the
    /// whole policy.
    Enforce,
}

impl FromStr for SandboxMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<SandboxMode> {
        match text {
            "off" => Ok(SandboxMode::Off),
            "warn" => Ok(SandboxMode::Warn),
            "enforce" => Ok(SandboxMode::Enforce),
            other => Err(Error::usage(format!(
                "invalid sandbox mode `{other}`: expected `off`, `warn` or `enforce`"
            ))),
        }
    }
}

impl fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SandboxMode::Off => "off",
            SandboxMode::Warn => "warn",
            SandboxMode::Enforce => "enforce",
        })
    }
}

/// What the sandbox could do on this run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SandboxStatus {
    /// Every rule is enforced; `abi` is the Landlock ABI version used.
    Enforced { abi: u32 },
    /// Some rules are enforced; `missing` names the features the kernel lacks.
    Partial { abi: u32, missing: Vec<String> },
    /// Tasks run unconfined, for the reason given.
    Off { reason: String },
}

impl fmt::Display for SandboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxStatus::Enforced { abi } => write!(f, "enforced (Landlock ABI {abi})"),
            SandboxStatus::Partial { abi, missing } => {
                write!(f, "partial (Landlock ABI {abi}, missing {})", missing.join(", "))
            }
            SandboxStatus::Off { reason } => write!(f, "off ({reason})"),
        }
    }
}

/// What the runner knows about one task when it builds the task's ruleset.
pub(crate) struct TaskAccess<'a> {
    pub(crate) task: &'a str,
    pub(crate) root: &'a Path,
    pub(crate) state_dir: &'a Path,
    /// Matched source files, absolute.
    pub(crate) source_files: &'a [PathBuf],
    /// Directories the source globs walked, absolute; granted list-only.
    pub(crate) source_dirs: &'a [PathBuf],
    /// The `generates` entries as declared, relative to the root unless absolute.
    pub(crate) generates: &'a [String],
    pub(crate) scopes: &'a [Scope],
    /// The task's working directory, absolute.
    pub(crate) dir: &'a Path,
}

/// The sandbox of one run, probed once at the start.
pub(crate) struct Sandbox {
    mode: SandboxMode,
    status: SandboxStatus,
}

impl Sandbox {
    /// Probes the kernel for the given mode.
    pub(crate) fn new(mode: SandboxMode) -> Result<Sandbox> {
        let reason = match mode {
            SandboxMode::Off => "disabled".to_string(),
            _ => "not implemented".to_string(),
        };
        Ok(Sandbox { mode, status: SandboxStatus::Off { reason } })
    }

    pub(crate) fn mode(&self) -> SandboxMode {
        self.mode
    }

    pub(crate) fn status(&self) -> &SandboxStatus {
        &self.status
    }

    /// Builds the confinement of one task, or `None` when tasks run unconfined.
    pub(crate) fn prepare(&self, _access: &TaskAccess) -> Result<Option<Confinement>> {
        Ok(None)
    }
}

/// The ruleset of one task, ready to apply to the threads that spawn its
/// commands.
pub(crate) struct Confinement {
    tmp_dir: PathBuf,
}

impl Confinement {
    /// Returns the task's private temporary directory.
    pub(crate) fn tmp_dir(&self) -> &Path {
        &self.tmp_dir
    }

    /// Spawns `command` from a fresh thread restricted by the ruleset.
    pub(crate) fn spawn(&self, mut command: Command) -> io::Result<Child> {
        command.spawn()
    }

    /// Runs `func` on a fresh thread restricted by the ruleset.
    pub(crate) fn run<R: Send>(&self, func: impl FnOnce() -> R + Send) -> R {
        func()
    }

    /// Returns the hint printed when the task failed, given the spawn error if
    /// spawning failed.
    pub(crate) fn hint(&self, _spawn_error: Option<&io::Error>) -> String {
        String::new()
    }
}
