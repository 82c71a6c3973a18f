//! The policy of one task: every path it may use, with what access, and why.
//!
//! The policy is built from the task's declarations right before the task
//! runs, because Landlock binds rules to the inodes that exist then:
//!
//! | grant | paths | access |
//! |---|---|---|
//! | system | `/usr`, non-merged `/bin`, `/lib*`, `/sbin`; `/etc`; `/dev/null`, `/dev/zero`, `/dev/full`; `/dev/urandom`, `/dev/random` | read and execute; read; read and write; read |
//! | sources | each matched file; the directories the globs walked; the working directory | read; list |
//! | generates | see [`super::generates`] | everything |
//! | temp | the task's private `TMPDIR` | everything |
//! | scopes | see [`super::presets`] | as each scope declares |
//!
//! Sources are granted file by file, so a task cannot read an undeclared
//! file next to a declared one. A source that resolves outside the project
//! root through a symlink is an error. The runner's state directory is never
//! granted: source files inside it are skipped, and a generate or scope that
//! contains it, equals it or lies inside it is an error.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::TaskAccess;
use super::generates::prepare_generate;
use super::presets::{ScopeContext, expand_scope};
use super::resolve::{RunPaths, SourceResolver, is_within};
use crate::{Error, Result, Scope};

/// The access a grant gives on its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// List a directory and the directories below it, without reading files.
    List,
    /// Read files and list directories.
    Read,
    /// Read, list and execute.
    ReadExec,
    /// Read and write existing files, such as `/dev/null`.
    ReadWrite,
    /// Read and write devices, with ioctls (terminals).
    Device,
    /// Everything: create, remove, rename across granted directories,
    /// truncate and execute.
    Full,
}

/// The declaration behind a grant, which errors and hints name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    System,
    Source,
    SourceDir,
    WorkDir,
    Generate(String),
    TmpDir,
    Scope(Scope),
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::System => "the system grant".to_string(),
            Origin::Source => "a source file".to_string(),
            Origin::SourceDir => "a source directory".to_string(),
            Origin::WorkDir => "the working directory".to_string(),
            Origin::Generate(entry) => format!("`generates` entry `{entry}`"),
            Origin::TmpDir => "the private temp directory".to_string(),
            Origin::Scope(scope) => format!("scope `{scope}`"),
        }
    }
}

/// One path a task may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The path, canonical.
    pub(crate) path: PathBuf,
    pub(crate) access: Access,
    pub(crate) origin: Origin,
}

/// TCP access of a task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Network {
    /// No TCP rule is handled at all.
    pub(crate) unrestricted: bool,
    pub(crate) connect: Vec<u16>,
    pub(crate) bind: Vec<u16>,
}

/// Everything a task may use.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) grants: Vec<Grant>,
    pub(crate) network: Network,
    /// The task may read `/proc`, so the spawning thread drops the
    /// capabilities that would let it read other processes' memory maps.
    pub(crate) proc: bool,
}

/// System paths granted to every task, with their access.
const SYSTEM: [(&str, Access); 10] = [
    ("/usr", Access::ReadExec),
    ("/bin", Access::ReadExec),
    ("/sbin", Access::ReadExec),
    ("/etc", Access::Read),
    ("/dev/null", Access::ReadWrite),
    ("/dev/zero", Access::ReadWrite),
    ("/dev/full", Access::ReadWrite),
    ("/dev/urandom", Access::Read),
    ("/dev/random", Access::Read),
    // Stands for every `/lib*` directory at the root; see `system_grants`.
    ("/lib", Access::ReadExec),
];

impl Policy {
    /// Builds the policy of one task and creates its generate directories.
    /// `paths` caches the canonical root and state directory for the run.
    pub(crate) fn build(access: &TaskAccess, tmp_dir: &Path, paths: &RunPaths) -> Result<Policy> {
        let task = access.task;
        let root_real = paths
            .canonical(access.root)
            .map_err(|error| Error::io("resolve the project root", access.root, error))?;
        let state_real = match paths.canonical(access.state_dir) {
            Ok(real) => real,
            // Dropping empty and `.` components lets `is_within` compare bytes.
            Err(_) => resolve_existing_prefix(access.state_dir).components().collect(),
        };
        let mut grants = system_grants();

        let dir = if access.dir == access.root {
            Ok(root_real.clone())
        } else {
            std::fs::canonicalize(access.dir)
        };
        if let Ok(dir) = dir
            && !dir.starts_with(&state_real)
        {
            grants.push(Grant { path: dir, access: Access::List, origin: Origin::WorkDir });
        }
        grants.extend(source_grants(task, access, &root_real, &state_real)?);

        for entry in access.generates {
            let target = prepare_generate(task, access.root, &root_real, entry)?;
            let origin = Origin::Generate(entry.clone());
            grants.push(Grant { path: target.path, access: Access::Full, origin });
        }
        grants.push(Grant {
            path: tmp_dir.to_owned(),
            access: Access::Full,
            origin: Origin::TmpDir,
        });

        let mut network = Network::default();
        let mut proc = false;
        let context = ScopeContext {
            task,
            root: access.root,
            cwd: access.dir,
            path_env: access.path_env.map(OsStr::to_owned),
        };
        for scope in access.scopes {
            match scope {
                Scope::TcpConnect(port) => network.connect.push(*port),
                Scope::TcpBind(port) => network.bind.push(*port),
                Scope::Network => network.unrestricted = true,
                Scope::Proc => proc = true,
                _ => {}
            }
            grants.extend(expand_scope(scope, &context)?);
        }

        check_state_dir(task, &grants, &state_real)?;
        log::debug!(
            "task `{task}`: {} grants, network {}",
            grants.len(),
            if network.unrestricted { "unrestricted" } else { "restricted" }
        );
        Ok(Policy { grants, network, proc })
    }
}

