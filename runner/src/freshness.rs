//! Freshness: whether a task must run, and why.
//!
//! A task without `sources` always runs. A task with sources is fresh when
//! four conditions hold. The fingerprint of its inputs equals the one recorded
//! after its last successful run (the fingerprint module has the table of what
//! it covers). No dependency ran in this invocation. Its last run was not left
//! unfinished. Its declared outputs are present and unchanged. Otherwise it is
//! dirty, with one [`DirtyReason`] per difference found, in the order: run
//! state, commands, programs, env, dir, outputs declared, dependencies, source
//! files, output files.
//!
//! The [`Tracker`] is the state of one run: a writable tracker holds the
//! project's lock from [`Tracker::open`] until it is dropped, records
//! successful runs and saves the stat cache at the end. A read-only tracker
//! (dry run, `--status`, `--explain`) reads the same state and writes
//! nothing, not even the state directory. The state module describes the
//! files and the lock protocol.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::fingerprint::{self, Fingerprint, Inputs};
use crate::sources::{self, Exclude};
use crate::stat_cache::{self, StatCache};
use crate::state::{Loaded, Record, Store};
use crate::{Error, Result, Task, outputs};

/// The reason a task must run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirtyReason {
    /// The task declares no sources, so it always runs.
    NoSources,
    /// No successful run of the task is recorded.
    NoPreviousRun,
    /// The run was forced with `--force` or `--force-all`.
    Forced,
    /// The recorded state was written by another version of the state format.
    StateFormatChanged,
    /// The last run started but was not recorded: it failed, was interrupted
    /// or crashed.
    PreviousRunUnfinished,
    /// A step's program, arguments, environment, directory, script, called
    /// task or label changed, or steps were added or removed.
    CommandChanged,
    /// A program resolves to another file, or its file's size or mtime changed.
    ProgramChanged { program: String },
    /// A declared environment variable was added, removed or set to another
    /// value.
    EnvChanged { key: String },
    /// The working directory changed.
    DirChanged,
    /// The `generates` declaration changed.
    OutputsDeclarationChanged,
    /// A dependency ran in this invocation, or ran since this task's last
    /// run so its fingerprint differs from the recorded one.
    DependencyRan { name: String },
    /// A dependency would run first: what a dry run, `--explain` or
    /// `--status` reports where a run would report [`DirtyReason::DependencyRan`].
    DependencyWillRun { name: String },
    /// A source file's contents changed.
    FileChanged { path: String },
    /// A file now matches the source globs.
    FileAdded { path: String },
    /// A file no longer matches the source globs.
    FileRemoved { path: String },
    /// A declared output does not exist.
    OutputMissing { path: String },
    /// A recorded output file's metadata changed.
    OutputChanged { path: String },
}

impl fmt::Display for DirtyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirtyReason::NoSources => write!(f, "no sources declared"),
            DirtyReason::NoPreviousRun => write!(f, "no previous run"),
            DirtyReason::Forced => write!(f, "forced"),
            DirtyReason::StateFormatChanged => write!(f, "state format changed"),
            DirtyReason::PreviousRunUnfinished => write!(f, "previous run did not finish"),
            DirtyReason::CommandChanged => write!(f, "command changed"),
            DirtyReason::ProgramChanged { program } => write!(f, "program `{program}` changed"),
            DirtyReason::EnvChanged { key } => write!(f, "env `{key}` changed"),
            DirtyReason::DirChanged => write!(f, "dir changed"),
            DirtyReason::OutputsDeclarationChanged => write!(f, "declared outputs changed"),
            DirtyReason::DependencyRan { name } => write!(f, "dependency `{name}` re-ran"),
            DirtyReason::DependencyWillRun { name } => {
                write!(f, "dependency `{name}` runs first")
            }
            DirtyReason::FileChanged { path } => write!(f, "file `{path}` changed"),
            DirtyReason::FileAdded { path } => write!(f, "file `{path}` added"),
            DirtyReason::FileRemoved { path } => write!(f, "file `{path}` removed"),
            DirtyReason::OutputMissing { path } => write!(f, "output `{path}` missing"),
            DirtyReason::OutputChanged { path } => write!(f, "output `{path}` changed"),
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

