//! Learn mode: the declarations a task needs, from one unconfined run of its
//! commands under strace.
//!
//! [`Learning`] contains the tracer and a private `TMPDIR` for the run and
//! collects the accesses of each traced command. [`Learning::report`] turns
//! the successful accesses into declarations:
//!
//! - sources: the project files read, collapsed into globs where exact
//!   (`source_globs`), minus the files the task wrote;
//! - generates: the project paths written, created, removed or renamed
//!   (`learn_propose`);
//! - scopes: programs run from `PATH`, presets that cover the toolchain paths
//!   used (`denial::preset_for`), other paths outside the project as read,
//!   write or exec scopes, and TCP ports.
//!
//! Accesses the sandbox grants every task are left out: the system grant,
//! the private `TMPDIR` and the state directory. Reads below `/proc` and
//! `/sys` are counted, not proposed, since most tools only probe them.
//! The report then compares the proposal with the task's declarations by
//! building the task's policy and checking each access against its grants
//! (`learn_compare`).
//!
//! Limits: only what this one run did is seen, so a branch the run did not
//! take is missing. Listing a project directory is not proposed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::denial::yaml_scalar;
use super::learn_compare::compare;
use super::learn_propose::{
    covered_by_generates, declared_generates, observe, propose_generates, propose_scopes,
    real_path, relative_entry, relative_to,
};
use super::policy::{resolve_existing_prefix, system_grants};
use super::source_globs::collapse;
use super::strace_log::Access;
use super::tmp_dir::TmpDir;
use super::trace::{TracedCommand, Tracer};
use super::{Syntax, TaskAccess};
use crate::{Result, Scope};

/// One learn run of a task: the tracer, its private `TMPDIR` and what the
/// traced commands did.
pub(crate) struct Learning {
    task: String,
    tmp_dir: TmpDir,
    tracer: Tracer,
    accesses: Mutex<Vec<Access>>,
    notes: Mutex<Vec<String>>,
}

impl Learning {
    /// Prepares a learn run of `task`, or fails when strace is missing.
    pub(crate) fn start(task: &str) -> Result<Learning> {
        let tmp_dir = TmpDir::create(task)?;
        let tracer = Tracer::locate(task, tmp_dir.path())?;
        Ok(Learning {
            task: task.to_string(),
            tmp_dir,
            tracer,
            accesses: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
        })
    }

    /// Returns the `TMPDIR` the task's commands get.
    pub(crate) fn tmp_dir(&self) -> &Path {
        self.tmp_dir.path()
    }

    /// Returns the wrapper for one command started in `dir`.
    pub(crate) fn command(&self, dir: &Path) -> TracedCommand {
        self.tracer.command(dir, false)
    }

    /// Adds the accesses of a finished command.
    pub(crate) fn record(&self, traced: TracedCommand) {
        match traced.finish() {
            Ok(accesses) => lock(&self.accesses).extend(accesses),
            Err(error) => {
                log::debug!("task `{}`: no strace log: {error}", self.task);
                self.note("a command left no strace log, so strace did not start it".to_string());
            }
        }
    }

    /// Adds a line to the report, such as a step that could not be traced.
    pub(crate) fn note(&self, text: String) {
        lock(&self.notes).push(text);
    }