/// Returns the grants every task gets, looked up once per process. `/usr`,
/// `/etc`, the devices and the `/lib*` directories do not change during a
/// run, and each lookup costs a `stat` per path and a read of `/`.
pub(super) fn system_grants() -> Vec<Grant> {
    static GRANTS: OnceLock<Vec<Grant>> = OnceLock::new();
    GRANTS.get_or_init(find_system_grants).clone()
}

fn find_system_grants() -> Vec<Grant> {
    let mut grants = Vec::new();
    let mut add = |path: PathBuf, access: Access| {
        // Merged-/usr systems link `/bin` and `/lib*` into `/usr`, which is
        // granted already. One `lstat` shows both that a path exists and that
        // it is no link.
        let is_real = path.symlink_metadata().is_ok_and(|meta| !meta.file_type().is_symlink());
        if is_real {
            grants.push(Grant { path, access, origin: Origin::System });
        }
    };

    for (path, access) in SYSTEM {
        if path != "/lib" {
            add(PathBuf::from(path), access);
        }
    }
    let Ok(entries) = std::fs::read_dir("/") else {
        return grants;
    };
    for entry in entries.flatten() {
        if entry.file_name().as_encoded_bytes().starts_with(b"lib") {
            add(entry.path(), Access::ReadExec);
        }
    }
    grants
}

fn source_grants(
    task: &str,
    access: &TaskAccess,
    root_real: &Path,
    state_real: &Path,
) -> Result<Vec<Grant>> {
    let mut grants = Vec::with_capacity(access.source_files.len() + access.source_dirs.len());
    let links = access.source_links.filter(|links| links.len() == access.source_files.len());
    let mut resolver = SourceResolver::default();

    for (index, file) in access.source_files.iter().enumerate() {
        let is_link = links.map(|links| links[index]);
        let real = match resolver.resolve(file, is_link) {
            Ok(real) => real,
            Err(error) => {
                log::debug!("task `{task}`: source `{}` skipped: {error}", file.display());
                continue;
            }
        };
        // A source declared outside the root is granted as declared; one inside
        // it may not lead out of it through a symlink.
        let outside = !is_within(&real, root_real)
            && (file.starts_with(access.root) || file.starts_with(root_real));
        if outside {
            let relative = file.strip_prefix(access.root).unwrap_or(file);
            return Err(Error::invalid_task(
                task,
                format!(
                    "source `{}` resolves outside the project root to `{}`: replace the symlink \
                     with the file, or declare `{}`",
                    relative.display(),
                    real.display(),
                    Scope::read(&real)
                ),
            ));
        }
        if is_within(&real, state_real) {
            log::debug!("task `{task}`: source `{}` is in the state directory", file.display());
            continue;
        }
        log::trace!("task `{task}`: read `{}`", real.display());
        grants.push(Grant { path: real, access: Access::Read, origin: Origin::Source });
    }

    // NOTE: list-only grants cover the whole hierarchy below a directory, so a
    // task whose globs walk the parent of the state directory can list the
    // state directory's entry names, though never read or write its files.
    for dir in access.source_dirs {
        let Ok(real) = resolver.resolve(dir, None) else {
            continue;
        };
        if !real.starts_with(state_real) {
            grants.push(Grant { path: real, access: Access::List, origin: Origin::SourceDir });
        }
    }
    Ok(grants)
}

/// Rejects every grant that overlaps the state directory, other than the
/// list-only ones explained in `source_grants`. Source files are skipped too,
/// since `source_grants` leaves out those in the state directory.
fn check_state_dir(task: &str, grants: &[Grant], state_real: &Path) -> Result<()> {
    for grant in grants {
        if grant.access == Access::List || grant.origin == Origin::Source {
            continue;
        }
        let overlaps = state_real.starts_with(&grant.path) || grant.path.starts_with(state_real);
        if overlaps {
            return Err(Error::invalid_task(
                task,
                format!(
                    "{} grants `{}`, which overlaps the runner's state directory `{}`: tasks may \
                     not read or write it, so name a path outside it",
                    grant.origin.describe(),
                    grant.path.display(),
                    state_real.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Canonicalizes the longest existing prefix of `path` and appends the rest,
/// so a state directory that is not created yet still compares correctly.
pub(crate) fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut current = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(current) {
            return missing.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (current.parent(), current.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_owned());
                current = parent;
            }
            _ => return path.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_existing_prefix_of_missing_dir() {
        let resolved = resolve_existing_prefix(Path::new("/usr/../etc/missing/state"));
        assert_eq!(resolved, Path::new("/etc/missing/state"));
    }

    #[test]
    fn system_grants_cover_usr_and_devices() {
        let grants = system_grants();
        let find = |path: &str| grants.iter().find(|grant| grant.path == Path::new(path));
        assert_eq!(find("/usr").map(|grant| grant.access), Some(Access::ReadExec));
        assert_eq!(find("/etc").map(|grant| grant.access), Some(Access::Read));
        assert_eq!(find("/dev/null").map(|grant| grant.access), Some(Access::ReadWrite));
        let merged_bin = Path::new("/bin").symlink_metadata().unwrap().file_type().is_symlink();
        assert_eq!(find("/bin").is_none(), merged_bin);
    }
}
