//! Learn mode: the declarations a task needs, from one unconfined run of its
//! commands under strace.
//!
//! [`Learning`] contains the tracer and a private `TMPDIR` for the run and
//! collects the accesses of each traced command. [`Learning::report`] turns
//! the successful accesses into declarations:
//!
//! - sources: the project files read, collapsed into globs where exact
//!   (`source_globs`), minus the files the task wrote;
//! - generates: the project paths written, created, removed or renamed, as
//!   the topmost directory the task created, else the file's directory,
//!   else the file itself when its directory also holds sources or is the
//!   project root;
//! - scopes: programs run from `PATH`, presets that cover the toolchain paths
//!   used (`denial::preset_for`), other paths outside the project as read,
//!   write or exec scopes, and TCP ports.
//!
//! Accesses the sandbox grants every task are left out: the system grant,
//! the private `TMPDIR` and the state directory. Reads below `/proc` and
//! `/sys` are counted, not proposed, since most tools only probe them.
//! The report then compares the proposal with the task's declarations by
//! building the task's policy and checking each access against its grants.
//!
//! Limits: only what this one run did is seen, so a branch the run did not
//! take is missing. Listing a project directory is not proposed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::denial::{AccessKind, Target, preset_for, program_scope, yaml_scalar};
use super::policy::{
    Access as GrantAccess, Grant, Origin, Policy, resolve_existing_prefix, system_grants,
};
use super::presets::{ScopeContext, expand_scope};
use super::source_globs::collapse;
use super::strace_log::Access;
use super::tmp_dir::TmpDir;
use super::trace::{TracedCommand, Tracer};
use super::{Syntax, TaskAccess};
use crate::generates::Generate;
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

/// The successful accesses of a run, sorted by where they went.
#[derive(Default)]
struct Observed {
    /// Project files read, relative to the root.
    reads: BTreeSet<PathBuf>,
    /// Project files executed, relative to the root.
    execs: BTreeSet<PathBuf>,
    /// Project paths written, relative to the root, with how.
    writes: BTreeSet<(PathBuf, AccessKind)>,
    /// Project directories the task created, relative to the root.
    created_dirs: BTreeSet<PathBuf>,
    /// Accesses outside the project, absolute.
    outside: BTreeSet<(PathBuf, AccessKind)>,
    /// Paths outside the project the task created.
    outside_created: BTreeSet<PathBuf>,
    ports: BTreeSet<(u16, AccessKind)>,
    probes: BTreeSet<PathBuf>,
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

    fn render(&self, access: &TaskAccess, succeeded: bool, notes: &[String]) -> String {
        let task = access.task;
        let outcome = if succeeded { "succeeded" } else { "failed" };
        let mut text = format!("learn: task `{task}` {outcome} under strace; it used:\n");
        match access.syntax {
            Syntax::Rust => render_rust(&mut text, self),
            Syntax::Taskfile => render_taskfile(&mut text, self),
        }
        if self.probes > 0 {
            let _ = writeln!(
                text,
                "it also read {} below /proc or /sys, which the sandbox denies; most tools only \
                 probe them, so declare {} only if the task fails without them",
                if self.probes == 1 {
                    "1 file".to_string()
                } else {
                    format!("{} files", self.probes)
                },
                scope_text(access.syntax, &Scope::proc())
            );
        }
        for note in notes {
            let _ = writeln!(text, "note: {note}");
        }
        if self.problems.is_empty() {
            let _ =
                write!(text, "task `{task}` declares all of this already: nothing needs to change");
        } else {
            let _ = writeln!(text, "its current declarations miss:");
            for problem in &self.problems {
                let _ = writeln!(text, "  {problem}");
            }
            text.pop();
        }
        text
    }
}