/// The maximum number of reasons [`Freshness::line`] prints.
const MAX_REASONS_SHOWN: usize = 3;

impl Freshness {
    /// Returns whether the task may be skipped.
    pub fn is_fresh(&self) -> bool {
        matches!(self, Freshness::Fresh)
    }

    /// Renders the one line `--explain` prints for `task`, such as
    /// "fresh codegen" or "dirty build: file `src/lib.rs` changed". At most
    /// three reasons are listed, followed by the count of the others.
    pub fn line(&self, task: &str) -> String {
        let reasons = match self {
            Freshness::Fresh => return format!("fresh {task}"),
            Freshness::Dirty(reasons) => reasons,
        };

        let mut line = format!("dirty {task}");
        for (index, reason) in reasons.iter().take(MAX_REASONS_SHOWN).enumerate() {
            line.push_str(if index == 0 { ": " } else { ", " });
            line.push_str(&reason.to_string());
        }
        if reasons.len() > MAX_REASONS_SHOWN {
            line.push_str(&format!(" and {} more", reasons.len() - MAX_REASONS_SHOWN));
        }
        line
    }
}

/// The fingerprint of a task's inputs, computed before it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) freshness: Freshness,
    /// Matched source files, absolute, for the sandbox.
    pub(crate) source_files: Vec<PathBuf>,
    /// For each of `source_files`, whether its own directory entry is a
    /// symbolic link, so the sandbox resolves only those.
    pub(crate) source_links: Vec<bool>,
    /// Directories the source globs walked, absolute, for the sandbox.
    pub(crate) source_dirs: Vec<PathBuf>,
    /// The fingerprint to hand to dependants; `None` for a task without
    /// sources.
    pub(crate) fingerprint: Option<Fingerprint>,
    inputs: Option<Inputs>,
}

/// Expands the sources of `task` as a check does: the state directory and the
/// task's own outputs are never sources.
pub(crate) fn expand_sources(
    task: &Task,
    root: &Path,
    state_dir: &Path,
) -> Result<sources::Expansion> {
    let exclude = Exclude::default().dir(state_dir.to_path_buf()).outputs(
        task.name(),
        root,
        task.get_generates(),
    )?;
    sources::expand(task.name(), root, task.get_sources(), &exclude)
}

/// The recorded state of a project, open for one run.
pub(crate) struct Tracker {
    store: Store,
    stat_cache: Mutex<StatCache>,
    /// Directory outputs that several tasks declare; see `outputs`.
    shared_outputs: HashSet<String>,
}

impl Tracker {
    /// Opens the state directory of the project. `write` is false for dry
    /// runs and queries, which must leave it untouched; with `write`, this
    /// waits until no other runner holds the project's lock.
    pub(crate) fn open(state_dir: &Path, write: bool) -> Result<Tracker> {
        let state_dir =
            std::path::absolute(state_dir).map_err(|err| Error::io("resolve", state_dir, err))?;
        let store = Store::open(&state_dir, write)?;
        let stat_cache = StatCache::load(&store.stat_cache_path())?;
        log::debug!("loaded {} stat cache entries", stat_cache.len());
        Ok(Tracker { store, stat_cache: Mutex::new(stat_cache), shared_outputs: HashSet::new() })
    }

