//! The go-task `Taskfile.yml` importer and the `runner` binary, behind the
//! `taskfile` feature.
//!
//! Two ways in. [`load`] and [`load_str`] read a Taskfile (with its
//! includes) into [`crate::Task`]s, so an xtask can add Rust tasks next to
//! it. [`main`] is the `runner` binary: it takes the `task` command line and
//! runs the Taskfile with go-task 3.54's semantics, messages and exit codes.
//!
//! The pipeline reads like the module list. `yaml` reads the document into a
//! tree with positions, and `ast` decodes every shorthand form. `load` finds
//! and merges the files, and `references` checks task names and cycles.
//! `vars` and `compile` resolve variables and templates per call. `exec`
//! runs calls with `shell`, and `fingerprint` with `glob` decides what is up
//! to date. Errors in the input
//! name the file, line and column (`diagnostic`).

/// Prints to stdout like `print!`, ignoring write errors: a closed pipe (as in
/// `runner --list | head -1`) must not panic the runner.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// Prints a line to stdout like `println!`, ignoring write errors.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Prints a line to stderr like `eprintln!`, ignoring write errors.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod ast;
mod cli;
mod compile;
mod convert;
mod diagnostic;
mod dotenv;
mod exec;
mod fingerprint;
mod glob;
mod list;
mod load;
mod messages;
mod references;
mod scopes;
mod shell;
mod summary;
mod template;
mod vars;
mod yaml;

use std::path::Path;

use crate::{Result, Task};

/// Loads the Taskfile at `path`, with its includes, into runner tasks.
///
/// Task names keep their go-task namespaces (`lib:build`). Templates are
/// rendered with the Taskfile's global vars, and `sh:` vars run while
/// loading. Errors carry go-task's exit code in
/// [`crate::ErrorKind::Taskfile`] and point at the file, line and column.
pub fn load(path: impl AsRef<Path>) -> Result<Vec<Task>> {
    let project = load::load_project(path.as_ref(), None)?;
    references::check(&project)?;
    convert::to_tasks(&project)
}

/// Loads a Taskfile from `text`. `name_for_errors` names it in error
/// messages, and `dir` is its directory: includes, `dir:` and globs resolve
/// against it.
pub fn load_str(text: &str, name_for_errors: &str, dir: impl AsRef<Path>) -> Result<Vec<Task>> {
    let dir = dir.as_ref();
    let path = dir.join(name_for_errors);
    let project = load::load_project_str(&path, text.to_string(), Some(dir))?;
    references::check(&project)?;
    convert::to_tasks(&project)
}

/// Runs the `runner` binary: parses `std::env::args_os()` as a `task`
/// command line, runs it and returns go-task's exit code.
pub fn main() -> std::process::ExitCode {
    let args = std::env::args_os().skip(1).collect();
    std::process::ExitCode::from(cli::run(args))
}