/// Sorts the successful accesses and drops those every task may make.
fn observe(
    root: &Path,
    root_real: &Path,
    ignored: &[PathBuf],
    system: &[Grant],
    accesses: &[Access],
) -> Observed {
    let renames: Vec<(&Path, &Path)> = accesses
        .iter()
        .filter(|access| access.succeeded())
        .filter_map(|access| match (&access.target, &access.renamed_to) {
            (Target::Path(from), Some(to)) => Some((from.as_path(), to.as_path())),
            _ => None,
        })
        .collect();
    let mut observed = Observed::default();
    for access in accesses.iter().filter(|access| access.succeeded() && access.renamed_to.is_none())
    {
        let path = match &access.target {
            Target::Port(port) => {
                observed.ports.insert((*port, access.kind));
                continue;
            }
            Target::Process { .. } => continue,
            Target::Path(path) => path,
        };
        // A path renamed away later counts under its final name, such as
        // a directory created as `targetXYZ` and renamed to `target`.
        let path = &follow_renames(path, &renames);
        let real =
            access.resolved.clone().filter(|_| path.exists()).unwrap_or_else(|| real_path(path));
        if ignored.iter().any(|dir| real.starts_with(dir) || path.starts_with(dir)) {
            continue;
        }
        // An `O_CREAT` open of an existing file, such as `> /dev/null`, only writes it.
        let kind = match access.kind {
            AccessKind::Create
                if real.exists()
                    && !real.is_dir()
                    && grants_allow(system, AccessKind::Write, &real) =>
            {
                continue;
            }
            kind => kind,
        };
        if grants_allow(system, kind, &real) {
            continue;
        }
        if real.starts_with("/proc") || real.starts_with("/sys") {
            observed.probes.insert(real);
            continue;
        }

        let relative = path.strip_prefix(root).or_else(|_| real.strip_prefix(root_real)).ok();
        match (relative, kind) {
            (Some(relative), _) if relative.as_os_str().is_empty() => {}
            (Some(relative), AccessKind::Read) => {
                observed.reads.insert(relative.to_owned());
            }
            (Some(relative), AccessKind::Execute) => {
                observed.execs.insert(relative.to_owned());
            }
            (Some(_), AccessKind::ReadDir) => {}
            (Some(relative), kind) => {
                if matches!(kind, AccessKind::Create | AccessKind::Rename) && real.is_dir() {
                    observed.created_dirs.insert(relative.to_owned());
                }
                observed.writes.insert((relative.to_owned(), kind));
            }
            (None, kind) => {
                if kind == AccessKind::Create {
                    observed.outside_created.insert(real.clone());
                }
                observed.outside.insert((real, kind));
            }
        }
    }
    observed
}

/// Returns the name `path` has after the renames that moved it or one of
/// its directories, when it no longer exists under its own name.
fn follow_renames(path: &Path, renames: &[(&Path, &Path)]) -> PathBuf {
    let mut current = path.to_owned();
    for (from, to) in renames {
        if !current.exists()
            && let Ok(rest) = current.strip_prefix(from)
        {
            current = to.join(rest);
        }
    }
    current
}

/// Returns the task's `generates` entries relative to the root, each with
/// the path it covers: the directory of a directory or glob entry, or the
/// file.
fn declared_generates(access: &TaskAccess, root_real: &Path) -> Vec<(String, PathBuf)> {
    let relative = |path: &Path| -> Option<PathBuf> {
        let stripped = path.strip_prefix(access.root).ok().map(Path::to_owned);
        stripped.or_else(|| real_path(path).strip_prefix(root_real).ok().map(Path::to_owned))
    };
    let prefix = format!("{}/", access.root.display());
    access
        .generates
        .iter()
        .filter_map(|entry| {
            let covered = match Generate::parse(access.root, entry) {
                Generate::Dir(dir) | Generate::Glob { dir, .. } => dir,
                Generate::File(file) => file,
            };
            let text = entry.strip_prefix(&prefix).unwrap_or(entry).to_string();
            Some((text, relative(&covered)?))
        })
        .collect()
}

/// Proposes `generates` entries, relative to the root: the declared entry
/// that covers a write, else one derived from the write.
fn propose_generates(observed: &Observed, declared: &[(String, PathBuf)]) -> Vec<String> {
    let read_dirs: BTreeSet<&Path> =
        observed.reads.iter().filter_map(|path| path.parent()).collect();
    let mut entries = BTreeSet::new();
    for (path, _) in &observed.writes {
        if let Some((entry, _)) = declared.iter().find(|(_, covered)| path.starts_with(covered)) {
            entries.insert(entry.clone());
            continue;
        }
        let created = topmost_created(path, &observed.created_dirs);
        let entry = match (created, path.parent()) {
            (Some(dir), _) => format!("{}/", dir.display()),
            (None, Some(dir))
                if !dir.as_os_str().is_empty()
                    && !read_dirs.iter().any(|read| read.starts_with(dir)) =>
            {
                format!("{}/", dir.display())
            }
            _ => path.display().to_string(),
        };
        entries.insert(entry);
    }
    let dirs: Vec<String> = entries.iter().filter(|entry| entry.ends_with('/')).cloned().collect();
    entries
        .into_iter()
        .filter(|entry| !dirs.iter().any(|dir| dir != entry && entry.starts_with(dir.as_str())))
        .collect()
}