    /// Marks the directory outputs that more than one of `tasks` declares, so
    /// checks test them for existence only.
    pub(crate) fn share_outputs<'a>(&mut self, tasks: impl IntoIterator<Item = &'a Task>) {
        let mut seen = HashSet::new();
        for task in tasks {
            let entries: HashSet<String> =
                task.get_generates().iter().map(|entry| crate::sources::normalize(entry)).collect();
            for entry in entries {
                if !seen.insert(entry.clone()) {
                    self.shared_outputs.insert(entry);
                }
            }
        }
    }

    pub(crate) fn state_dir(&self) -> &Path {
        self.store.dir()
    }

    /// Checks one task whose dependencies have finished. `deps` lists every
    /// dependency with the fingerprint of its check in this invocation;
    /// `deps_ran` names the dependencies that ran. With `force`, the task is
    /// dirty whatever changed, and its inputs are still fingerprinted so the
    /// run can be recorded.
    ///
    /// On a writable tracker, a dirty verdict also marks the task as started,
    /// since the caller runs it next: if that run does not get recorded, the
    /// next check reports [`DirtyReason::PreviousRunUnfinished`].
    pub(crate) fn check(
        &self,
        task: &Task,
        root: &Path,
        deps: &[(&str, Option<Fingerprint>)],
        deps_ran: &[&str],
        force: bool,
    ) -> Result<Check> {
        if task.get_sources().is_empty() {
            let reason = if force { DirtyReason::Forced } else { DirtyReason::NoSources };
            return Ok(Check {
                freshness: Freshness::Dirty(vec![reason]),
                source_files: Vec::new(),
                source_links: Vec::new(),
                source_dirs: Vec::new(),
                fingerprint: None,
                inputs: None,
            });
        }

        let started_ns = stat_cache::system_time_ns(SystemTime::now());
        let expansion = expand_sources(task, root, self.state_dir())?;
        // A dry run or explain checks a task before the dependencies that
        // would create its sources ran, so only a real run can tell.
        let deps_pending = !self.store.is_writable() && !deps_ran.is_empty();
        if expansion.files.is_empty() && !deps_pending {
            log::warn!(
                "the sources of task `{}` match no file, so no edit can make it stale: check {:?}",
                task.name(),
                task.get_sources()
            );
        }
        let hashes = fingerprint::hash_sources(&expansion.files, &self.stat_cache, started_ns)?;

        let mut source_files = Vec::with_capacity(expansion.files.len());
        let mut source_links = Vec::with_capacity(expansion.files.len());
        let mut inputs = Inputs::declared(task, root);
        inputs.sources.reserve(expansion.files.len());
        for (file, hash) in expansion.files.into_iter().zip(hashes) {
            inputs.sources.push((file.key, hash));
            source_files.push(file.path);
            source_links.push(file.is_link);
        }
        inputs.deps =
            deps.iter().map(|(name, fingerprint)| (name.to_string(), *fingerprint)).collect();
        inputs.deps.sort_by(|a, b| a.0.cmp(&b.0));
        let fingerprint = inputs.fingerprint();

        let reasons = if force {
            vec![DirtyReason::Forced]
        } else {
            self.reasons(task, root, &inputs, fingerprint, deps_ran)?
        };
        log::debug!("task `{}` has fingerprint {fingerprint}", task.name());

        let freshness = if reasons.is_empty() {
            Freshness::Fresh
        } else {
            if self.store.is_writable() {
                self.store.mark_started(task.name())?;
            }
            Freshness::Dirty(reasons)
        };

        Ok(Check {
            freshness,
            source_files,
            source_links,
            source_dirs: expansion.dirs,
            fingerprint: Some(fingerprint),
            inputs: Some(inputs),
        })
    }

    fn reasons(
        &self,
        task: &Task,
        root: &Path,
        inputs: &Inputs,
        fingerprint: Fingerprint,
        deps_ran: &[&str],
    ) -> Result<Vec<DirtyReason>> {
        let record = match self.store.load(task.name())? {
            Loaded::Missing => return Ok(vec![DirtyReason::NoPreviousRun]),
            Loaded::OtherVersion => return Ok(vec![DirtyReason::StateFormatChanged]),
            Loaded::Found(record) => record,
        };

        let mut reasons = Vec::new();
        if self.store.was_started(task.name()) {
            reasons.push(DirtyReason::PreviousRunUnfinished);
        }
        if record.fingerprint != fingerprint {
            match record.inputs() {
                Some(recorded) => diff_inputs(&recorded, inputs, &mut reasons),
                None => return Ok(vec![DirtyReason::NoPreviousRun]),
            }
        }
        // A read-only check runs before the dependencies would, so they
        // have not run yet.
        let will_run = !self.store.is_writable();
        for name in deps_ran {
            let name = name.to_string();
            let ran = DirtyReason::DependencyRan { name: name.clone() };
            let reason =
                if will_run { DirtyReason::DependencyWillRun { name } } else { ran.clone() };
            match reasons.iter().position(|known| *known == ran) {
                // The fingerprint differs because the dependency's inputs
                // changed, so it is the dependency that would run.
                Some(index) => reasons[index] = reason,
                None => reasons.push(reason),
            }
        }

        let snapshot = outputs::snapshot(task, root, self.state_dir(), &self.shared_outputs)?;
        reasons.extend(outputs::compare(&record.outputs, &snapshot));
        Ok(reasons)
    }

    /// Records a successful run of `task`, whose inputs `check` fingerprinted
    /// before it ran, with the metadata of the outputs it left. A task without
    /// sources has nothing to record.
    pub(crate) fn record(&self, task: &Task, root: &Path, check: &Check) -> Result<()> {
        let (Some(fingerprint), Some(inputs)) = (check.fingerprint, &check.inputs) else {
            return Ok(());
        };

        let snapshot = outputs::snapshot(task, root, self.state_dir(), &self.shared_outputs)?;
        for path in &snapshot.missing {
            log::warn!(
                "task `{}` succeeded without creating its output `{path}`, so it will run again",
                task.name()
            );
        }

        let record = Record { fingerprint, inputs, outputs: snapshot.files };
        self.store.save(task.name(), &record)?;
        log::debug!("recorded task `{}`", task.name());
        Ok(())
    }

    /// Forgets the recorded run of `task`, or of every task and the stat
    /// cache, so the next check finds no previous run.
    pub(crate) fn clean(&self, task: Option<&str>) -> Result<()> {
        self.store.clean(task)?;
        if task.is_none() {
            *self.stat_cache.lock().unwrap_or_else(|e| e.into_inner()) = StatCache::empty();
        }
        Ok(())
    }

    /// Saves the stat cache when it learned new hashes, then releases the
    /// lock. Dropping the tracker does the same but can only log an error.
    pub(crate) fn finish(self) -> Result<()> {
        self.save_stat_cache()
    }

    fn save_stat_cache(&self) -> Result<()> {
        let mut cache = self.stat_cache.lock().unwrap_or_else(|e| e.into_inner());
        if !self.store.is_writable() || !cache.is_modified() {
            return Ok(());
        }
        self.store.save_stat_cache(&cache)?;
        *cache = StatCache::empty();
        Ok(())
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Err(err) = self.save_stat_cache() {
            log::warn!("{err}");
        }
    }
}