    /// Returns the report: what the task needs in the task's syntax, and
    /// what its current declarations in `access` get wrong.
    pub(crate) fn report(&self, access: &TaskAccess, succeeded: bool) -> String {
        let accesses = lock(&self.accesses);
        let learned = Learned::analyze(access, self.tmp_dir.path(), &accesses);
        let notes = lock(&self.notes);
        learned.render(access, succeeded, &notes)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The declarations one run needed, and where the declared ones fall short.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    pub(crate) sources: Vec<String>,
    pub(crate) generates: Vec<String>,
    pub(crate) scopes: Vec<Scope>,
    /// The shortcomings of the current declarations, one line each.
    pub(crate) problems: Vec<String>,
    /// Files read below `/proc` and `/sys`.
    probes: usize,
}

impl Learned {
    /// Derives the declarations from `accesses` of a run of the task whose
    /// current declarations are `access`, with `tmp_dir` as its `TMPDIR`.
    pub(crate) fn analyze(access: &TaskAccess, tmp_dir: &Path, accesses: &[Access]) -> Learned {
        let root_real =
            std::fs::canonicalize(access.root).unwrap_or_else(|_| access.root.to_owned());
        let ignored = [resolve_existing_prefix(access.state_dir), real_path(tmp_dir)];
        let system = system_grants();
        let observed = observe(access.root, &root_real, &ignored, &system, accesses);

        let mut learned = Learned { probes: observed.probes.len(), ..Learned::default() };
        let declared = declared_generates(access, &root_real);
        learned.generates = propose_generates(&observed, &declared);
        let generated = |path: &Path| {
            covered_by_generates(&learned.generates, path)
                || declared.iter().any(|(_, covered)| path.starts_with(covered))
        };
        let outputs: BTreeSet<PathBuf> =
            observed.writes.iter().map(|(path, _)| path.clone()).collect();
        let sources: BTreeSet<PathBuf> = observed
            .reads
            .iter()
            .chain(&observed.execs)
            .filter(|path| !outputs.contains(*path) && !generated(path))
            .filter(|path| root_real.join(path).is_file())
            .cloned()
            .collect();

        let base = match access.syntax {
            Syntax::Rust => PathBuf::new(),
            Syntax::Taskfile => real_path(access.dir)
                .strip_prefix(&root_real)
                .map(Path::to_owned)
                .unwrap_or_default(),
        };
        let in_base: BTreeSet<PathBuf> =
            sources.iter().map(|path| relative_to(&base, path)).collect();
        let outputs_in_base: BTreeSet<PathBuf> =
            outputs.iter().map(|path| relative_to(&base, path)).collect();
        learned.sources = collapse(&root_real.join(&base), &in_base, &outputs_in_base);
        learned.scopes = propose_scopes(access, &observed, &learned.generates);
        learned.generates =
            learned.generates.iter().map(|entry| relative_entry(&base, entry)).collect();

        learned.problems =
            compare(access, tmp_dir, &root_real, &observed, &sources, &learned.scopes);
        learned
    }

    /// Renders the report. Right declarations get one line, and any other
    /// report lists what the task used and what its declarations miss.
    fn render(&self, access: &TaskAccess, succeeded: bool, notes: &[String]) -> String {
        let task = access.task;
        let outcome = if succeeded { "succeeded" } else { "failed" };
        let mut text = if !self.problems.is_empty() {
            self.render_full(access, outcome)
        } else if notes.is_empty() {
            format!(
                "learn: task `{task}` {outcome} under strace and declares everything it used: \
                 nothing needs to change"
            )
        } else {
            // Closures and called tasks run untraced, so what strace saw is
            // not all the task did.
            format!(
                "learn: task `{task}` {outcome} under strace and declares everything strace \
                 saw, but part of it ran untraced: check what that part uses by hand"
            )
        };
        for note in notes {
            let _ = write!(text, "\nnote: {note}");
        }
        text
    }

    fn render_full(&self, access: &TaskAccess, outcome: &str) -> String {
        let mut text = format!("learn: task `{}` {outcome} under strace; it used:\n", access.task);
        match access.syntax {
            Syntax::Rust => render_rust(&mut text, self),
            Syntax::Taskfile => render_taskfile(&mut text, self),
        }
        if self.probes > 0 {
            let files = match self.probes {
                1 => "1 file".to_string(),
                count => format!("{count} files"),
            };
            let _ = writeln!(
                text,
                "it also read {files} below /proc or /sys, which the sandbox denies; most tools \
                 only probe them, so declare {} only if the task fails without them",
                scope_text(access.syntax, &Scope::proc())
            );
        }
        text.push_str("its current declarations miss:");
        for problem in &self.problems {
            let _ = write!(text, "\n  {problem}");
        }
        text
    }
}

fn render_rust(text: &mut String, learned: &Learned) {
    let list = |entries: &[String]| {
        entries.iter().map(|entry| format!("{entry:?}")).collect::<Vec<_>>().join(", ")
    };
    if !learned.sources.is_empty() {
        let _ = writeln!(text, "  .sources([{}])", list(&learned.sources));
    }
    if !learned.generates.is_empty() {
        let _ = writeln!(text, "  .generates([{}])", list(&learned.generates));
    }
    if !learned.scopes.is_empty() {
        let scopes: Vec<String> = learned.scopes.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "  .scopes([{}])", scopes.join(", "));
    }
    if learned.sources.is_empty() && learned.generates.is_empty() && learned.scopes.is_empty() {
        let _ = writeln!(text, "  nothing beyond what every task may use");
    }
}