fn topmost_created(path: &Path, created: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    path.ancestors().filter(|dir| created.contains(*dir)).last().map(Path::to_owned)
}

fn covered_by_generates(entries: &[String], path: &Path) -> bool {
    entries.iter().any(|entry| match entry.strip_suffix('/') {
        Some(dir) => path.starts_with(dir),
        None => path == Path::new(entry),
    })
}

/// Proposes scopes for the accesses outside the project and the ports.
fn propose_scopes(access: &TaskAccess, observed: &Observed, generates: &[String]) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = Vec::new();
    let mut add = |scope: Scope| {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    };

    let mut read_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let reads: Vec<&PathBuf> = observed
        .outside
        .iter()
        .filter(|(_, kind)| matches!(kind, AccessKind::Read | AccessKind::ReadDir))
        .map(|(path, _)| path)
        .collect();
    for (path, kind) in &observed.outside {
        if let Some(preset) = preset_for(path) {
            add(preset);
            continue;
        }
        let parent = || path.parent().unwrap_or(Path::new("/")).to_owned();
        match kind {
            AccessKind::Execute => {
                add(program_scope(path).unwrap_or_else(|| Scope::exec(parent())))
            }
            AccessKind::Read | AccessKind::ReadDir => {
                // Two or more files read in one directory become that directory.
                let siblings = reads.iter().filter(|other| other.parent() == path.parent()).count();
                if siblings > 1 && *kind == AccessKind::Read {
                    read_dirs.insert(parent());
                } else {
                    add(Scope::read(path));
                }
            }
            AccessKind::Write if !observed.outside_created.contains(path) => {
                add(Scope::write(path))
            }
            _ => {
                let created = topmost_created(path, &observed.outside_created)
                    .unwrap_or_else(|| path.clone());
                add(Scope::write(created.parent().unwrap_or(Path::new("/"))));
            }
        }
    }
    for dir in read_dirs {
        add(Scope::read(dir));
    }
    for path in &observed.execs {
        let absolute = access.root.join(path);
        if !covered_by_generates(generates, path) {
            add(program_scope(&absolute).unwrap_or_else(|| Scope::exec(path)));
        }
    }
    for (port, kind) in &observed.ports {
        match kind {
            AccessKind::Bind => add(Scope::tcp_bind(*port)),
            _ => add(Scope::tcp_connect(*port)),
        }
    }

    drop_covered(access, scopes)
}