/// Appends a reason for each input that differs between the recorded run and
/// now.
fn diff_inputs(old: &Inputs, new: &Inputs, reasons: &mut Vec<DirtyReason>) {
    if old.commands != new.commands {
        reasons.push(DirtyReason::CommandChanged);
    }
    for (program, hash) in &new.programs {
        let before = old.programs.iter().find(|(name, _)| name == program);
        if before.is_some_and(|(_, old_hash)| old_hash != hash) {
            reasons.push(DirtyReason::ProgramChanged { program: program.clone() });
        }
    }
    merge_diff(&old.env, &new.env, |key, _| reasons.push(DirtyReason::EnvChanged { key }));
    if old.dir != new.dir {
        reasons.push(DirtyReason::DirChanged);
    }
    if old.generates != new.generates {
        reasons.push(DirtyReason::OutputsDeclarationChanged);
    }
    merge_diff(&old.deps, &new.deps, |name, _| reasons.push(DirtyReason::DependencyRan { name }));
    merge_diff(&old.sources, &new.sources, |path, change| {
        reasons.push(match change {
            Change::Added => DirtyReason::FileAdded { path },
            Change::Removed => DirtyReason::FileRemoved { path },
            Change::Changed => DirtyReason::FileChanged { path },
        })
    });
}

enum Change {
    Added,
    Removed,
    Changed,
}

