//! `Task`: the unit of work and its declarations.
//!
//! A task has a name, an optional doc line and the tasks it depends on. It
//! declares the files it reads (`sources`) and writes (`generates`), the extra
//! grants it needs (`scopes`), environment variables and a working directory,
//! and it runs a list of steps in order. The builder methods consume and
//! return the task, so a declaration reads as one expression, and `get_*`
//! methods read the declarations back. Nothing here touches the filesystem:
//! paths and globs are checked by the graph validation before any task runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Cmd, Scope};

/// The error a Rust closure step returns.
pub type StepError = Box<dyn std::error::Error + Send + Sync>;

/// A Rust closure run as a step.
pub type StepFn = dyn Fn(&StepContext) -> Result<(), StepError> + Send + Sync;

/// The view a Rust closure step has of the task it runs in.
#[derive(Debug)]
pub struct StepContext<'a> {
    pub(crate) task: &'a str,
    pub(crate) root: &'a Path,
    pub(crate) dir: &'a Path,
    pub(crate) tmp_dir: Option<&'a Path>,
}

impl StepContext<'_> {
    /// Returns the name of the running task.
    pub fn task(&self) -> &str {
        self.task
    }

    /// Returns the project root.
    pub fn root(&self) -> &Path {
        self.root
    }

    /// Returns the task's working directory, absolute.
    pub fn dir(&self) -> &Path {
        self.dir
    }

    /// Returns the task's private temporary directory, when the sandbox made one.
    pub fn tmp_dir(&self) -> Option<&Path> {
        self.tmp_dir
    }
}

/// One step of a task.
#[derive(Clone)]
#[non_exhaustive]
pub enum Step {
    /// A program run without a shell.
    Cmd(Cmd),
    /// A script run by `sh -e -c`.
    Sh(String),
    /// Another task, run at this point with its own declarations.
    Call(String),
    /// A Rust closure, with a label that names it in dry runs and fingerprints.
    Func { label: String, func: Arc<StepFn> },
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Cmd(cmd) => f.debug_tuple("Cmd").field(cmd).finish(),
            Step::Sh(script) => f.debug_tuple("Sh").field(script).finish(),
            Step::Call(name) => f.debug_tuple("Call").field(name).finish(),
            Step::Func { label, .. } => f.debug_tuple("Func").field(label).finish(),
        }
    }
}

impl fmt::Display for Step {
    /// Formats the step as a dry run prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Cmd(cmd) => write!(f, "{cmd}"),
            Step::Sh(script) => write!(f, "{}", script.trim_end()),
            Step::Call(name) => write!(f, "call {name}"),
            Step::Func { label, .. } => write!(f, "fn {label}"),
        }
    }
}

/// A named unit of work with its declarations.
#[derive(Clone, Debug)]
pub struct Task {
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) deps: Vec<String>,
    pub(crate) sources: Vec<String>,
    pub(crate) generates: Vec<String>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) steps: Vec<Step>,
}

impl Task {
    /// Creates a task with no declarations and no steps.
    pub fn new(name: impl Into<String>) -> Task {
        Task {
            name: name.into(),
            doc: None,
            deps: Vec::new(),
            sources: Vec::new(),
            generates: Vec::new(),
            scopes: Vec::new(),
            env: Vec::new(),
            dir: None,
            steps: Vec::new(),
        }
    }

    /// Sets the one-line description shown by `--list`.
    pub fn doc(mut self, doc: impl Into<String>) -> Task {
        self.doc = Some(doc.into());
        self
    }

    /// Adds a task that must finish successfully before this one starts.
    pub fn dep(mut self, name: impl Into<String>) -> Task {
        self.deps.push(name.into());
        self
    }

    /// Adds several dependencies.
    pub fn deps<I>(mut self, names: I) -> Task
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.deps.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds source globs, relative to the project root unless absolute. The
    /// task may read the matched files, and their contents decide whether it
    /// is stale. A task with no sources always runs.
    pub fn sources<I>(mut self, globs: I) -> Task
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.sources.extend(globs.into_iter().map(Into::into));
        self
    }

    /// Adds outputs: a directory (written with a trailing `/`), a file, or a
    /// glob below a directory. The task may write there, and a missing or
    /// edited output makes it stale.
    pub fn generates<I>(mut self, paths: I) -> Task
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.generates.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Adds one grant beyond the sources and generates.
    pub fn scope(mut self, scope: Scope) -> Task {
        self.scopes.push(scope);
        self
    }

    /// Adds several grants.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Task {
        self.scopes.extend(scopes);
        self
    }

    /// Sets an environment variable for every step. Declared variables are part
    /// of the fingerprint; the inherited environment is not.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Task {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory, relative to the project root unless
    /// absolute. The default is the project root.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Task {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Appends a step that runs a program without a shell.
    pub fn cmd(mut self, cmd: Cmd) -> Task {
        self.steps.push(Step::Cmd(cmd));
        self
    }

    /// Appends a step that runs `script` with `sh -e -c`.
    pub fn sh(mut self, script: impl Into<String>) -> Task {
        self.steps.push(Step::Sh(script.into()));
        self
    }

    /// Appends a step that runs another task at this point, with that task's
    /// own declarations. The called task's dependencies run before this task
    /// starts.
    pub fn call(mut self, name: impl Into<String>) -> Task {
        self.steps.push(Step::Call(name.into()));
        self
    }

    /// Appends a Rust closure step. `label` names it in dry runs and is part of
    /// the fingerprint, so change it when the closure's behaviour changes.
    pub fn func<F>(mut self, label: impl Into<String>, func: F) -> Task
    where
        F: Fn(&StepContext) -> Result<(), StepError> + Send + Sync + 'static,
    {
        self.steps.push(Step::Func { label: label.into(), func: Arc::new(func) });
        self
    }

    /// Appends a step of any kind.
    pub fn step(mut self, step: Step) -> Task {
        self.steps.push(step);
        self
    }

    /// Returns the name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the doc line, if any.
    pub fn get_doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }

    /// Returns the dependencies in declaration order.
    pub fn get_deps(&self) -> &[String] {
        &self.deps
    }

    /// Returns the source globs.
    pub fn get_sources(&self) -> &[String] {
        &self.sources
    }

    /// Returns the declared outputs.
    pub fn get_generates(&self) -> &[String] {
        &self.generates
    }

    /// Returns the scopes.
    pub fn get_scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Returns the declared environment variables in order.
    pub fn get_env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Returns the working directory as declared.
    pub fn get_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Returns the steps in order.
    pub fn get_steps(&self) -> &[Step] {
        &self.steps
    }

    /// Returns the tasks this task calls from its steps.
    pub(crate) fn calls(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|step| match step {
            Step::Call(name) => Some(name.as_str()),
            _ => None,
        })
    }
}