/// Drops the scopes another proposed scope covers: a path below a path
/// scope, a path that a program or preset grants, and a program that a
/// preset grants.
fn drop_covered(access: &TaskAccess, scopes: Vec<Scope>) -> Vec<Scope> {
    let is_preset = |scope: &Scope| {
        matches!(
            scope,
            Scope::RustToolchain
                | Scope::Python3
                | Scope::GitConfig
                | Scope::Terminal
                | Scope::Proc
        )
    };
    let named: Vec<Grant> = scopes
        .iter()
        .filter(|scope| is_preset(scope) || matches!(scope, Scope::Program(_)))
        .flat_map(|scope| scope_grants(access, scope))
        .collect();
    let presets: Vec<Grant> = scopes
        .iter()
        .filter(|scope| is_preset(scope))
        .flat_map(|scope| scope_grants(access, scope))
        .collect();
    let below_other = |path: &Path| {
        scopes.iter().any(|outer| match outer {
            Scope::Read(dir) | Scope::Write(dir) | Scope::Exec(dir) => {
                dir != path && path.starts_with(dir)
            }
            _ => false,
        })
    };

    scopes
        .iter()
        .filter(|scope| match scope {
            Scope::Read(path) => {
                !below_other(path) && !grants_allow(&named, AccessKind::Read, &real_path(path))
            }
            Scope::Exec(path) => {
                !below_other(path) && !grants_allow(&named, AccessKind::Execute, &real_path(path))
            }
            Scope::Write(path) => !below_other(path),
            Scope::Program(name) => {
                let program =
                    super::program::resolve_program(name.as_ref(), access.path_env, access.dir);
                !program.is_ok_and(|program| {
                    grants_allow(&presets, AccessKind::Execute, &real_path(&program))
                })
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Returns the grants of one scope, or none when it cannot be expanded.
fn scope_grants(access: &TaskAccess, scope: &Scope) -> Vec<Grant> {
    let context = ScopeContext {
        task: access.task,
        root: access.root,
        cwd: access.dir,
        path_env: access.path_env.map(ToOwned::to_owned),
    };
    expand_scope(scope, &context).unwrap_or_default()
}

/// Lists what the current declarations get wrong: project files read but
/// not in `sources`, project writes outside `generates`, and other accesses
/// no grant allows.
fn compare(
    access: &TaskAccess,
    tmp_dir: &Path,
    root_real: &Path,
    observed: &Observed,
    sources: &BTreeSet<PathBuf>,
    scopes: &[Scope],
) -> Vec<String> {
    let mut problems = Vec::new();
    let declared: BTreeSet<PathBuf> =
        access.source_files.iter().map(|path| real_path(path)).collect();
    let missing: Vec<String> = sources
        .iter()
        .filter(|source| !declared.contains(&root_real.join(source)))
        .map(|source| source.display().to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "`sources` lacks {}, which it read: a freshness check would miss changes to them",
            join_short(&missing)
        ));
    }

    let policy = match Policy::build(access, tmp_dir) {
        Ok(policy) => policy,
        Err(error) => {
            problems.push(format!("the current declarations are invalid: {error}"));
            return problems;
        }
    };
    let generate_grants: Vec<Grant> = policy
        .grants
        .iter()
        .filter(|grant| matches!(grant.origin, Origin::Generate(_)))
        .cloned()
        .collect();
    let unwritable: Vec<String> = observed
        .writes
        .iter()
        .filter(|(path, kind)| {
            !grants_allow(&generate_grants, *kind, &real_path(&root_real.join(path)))
        })
        .map(|(path, kind)| format!("{} {}", past_tense(*kind), path.display()))
        .collect();
    if !unwritable.is_empty() {
        problems
            .push(format!("`generates` does not cover what it wrote: {}", join_short(&unwritable)));
    }
    for path in &observed.execs {
        if !grants_allow(&policy.grants, AccessKind::Execute, &real_path(&root_real.join(path))) {
            problems.push(format!("no scope allows executing {}", path.display()));
        }
    }
    let proposed: Vec<(&Scope, Vec<Grant>)> =
        scopes.iter().map(|scope| (scope, scope_grants(access, scope))).collect();
    let mut needed: Vec<(String, Vec<String>)> = Vec::new();
    for (path, kind) in &observed.outside {
        if grants_allow(&policy.grants, *kind, path) {
            continue;
        }
        let fix = proposed
            .iter()
            .find(|(_, grants)| grants_allow(grants, *kind, path))
            .map(|(scope, _)| scope_text(access.syntax, scope));
        let fix = fix.unwrap_or_else(|| "a scope".to_string());
        let use_text = format!("{} {}", gerund(*kind), path.display());
        match needed.iter_mut().find(|(scope, _)| *scope == fix) {
            Some((_, uses)) => uses.push(use_text),
            None => needed.push((fix, vec![use_text])),
        }
    }
    for (fix, uses) in needed {
        problems.push(format!("{fix} is needed for {}", join_short(&uses)));
    }
    let network = &policy.network;
    for (port, kind) in &observed.ports {
        let allowed = network.unrestricted
            || match kind {
                AccessKind::Bind => network.bind.contains(port),
                _ => network.connect.contains(port),
            };
        if !allowed {
            let verb = if *kind == AccessKind::Bind { "binding" } else { "connecting to" };
            problems.push(format!("no scope allows {verb} TCP port {port}"));
        }
    }
    problems
}

/// Returns whether one of `grants` allows `kind` on `path`, a canonical path.
fn grants_allow(grants: &[Grant], kind: AccessKind, path: &Path) -> bool {
    grants.iter().any(|grant| {
        let target = match kind {
            // Creating, removing and renaming need rights on the directory.
            AccessKind::Create | AccessKind::Remove | AccessKind::Rename => {
                path.parent().unwrap_or(path).starts_with(&grant.path) || path == grant.path
            }
            _ => path.starts_with(&grant.path),
        };
        target && access_allows(grant.access, kind)
    })
}

fn access_allows(access: GrantAccess, kind: AccessKind) -> bool {
    use GrantAccess::*;
    match kind {
        AccessKind::ReadDir => true,
        AccessKind::Read => !matches!(access, List),
        AccessKind::Execute => matches!(access, ReadExec | Full),
        AccessKind::Write => matches!(access, ReadWrite | Device | Full),
        AccessKind::Create | AccessKind::Remove | AccessKind::Rename => matches!(access, Full),
        AccessKind::Connect | AccessKind::Bind | AccessKind::Signal => false,
    }
}

/// Joins the first few items and counts the rest.
fn join_short(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut text = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        let _ = write!(text, " and {} more", items.len() - SHOWN);
    }
    text
}

fn past_tense(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Create => "created",
        AccessKind::Remove => "removed",
        AccessKind::Rename => "renamed",
        _ => "wrote",
    }
}