/// Walks two lists sorted by name and reports each name whose value differs
/// or that only one list has.
fn merge_diff<V: PartialEq>(
    old: &[(String, V)],
    new: &[(String, V)],
    mut report: impl FnMut(String, Change),
) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some((old_name, old_value)), Some((new_name, new_value))) => {
                match old_name.cmp(new_name) {
                    std::cmp::Ordering::Less => {
                        report(old_name.clone(), Change::Removed);
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        report(new_name.clone(), Change::Added);
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        if old_value != new_value {
                            report(new_name.clone(), Change::Changed);
                        }
                        i += 1;
                        j += 1;
                    }
                }
            }
            (Some((old_name, _)), None) => {
                report(old_name.clone(), Change::Removed);
                i += 1;
            }
            (None, Some((new_name, _))) => {
                report(new_name.clone(), Change::Added);
                j += 1;
            }
            (None, None) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::cmd;
    use crate::fs::TempDir;

    struct Project {
        dir: TempDir,
    }

    impl Project {
        fn new() -> Project {
            let project = Project { dir: TempDir::new("runner-freshness").unwrap() };
            project.write("src/lib.rs", "pub fn lib() {}");
            project.write("src/main.rs", "fn main() {}");
            project
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn state_dir(&self) -> PathBuf {
            self.root().join(".runner")
        }

        fn write(&self, rel: &str, contents: &str) {
            let path = self.root().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }

        fn tracker(&self, write: bool) -> Tracker {
            Tracker::open(&self.state_dir(), write).unwrap()
        }

        fn check(&self, task: &Task) -> Check {
            self.tracker(false).check(task, self.root(), &[], &[], false).unwrap()
        }

        /// Checks and records `task` as a successful run would, after
        /// `outputs` wrote the task's outputs.
        fn run(&self, task: &Task, outputs: impl FnOnce(&Project)) -> Check {
            let tracker = self.tracker(true);
            let check = tracker.check(task, self.root(), &[], &[], false).unwrap();
            outputs(self);
            tracker.record(task, self.root(), &check).unwrap();
            tracker.finish().unwrap();
            check
        }
    }

    fn build() -> Task {
        Task::new("build").sources(["src/**/*.rs"]).cmd(cmd!("cargo", "build"))
    }

    fn reasons(check: &Check) -> Vec<String> {
        match &check.freshness {
            Freshness::Fresh => Vec::new(),
            Freshness::Dirty(reasons) => reasons.iter().map(ToString::to_string).collect(),
        }
    }

    /// Returns every file below `dir` with its contents and mtime.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let metadata = std::fs::metadata(&path).unwrap();
                if metadata.is_dir() {
                    pending.push(path);
                } else {
                    let contents = std::fs::read(&path).unwrap();
                    files.insert(path, (contents, metadata.modified().unwrap()));
                }
            }
        }
        files
    }

    #[test]
    fn first_check_has_no_previous_run() {
        let project = Project::new();

        let check = project.check(&build());

        assert_eq!(reasons(&check), ["no previous run"]);
        assert!(check.fingerprint.is_some());
    }

    #[test]
    fn second_check_after_record_is_fresh() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let check = project.check(&build());

        assert_eq!(check.freshness, Freshness::Fresh);
    }

    #[test]
    fn check_lists_sources_for_the_sandbox() {
        let project = Project::new();
        project.write("src/notes.txt", "not a source");

        let check = project.check(&build());

        let root = project.root();
        assert_eq!(check.source_files, [root.join("src/lib.rs"), root.join("src/main.rs")]);
        assert_eq!(check.source_dirs, [root.join("src")]);
    }

    #[test]
    fn source_edit_names_the_file() {
        let project = Project::new();
        project.run(&build(), |_| {});

        project.write("src/lib.rs", "pub fn lib() { changed() }");

        assert_eq!(reasons(&project.check(&build())), ["file `src/lib.rs` changed"]);
    }

    #[test]
    fn edit_keeping_size_and_mtime_is_found() {
        let project = Project::new();
        let path = project.root().join("src/lib.rs");
        let old_mtime = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(old_mtime).unwrap();
        project.run(&build(), |_| {});

        project.write("src/lib.rs", "pub fn LIB() {}");
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(old_mtime).unwrap();

        assert_eq!(reasons(&project.check(&build())), ["file `src/lib.rs` changed"]);
    }

    #[test]
    fn touch_without_edit_stays_fresh() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let path = project.root().join("src/lib.rs");
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(later).unwrap();

        assert_eq!(project.check(&build()).freshness, Freshness::Fresh);
    }

    #[test]
    fn renamed_source_is_removed_and_added() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let root = project.root();
        std::fs::rename(root.join("src/lib.rs"), root.join("src/core.rs")).unwrap();

        assert_eq!(
            reasons(&project.check(&build())),
            ["file `src/core.rs` added", "file `src/lib.rs` removed"]
        );
    }

    #[test]
    fn new_file_matching_glob_is_added() {
        let project = Project::new();
        project.run(&build(), |_| {});

        project.write("src/deep/er/mod.rs", "");
        project.write("src/README.md", "not matched");

        assert_eq!(reasons(&project.check(&build())), ["file `src/deep/er/mod.rs` added"]);
    }

    #[test]
    fn deleted_output_makes_task_stale() {
        let project = Project::new();
        let task = build().generates(["out/**/*.txt", "bin/app"]);
        project.run(&task, |p| {
            p.write("out/a.txt", "a");
            p.write("out/b.txt", "b");
            p.write("bin/app", "app");
        });
        assert_eq!(project.check(&task).freshness, Freshness::Fresh);

        std::fs::remove_file(project.root().join("out/a.txt")).unwrap();
        assert_eq!(reasons(&project.check(&task)), ["output `out/a.txt` missing"]);

        std::fs::remove_file(project.root().join("bin/app")).unwrap();
        assert_eq!(
            reasons(&project.check(&task)),
            ["output `bin/app` missing", "output `out/a.txt` missing"]
        );
    }

    #[test]
    fn output_directory_is_tracked_file_by_file() {
        let project = Project::new();
        let task = build().generates(["out/"]);
        project.run(&task, |p| p.write("out/app", "app"));

        project.write("out/other", "added by someone else");
        assert_eq!(project.check(&task).freshness, Freshness::Fresh);

        project.write("out/app", "edited");
        assert_eq!(reasons(&project.check(&task)), ["output `out/app` changed"]);
    }

    #[test]
    fn shared_output_directory_is_checked_for_existence() {
        let project = Project::new();
        let task = build().generates(["target/"]);
        let other = Task::new("test").generates(["target/"]);
        let open = |write| {
            let mut tracker = project.tracker(write);
            tracker.share_outputs([&task, &other]);
            tracker
        };
        let tracker = open(true);
        let check = tracker.check(&task, project.root(), &[], &[], false).unwrap();
        project.write("target/debug/app", "app");
        tracker.record(&task, project.root(), &check).unwrap();
        drop(tracker);

        project.write("target/debug/app", "rebuilt by another task");
        project.write("target/debug/other", "added by another task");
        let check = open(false).check(&task, project.root(), &[], &[], false).unwrap();
        assert_eq!(check.freshness, Freshness::Fresh);

        std::fs::remove_dir_all(project.root().join("target")).unwrap();
        let check = open(false).check(&task, project.root(), &[], &[], false).unwrap();
        assert_eq!(reasons(&check), ["output `target` missing"]);
    }

    #[test]
    fn edited_output_makes_task_stale() {
        let project = Project::new();
        let task = build().generates(["out/*.txt"]);
        project.run(&task, |p| p.write("out/a.txt", "a"));

        project.write("out/a.txt", "edited");

        assert_eq!(reasons(&project.check(&task)), ["output `out/a.txt` changed"]);
    }

    #[test]
    fn output_never_created_is_missing() {
        let project = Project::new();
        let task = build().generates(["out/", "gen/*.rs"]);
        project.run(&task, |_| {});

        assert_eq!(
            reasons(&project.check(&task)),
            ["output `out` missing", "output `gen/*.rs` missing"]
        );
    }

    #[test]
    fn outputs_under_source_globs_are_not_sources() {
        let project = Project::new();
        let task = Task::new("gen").sources(["**/*"]).generates(["src/generated/"]);
        project.run(&task, |p| p.write("src/generated/out.rs", "generated"));

        let check = project.check(&task);

        assert_eq!(check.freshness, Freshness::Fresh);
        assert!(!check.source_files.iter().any(|path| path.starts_with(project.state_dir())));
        assert!(!check.source_files.iter().any(|path| path.ends_with("out.rs")));
    }

    #[test]
    fn changed_command_makes_task_stale() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let task = Task::new("build").sources(["src/**/*.rs"]).cmd(cmd!("cargo", "build", "-r"));

        assert_eq!(reasons(&project.check(&task)), ["command changed"]);
    }

    #[test]
    fn changed_env_value_names_the_key() {
        let project = Project::new();
        project.run(&build().env("PROFILE", "dev").env("KEEP", "1"), |_| {});

        let task = build().env("PROFILE", "release").env("KEEP", "1");

        assert_eq!(reasons(&project.check(&task)), ["env `PROFILE` changed"]);
    }

    #[test]
    fn changed_dir_makes_task_stale() {
        let project = Project::new();
        project.run(&build(), |_| {});

        assert_eq!(reasons(&project.check(&build().dir("src"))), ["dir changed"]);
    }

    #[test]
    fn changed_program_file_makes_task_stale() {
        let project = Project::new();
        project.write("tools/gen", "#!/bin/sh\n");
        let task = Task::new("gen").sources(["src/*.rs"]).cmd(cmd!("./tools/gen"));
        project.run(&task, |_| {});

        project.write("tools/gen", "#!/bin/sh\necho new\n");

        assert_eq!(reasons(&project.check(&task)), ["program `./tools/gen` changed"]);
    }

    #[test]
    fn changed_dependency_fingerprint_makes_dependant_stale() {
        let project = Project::new();
        let test = Task::new("test").sources(["src/main.rs"]).dep("build");
        let before = Fingerprint([1; 32]);
        let tracker = project.tracker(true);
        let check = tracker.check(&test, project.root(), &[("build", Some(before))], &[], false);
        tracker.record(&test, project.root(), &check.unwrap()).unwrap();
        drop(tracker);

        let tracker = project.tracker(false);
        let same = tracker.check(&test, project.root(), &[("build", Some(before))], &[], false);
        let after = Fingerprint([2; 32]);
        let changed = tracker.check(&test, project.root(), &[("build", Some(after))], &[], false);

        assert_eq!(same.unwrap().freshness, Freshness::Fresh);
        assert_eq!(reasons(&changed.unwrap()), ["dependency `build` re-ran"]);
    }

    #[test]
    fn dependency_that_ran_makes_dependant_stale() {
        let project = Project::new();
        let test = Task::new("test").sources(["src/main.rs"]).dep("gen");
        project.run(&test, |_| {});

        let tracker = project.tracker(true);
        let check = tracker.check(&test, project.root(), &[], &["gen"], false).unwrap();
        assert_eq!(reasons(&check), ["dependency `gen` re-ran"]);
    }

    #[test]
    fn read_only_check_names_pending_dependency() {
        let project = Project::new();
        let test = Task::new("test").sources(["src/main.rs"]).dep("gen");
        project.run(&test, |_| {});

        let tracker = project.tracker(false);
        let check = tracker.check(&test, project.root(), &[], &["gen"], false).unwrap();
        assert_eq!(reasons(&check), ["dependency `gen` runs first"]);
    }

    #[test]
    fn nothing_is_written_until_record() {
        let project = Project::new();
        let tracker = project.tracker(true);

        let check = tracker.check(&build(), project.root(), &[], &[], false).unwrap();
        assert_eq!(reasons(&check), ["no previous run"]);
        let record = project.state_dir().join("tasks/build");
        assert!(!record.exists());

        // The task failed: the caller does not record it.
        drop(tracker);
        assert!(!record.exists());
        assert_eq!(reasons(&project.check(&build())), ["no previous run"]);
    }

    #[test]
    fn unrecorded_run_after_success_is_not_fresh() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let tracker = project.tracker(true);
        let forced = tracker.check(&build(), project.root(), &[], &[], true).unwrap();
        assert_eq!(reasons(&forced), ["forced"]);
        // The forced run was interrupted, so it is never recorded.
        drop(tracker);

        assert_eq!(reasons(&project.check(&build())), ["previous run did not finish"]);
        project.run(&build(), |_| {});
        assert_eq!(project.check(&build()).freshness, Freshness::Fresh);
    }

    #[test]
    fn corrupt_state_reads_as_no_previous_run() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let record = project.state_dir().join("tasks/build");
        let bytes = std::fs::read(&record).unwrap();
        std::fs::write(&record, &bytes[..20]).unwrap();
        std::fs::write(project.state_dir().join("stat-cache"), b"not a cache").unwrap();
        assert_eq!(reasons(&project.check(&build())), ["no previous run"]);

        std::fs::write(&record, b"garbage").unwrap();
        assert_eq!(reasons(&project.check(&build())), ["no previous run"]);
        project.run(&build(), |_| {});
        assert_eq!(project.check(&build()).freshness, Freshness::Fresh);
    }

    #[test]
    fn other_state_version_is_reported() {
        let project = Project::new();
        project.run(&build(), |_| {});

        let path = project.state_dir().join("tasks/build");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..12].copy_from_slice(&(fingerprint::STATE_VERSION + 1).to_le_bytes());
        std::fs::write(&path, bytes).unwrap();

        assert_eq!(reasons(&project.check(&build())), ["state format changed"]);
    }

    #[test]
    fn task_without_sources_always_runs() {
        let project = Project::new();
        let task = Task::new("lint").cmd(cmd!("cargo", "clippy"));
        project.run(&task, |_| {});

        let check = project.check(&task);

        assert_eq!(reasons(&check), ["no sources declared"]);
        assert_eq!(check.fingerprint, None);
    }

    #[test]
    fn clean_forgets_one_task_or_all() {
        let project = Project::new();
        let docs = Task::new("docs").sources(["src/lib.rs"]);
        project.run(&build(), |_| {});
        project.run(&docs, |_| {});

        project.tracker(true).clean(Some("build")).unwrap();
        assert_eq!(reasons(&project.check(&build())), ["no previous run"]);
        assert_eq!(project.check(&docs).freshness, Freshness::Fresh);

        project.tracker(true).clean(None).unwrap();
        assert_eq!(reasons(&project.check(&docs)), ["no previous run"]);
        assert!(!project.state_dir().join("stat-cache").exists());
    }

    #[test]
    fn read_only_check_does_not_create_state_dir() {
        let project = Project::new();

        let check = project.check(&build());

        assert_eq!(reasons(&check), ["no previous run"]);
        assert!(!project.state_dir().exists());
    }

    #[test]
    fn read_only_check_leaves_state_unchanged() {
        let project = Project::new();
        project.run(&build(), |_| {});
        project.write("src/lib.rs", "changed");
        let before = snapshot(&project.state_dir());

        let tracker = project.tracker(false);
        let check = tracker.check(&build(), project.root(), &[], &[], false).unwrap();
        assert!(tracker.clean(None).is_err());
        drop(tracker);

        assert_eq!(reasons(&check), ["file `src/lib.rs` changed"]);
        assert_eq!(snapshot(&project.state_dir()), before);
    }

    #[test]
    fn second_writer_waits_for_the_first() {
        let project = Project::new();
        let first = project.tracker(true);
        let lock = std::fs::File::open(project.state_dir().join("lock")).unwrap();
        assert!(matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock)));

        let (events, received) = mpsc::channel();
        let state_dir = project.state_dir();
        let root = project.root().to_path_buf();
        let second = std::thread::spawn({
            let events = events.clone();
            move || {
                events.send("opening").unwrap();
                let tracker = Tracker::open(&state_dir, true).unwrap();
                events.send("opened").unwrap();
                tracker.check(&build(), &root, &[], &[], false).unwrap().freshness
            }
        });
        assert_eq!(received.recv().unwrap(), "opening");
        // A correct lock never lets "opened" through here; the timeout only
        // bounds how long a broken one is given to show itself.
        assert!(received.recv_timeout(Duration::from_millis(200)).is_err());

        let check = first.check(&build(), project.root(), &[], &[], false).unwrap();
        first.record(&build(), project.root(), &check).unwrap();
        events.send("released").unwrap();
        drop(first);

        assert_eq!(received.recv().unwrap(), "released");
        assert_eq!(received.recv().unwrap(), "opened");
        assert_eq!(second.join().unwrap(), Freshness::Fresh);
    }

    #[test]
    fn line_renders_like_cargo() {
        let dirty = Freshness::Dirty(vec![
            DirtyReason::FileChanged { path: "src/lib.rs".into() },
            DirtyReason::EnvChanged { key: "FOO".into() },
            DirtyReason::DependencyRan { name: "gen".into() },
            DirtyReason::OutputMissing { path: "out/a.txt".into() },
            DirtyReason::Forced,
        ]);

        assert_eq!(Freshness::Fresh.line("codegen"), "fresh codegen");
        assert_eq!(
            dirty.line("build"),
            "dirty build: file `src/lib.rs` changed, env `FOO` changed, \
             dependency `gen` re-ran and 2 more"
        );
    }
}
