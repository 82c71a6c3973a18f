//! The one error type of the library.
//!
//! `Error` is opaque: callers match on [`Error::kind`], whose enum is
//! `#[non_exhaustive]` so new failure classes can be added without a breaking
//! change. Messages are lowercase, carry no final period, put the subject in
//! backticks and append the cause after a colon. `Debug` prints the same text
//! as `Display`, so `fn main() -> Result<(), runner::Error>` reads well.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The error returned by every fallible operation of the library.
pub struct Error {
    kind: Box<ErrorKind>,
}

/// The kind of failure.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The command line was invalid: an unknown option or a bad value.
    Usage { message: String },
    /// A task name that no task has, from the command line or a reference.
    UnknownTask {
        name: String,
        /// The task whose `deps` or `call` named it, if any.
        referenced_by: Option<String>,
        /// Whether the reference is a `call` step rather than a dependency.
        called: bool,
        /// The closest existing name, if one is close enough.
        suggestion: Option<String>,
    },
    /// Two tasks were declared with the same name.
    DuplicateTask { name: String },
    /// The dependencies form a cycle; the path starts and ends with the same task.
    Cycle { path: Vec<String> },
    /// A `sources` or `generates` pattern that is not a valid glob, or not allowed.
    InvalidGlob { task: String, pattern: String, message: String },
    /// A declaration that cannot be honoured, such as an unresolvable program scope.
    InvalidTask { task: String, message: String },
    /// A filesystem operation failed.
    Io { op: &'static str, path: PathBuf, source: io::Error },
    /// The sandbox could not be set up as the mode requires.
    Sandbox { task: Option<String>, message: String },
    /// Recorded state could not be read or written.
    State { message: String },
    /// A Taskfile could not be loaded.
    Taskfile { message: String, exit_code: u8 },
    /// An environment variable the entry point needs is missing or invalid,
    /// such as `OUT_DIR` outside a Cargo build script.
    Env { name: String, message: String },
}

impl Error {
    /// Creates an error of the given kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind: Box::new(kind) }
    }

    /// Returns what went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Returns the exit code that `Runner::main` uses for this error: 2 for an
    /// invalid command line or task graph, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match &*self.kind {
            ErrorKind::Usage { .. }
            | ErrorKind::UnknownTask { .. }
            | ErrorKind::DuplicateTask { .. }
            | ErrorKind::Cycle { .. }
            | ErrorKind::InvalidGlob { .. }
            | ErrorKind::InvalidTask { .. }
            | ErrorKind::Env { .. } => 2,
            ErrorKind::Taskfile { exit_code, .. } => *exit_code,
            _ => 1,
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage { message: message.into() })
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::new(ErrorKind::Io { op, path: path.into(), source })
    }

    pub(crate) fn invalid_task(task: &str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidTask { task: task.to_string(), message: message.into() })
    }

    pub(crate) fn sandbox(task: Option<&str>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Sandbox { task: task.map(str::to_string), message: message.into() })
    }

    pub(crate) fn env(name: &str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Env { name: name.to_string(), message: message.into() })
    }

    pub(crate) fn state(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::State { message: message.into() })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            ErrorKind::Usage { message } => write!(f, "{message}"),
            ErrorKind::UnknownTask { name, referenced_by, called, suggestion } => {
                match (referenced_by, called) {
                    (Some(parent), true) => {
                        write!(f, "task `{parent}` calls unknown task `{name}`")?
                    }
                    (Some(parent), false) => {
                        write!(f, "task `{parent}` depends on unknown task `{name}`")?
                    }
                    (None, _) => write!(f, "unknown task `{name}`")?,
                }
                match suggestion {
                    Some(close) => write!(f, ": did you mean `{close}`?"),
                    None => write!(f, ": run with `--list` to see the tasks"),
                }
            }
            ErrorKind::DuplicateTask { name } => {
                write!(f, "task `{name}` is declared twice: give each task a unique name")
            }
            ErrorKind::Cycle { path } => {
                write!(f, "dependency cycle: {}", path.join(" -> "))
            }
            ErrorKind::InvalidGlob { task, pattern, message } => {
                write!(f, "task `{task}` has an invalid pattern `{pattern}`: {message}")
            }
            ErrorKind::InvalidTask { task, message } if task.is_empty() => write!(f, "{message}"),
            ErrorKind::InvalidTask { task, message } => write!(f, "task `{task}`: {message}"),
            ErrorKind::Io { op, path, source } => {
                write!(f, "failed to {op} `{}`: {source}", path.display())
            }
            ErrorKind::Sandbox { task: Some(task), message } => {
                write!(f, "sandbox of task `{task}`: {message}")
            }
            ErrorKind::Sandbox { task: None, message } => write!(f, "sandbox: {message}"),
            ErrorKind::State { message } => write!(f, "state: {message}"),
            ErrorKind::Taskfile { message, .. } => write!(f, "{message}"),
            ErrorKind::Env { name, message } => {
                write!(f, "environment variable `{name}` {message}")
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