fn gerund(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Read | AccessKind::ReadDir => "reading",
        AccessKind::Execute => "executing",
        AccessKind::Create => "creating",
        AccessKind::Remove => "removing",
        AccessKind::Rename => "renaming",
        _ => "writing",
    }
}

/// Canonicalizes `path`, or its parent for a path that no longer exists.
fn real_path(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => path.to_owned(),
    }
}

/// Returns `path` relative to `base`, both relative to the root. A path
/// outside `base` is written with `..`.
fn relative_to(base: &Path, path: &Path) -> PathBuf {
    if let Ok(relative) = path.strip_prefix(base) {
        return relative.to_owned();
    }
    let ups = base.components().count();
    let mut out: PathBuf = std::iter::repeat_n("..", ups).collect();
    out.push(path);
    out
}

fn relative_entry(base: &Path, entry: &str) -> String {
    let dir = entry.ends_with('/');
    let relative = relative_to(base, Path::new(entry.trim_end_matches('/')));
    let text = relative.display().to_string();
    if dir { format!("{text}/") } else { text }
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
fn scope_text(syntax: Syntax, scope: &Scope) -> String {
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

    #[test]
    fn generates_prefer_created_dirs() {
        let mut observed = Observed::default();
        observed.created_dirs.insert("out".into());
        observed.created_dirs.insert("out/sub".into());
        for path in ["out/sub/a.txt", "out/b.txt", "top.txt", "build/x.o"] {
            observed.writes.insert((path.into(), AccessKind::Create));
        }
        observed.reads.insert("src/main.c".into());
        observed.writes.insert(("src/version.h".into(), AccessKind::Write));
        let entries = propose_generates(&observed, &[]);
        assert_eq!(entries, ["build/", "out/", "src/version.h", "top.txt"]);

        let declared = [("out/**/*.txt".to_string(), PathBuf::from("out"))];
        let entries = propose_generates(&observed, &declared);
        assert_eq!(entries, ["build/", "out/**/*.txt", "src/version.h", "top.txt"]);
    }

    #[test]
    fn grant_rights_per_kind() {
        let grants = [
            Grant { path: "/data".into(), access: GrantAccess::Read, origin: Origin::System },
            Grant { path: "/out".into(), access: GrantAccess::Full, origin: Origin::System },
        ];
        assert!(grants_allow(&grants, AccessKind::Read, Path::new("/data/a")));
        assert!(!grants_allow(&grants, AccessKind::Write, Path::new("/data/a")));
        assert!(!grants_allow(&grants, AccessKind::Execute, Path::new("/data/a")));
        assert!(grants_allow(&grants, AccessKind::Create, Path::new("/out/new")));
        assert!(!grants_allow(&grants, AccessKind::Create, Path::new("/new")));
        assert!(grants_allow(&grants, AccessKind::Create, Path::new("/out")));
    }

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

    #[test]
    fn relative_paths_to_task_dir() {
        assert_eq!(relative_to(Path::new("sub"), Path::new("sub/a.txt")), Path::new("a.txt"));
        assert_eq!(relative_to(Path::new("sub"), Path::new("b.txt")), Path::new("../b.txt"));
        assert_eq!(relative_entry(Path::new(""), "out/"), "out/");
        assert_eq!(relative_entry(Path::new("sub"), "sub/out/"), "out/");
    }
}