fn render_taskfile(text: &mut String, learned: &Learned) {
    let list = |entries: &[String]| {
        entries.iter().map(|entry| yaml_scalar(entry)).collect::<Vec<_>>().join(", ")
    };
    if !learned.sources.is_empty() {
        let _ = writeln!(text, "  sources: [{}]", list(&learned.sources));
    }
    if !learned.generates.is_empty() {
        let _ = writeln!(text, "  generates: [{}]", list(&learned.generates));
    }
    if !learned.scopes.is_empty() {
        let scopes: Vec<String> =
            learned.scopes.iter().map(|scope| scope_text(Syntax::Taskfile, scope)).collect();
        let _ = writeln!(text, "  scopes: [{}]", scopes.join(", "));
    }
    if learned.sources.is_empty() && learned.generates.is_empty() && learned.scopes.is_empty() {
        let _ = writeln!(text, "  nothing beyond what every task may use");
    }
}

/// Returns one scope as its list entry: `Scope::proc()` or `{preset: proc}`.
pub(super) fn scope_text(syntax: Syntax, scope: &Scope) -> String {
    let line = super::hint::declare(syntax, scope);
    let entry = match syntax {
        Syntax::Rust => line.strip_prefix(".scopes([").and_then(|rest| rest.strip_suffix("])")),
        Syntax::Taskfile => line.strip_prefix("scopes: [").and_then(|rest| rest.strip_suffix(']')),
    };
    entry.map(str::to_string).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::denial::{AccessKind, Target};

    fn read(path: PathBuf) -> Access {
        access(AccessKind::Read, Target::Path(path))
    }

    fn access(kind: AccessKind, target: Target) -> Access {
        Access { pid: 1, kind, target, resolved: None, errno: None, renamed_to: None }
    }

    #[test]
    fn analyze_proposes_and_compares() {
        let guard = TmpDir::create("learn").unwrap();
        let root = guard.path().join("project");
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        std::fs::write(root.join("data/a.txt"), "a").unwrap();
        std::fs::write(root.join("data/b.txt"), "b").unwrap();
        std::fs::write(root.join("out/r.txt"), "ab").unwrap();
        let tmp = TmpDir::create("learn-tmp").unwrap();
        let mut failed = read(root.join("data/missing.txt"));
        failed.errno = Some("ENOENT".to_string());
        let accesses = vec![
            read(root.join("data/a.txt")),
            read(root.join("data/b.txt")),
            failed,
            access(AccessKind::Create, Target::Path(root.join("out"))),
            access(AccessKind::Create, Target::Path(root.join("out/r.txt"))),
            access(AccessKind::Execute, Target::Path("/usr/bin/env".into())),
            read("/proc/self/stat".into()),
            read(tmp.path().join("scratch")),
            access(AccessKind::Connect, Target::Port(8080)),
        ];

        let none = TaskAccess {
            task: "gen",
            root: &root,
            state_dir: &root.join(".runner"),
            source_files: &[],
            source_links: None,
            source_dirs: &[],
            generates: &[],
            scopes: &[],
            dir: &root,
            path_env: None,
            syntax: Syntax::Rust,
        };
        let learned = Learned::analyze(&none, tmp.path(), &accesses);
        assert_eq!(learned.sources, ["data/*"]);
        assert_eq!(learned.generates, ["out/"]);
        assert_eq!(learned.scopes, [Scope::tcp_connect(8080)]);
        assert_eq!(learned.probes, 1);
        assert_eq!(learned.problems.len(), 3, "{:#?}", learned.problems);
        assert!(learned.problems[0].contains("data/a.txt, data/b.txt"), "{:?}", learned.problems);
        assert!(learned.problems[1].contains("created out/r.txt"), "{:?}", learned.problems);
        assert!(learned.problems[2].contains("TCP port 8080"), "{:?}", learned.problems);

        let sources = [root.join("data/a.txt"), root.join("data/b.txt")];
        let generates = ["out/".to_string()];
        let scopes = [Scope::tcp_connect(8080)];
        let right =
            TaskAccess { source_files: &sources, generates: &generates, scopes: &scopes, ..none };
        let learned = Learned::analyze(&right, tmp.path(), &accesses);
        assert!(learned.problems.is_empty(), "{:#?}", learned.problems);
    }
}
