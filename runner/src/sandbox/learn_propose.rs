//! The proposal of learn mode: the successful accesses of a traced run
//! sorted by where they went, and the `generates` entries and scopes they
//! call for.
//!
//! Writes become generates entries: the declared entry that covers them,
//! else the topmost directory the task created, else the file's directory,
//! else the file itself when its directory also contains sources or is the
//! project root. Accesses outside the project become presets
//! (`denial::preset_for`), program scopes for programs found on `PATH`, and
//! path scopes, and a scope that another proposed scope covers is dropped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::TaskAccess;
use super::denial::{AccessKind, Target, preset_for, program_scope};
use super::learn_compare::grants_allow;
use super::policy::Grant;
use super::presets::{ScopeContext, expand_scope};
use super::strace_log::Access;
use crate::Scope;
use crate::generates::Generate;

/// The successful accesses of a run, sorted by where they went.
#[derive(Default)]
pub(super) struct Observed {
    /// Project files read, relative to the root.
    pub(super) reads: BTreeSet<PathBuf>,
    /// Project files executed, relative to the root.
    pub(super) execs: BTreeSet<PathBuf>,
    /// Project paths written, relative to the root, with how.
    pub(super) writes: BTreeSet<(PathBuf, AccessKind)>,
    /// Project directories the task created, relative to the root.
    pub(super) created_dirs: BTreeSet<PathBuf>,
    /// Accesses outside the project, absolute.
    pub(super) outside: BTreeSet<(PathBuf, AccessKind)>,
    /// Paths outside the project the task created.
    pub(super) outside_created: BTreeSet<PathBuf>,
    pub(super) ports: BTreeSet<(u16, AccessKind)>,
    pub(super) probes: BTreeSet<PathBuf>,
}

/// Sorts the successful accesses and drops those every task may make.
pub(super) fn observe(
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
                let creates =
                    matches!(kind, AccessKind::Create | AccessKind::CreateDir | AccessKind::Rename);
                if creates && real.is_dir() {
                    observed.created_dirs.insert(relative.to_owned());
                }
                observed.writes.insert((relative.to_owned(), kind));
            }
            (None, kind) => {
                if matches!(kind, AccessKind::Create | AccessKind::CreateDir) {
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
pub(super) fn follow_renames(path: &Path, renames: &[(&Path, &Path)]) -> PathBuf {
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
pub(super) fn declared_generates(access: &TaskAccess, root_real: &Path) -> Vec<(String, PathBuf)> {
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
pub(super) fn propose_generates(
    observed: &Observed,
    declared: &[(String, PathBuf)],
) -> Vec<String> {
    let read_dirs: BTreeSet<&Path> =
        observed.reads.iter().filter_map(|path| path.parent()).collect();
    let mut entries = BTreeSet::new();
    for (path, _) in &observed.writes {
        if let Some((entry, covered)) =
            declared.iter().find(|(_, covered)| path.starts_with(covered))
        {
            // A file entry that the task made a directory needs its slash.
            let literal = !entry.ends_with('/') && !entry.contains(['*', '?', '[', '{']);
            let made_dir = literal && observed.created_dirs.contains(covered);
            entries.insert(if made_dir { format!("{entry}/") } else { entry.clone() });
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

pub(super) fn topmost_created(path: &Path, created: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    path.ancestors().filter(|dir| created.contains(*dir)).last().map(Path::to_owned)
}

pub(super) fn covered_by_generates(entries: &[String], path: &Path) -> bool {
    entries.iter().any(|entry| match entry.strip_suffix('/') {
        Some(dir) => path.starts_with(dir),
        None => path == Path::new(entry),
    })
}

/// Proposes scopes for the accesses outside the project and the ports.
pub(super) fn propose_scopes(
    access: &TaskAccess,
    observed: &Observed,
    generates: &[String],
) -> Vec<Scope> {
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
pub(super) fn drop_covered(access: &TaskAccess, scopes: Vec<Scope>) -> Vec<Scope> {
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
pub(super) fn scope_grants(access: &TaskAccess, scope: &Scope) -> Vec<Grant> {
    let context = ScopeContext {
        task: access.task,
        root: access.root,
        cwd: access.dir,
        path_env: access.path_env.map(ToOwned::to_owned),
    };
    expand_scope(scope, &context).unwrap_or_default()
}

/// Canonicalizes `path`, or its parent for a path that no longer exists.
pub(super) fn real_path(path: &Path) -> PathBuf {
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
pub(super) fn relative_to(base: &Path, path: &Path) -> PathBuf {
    if let Ok(relative) = path.strip_prefix(base) {
        return relative.to_owned();
    }
    let ups = base.components().count();
    let mut out: PathBuf = std::iter::repeat_n("..", ups).collect();
    out.push(path);
    out
}

pub(super) fn relative_entry(base: &Path, entry: &str) -> String {
    let dir = entry.ends_with('/');
    let relative = relative_to(base, Path::new(entry.trim_end_matches('/')));
    let text = relative.display().to_string();
    if dir { format!("{text}/") } else { text }
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
    fn relative_paths_to_task_dir() {
        assert_eq!(relative_to(Path::new("sub"), Path::new("sub/a.txt")), Path::new("a.txt"));
        assert_eq!(relative_to(Path::new("sub"), Path::new("b.txt")), Path::new("../b.txt"));
        assert_eq!(relative_entry(Path::new(""), "out/"), "out/");
        assert_eq!(relative_entry(Path::new("sub"), "sub/out/"), "out/");
    }
}
