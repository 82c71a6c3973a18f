//! The Landlock ruleset of one task, built from its policy.
//!
//! The handled rights are pinned to [`POLICY_ABI`] or lower (see
//! [`Handled::for_abi`]), never to the newest ABI of the crate or kernel. So
//! a newer kernel or crate cannot add restrictions that were not tested. Each
//! grant opens its path with `O_PATH | O_CLOEXEC` and adds one rule; rules on
//! files are masked to file rights, so a fully capable kernel reports the
//! ruleset as fully enforced. The system grants are opened once per run
//! ([`OpenedGrants`]), since every task has them. A source file is opened
//! with `O_NOFOLLOW` by its name in its parent directory, which stays open
//! while the next sources share it, so the kernel does not walk each file's
//! whole path. A source is granted only while it is a regular file. TCP bind
//! and connect are handled unless the task may use the whole network, and
//! signals and abstract unix sockets are scoped to the task's own processes.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access as _, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
    Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetError,
};

use super::policy::{Access, Grant, Origin, Policy};
use super::status::POLICY_ABI;
use crate::{Error, Result};

/// The access rights a ruleset handles: everything not granted is denied.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handled {
    abi: ABI,
    fs: BitFlags<AccessFs>,
    net: BitFlags<AccessNet>,
    scoped: BitFlags<landlock::Scope>,
}

impl Handled {
    /// Returns the rights of Landlock ABI `abi`, at most [`POLICY_ABI`], the
    /// way the crate's best-effort mode would reduce them on a kernel of that
    /// ABI. TCP rights are left out when `network_unrestricted`.
    pub(crate) fn for_abi(abi: u32, network_unrestricted: bool) -> Handled {
        let abi = ABI::from(abi.min(POLICY_ABI) as i32);
        let fs = AccessFs::from_all(abi);
        let net = if network_unrestricted { BitFlags::EMPTY } else { AccessNet::from_all(abi) };
        let scoped = landlock::Scope::from_all(abi);
        Handled { abi, fs, net, scoped }
    }

    /// Returns the rights `access` stands for on a directory or a file.
    fn rights(&self, access: Access, is_dir: bool) -> BitFlags<AccessFs> {
        let read_file = AccessFs::ReadFile | AccessFs::ReadDir;
        let rights = match access {
            Access::List => BitFlags::from(AccessFs::ReadDir),
            Access::Read => read_file,
            Access::ReadExec => read_file | AccessFs::Execute,
            Access::ReadWrite => AccessFs::ReadFile | AccessFs::WriteFile,
            Access::Device => AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::IoctlDev,
            Access::Full => AccessFs::from_all(self.abi),
        };
        let rights = rights & self.fs;
        if is_dir { rights } else { rights & AccessFs::from_file(self.abi) }
    }
}

/// The number of grants from which a second thread adds half of the rules.
/// Opening, checking and closing each path run in parallel, while the kernel
/// inserts one rule at a time. On a 2-core VM, `Sandbox::prepare` of a task
/// with 20,000 source files took 59 to 70 ms this way against 108 ms on one
/// thread (`bench_ruleset_build`, median of 11).
const PARALLEL_GRANTS: usize = 4096;

/// Paths opened once, with `O_PATH`, for the rules of many tasks.
#[derive(Debug, Default)]
pub(crate) struct OpenedGrants {
    opened: Vec<Opened>,
}

#[derive(Debug)]
struct Opened {
    path: PathBuf,
    file: File,
    is_dir: bool,
}

impl OpenedGrants {
    /// Opens the path of each grant. A path that cannot be opened is left
    /// out, so its grants are opened again per task.
    pub(crate) fn open(grants: &[Grant]) -> OpenedGrants {
        let mut opened = Vec::with_capacity(grants.len());
        for grant in grants {
            match open_path(&grant.path) {
                Ok(file) => {
                    let is_dir = file.metadata().is_ok_and(|meta| meta.is_dir());
                    opened.push(Opened { path: grant.path.clone(), file, is_dir });
                }
                Err(error) => log::debug!("cannot open `{}`: {error}", grant.path.display()),
            }
        }
        OpenedGrants { opened }
    }

    fn find(&self, path: &Path) -> Option<&Opened> {
        self.opened.iter().find(|opened| opened.path == path)
    }
}

/// Builds the ruleset of `policy` for Landlock ABI `abi`. System grants use
/// the files in `system` where it has them. With
/// `CompatLevel::HardRequirement`, a right the kernel lacks is an error.
pub(crate) fn build_ruleset(
    task: &str,
    policy: &Policy,
    system: &OpenedGrants,
    abi: u32,
    level: CompatLevel,
) -> Result<RulesetCreated> {
    let handled = Handled::for_abi(abi, policy.network.unrestricted);
    let fail = |error: RulesetError| {
        Error::sandbox(Some(task), format!("failed to build the ruleset: {error}"))
    };

    let mut ruleset = create(&handled, level).map_err(fail)?;
    let grants = &policy.grants;
    ruleset = if grants.len() < PARALLEL_GRANTS {
        add_grants(task, ruleset, &handled, grants, system)?
    } else {
        add_grants_on_two_threads(task, ruleset, &handled, grants, system)?
    };

    if !handled.net.is_empty() {
        for port in &policy.network.connect {
            ruleset = ruleset.add_rule(NetPort::new(*port, AccessNet::ConnectTcp)).map_err(fail)?;
        }
        for port in &policy.network.bind {
            ruleset = ruleset.add_rule(NetPort::new(*port, AccessNet::BindTcp)).map_err(fail)?;
        }
    }
    Ok(ruleset)
}

/// Creates an empty ruleset that handles `handled`.
pub(crate) fn create(
    handled: &Handled,
    level: CompatLevel,
) -> Result<RulesetCreated, RulesetError> {
    let mut ruleset = Ruleset::default().set_compatibility(level).handle_access(handled.fs)?;
    if !handled.net.is_empty() {
        ruleset = ruleset.handle_access(handled.net)?;
    }
    if !handled.scoped.is_empty() {
        ruleset = ruleset.scope(handled.scoped)?;
    }
    ruleset.create()
}

/// Adds the rules of `grants`, half of them from a second thread through a
/// duplicate of the ruleset descriptor, which shares the kernel's ruleset.
/// When duplicating the descriptor or starting the thread fails, the calling
/// thread adds all of them.
fn add_grants_on_two_threads(
    task: &str,
    ruleset: RulesetCreated,
    handled: &Handled,
    grants: &[Grant],
    system: &OpenedGrants,
) -> Result<RulesetCreated> {
    // The duplicate's record of how far the crate reduced its rules is
    // dropped, but `Handled::rights` never requests more than the ABI has.
    let clone = match ruleset.try_clone() {
        Ok(clone) => clone,
        Err(error) => {
            log::debug!(
                "task `{task}`: failed to duplicate the ruleset, one thread adds its rules: {error}"
            );
            return add_grants(task, ruleset, handled, grants, system);
        }
    };
    let (first, second) = grants.split_at(grants.len() / 2);

    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .spawn_scoped(scope, move || add_grants(task, clone, handled, second, system));
        let helper = match helper {
            Ok(helper) => helper,
            Err(error) => {
                log::debug!(
                    "task `{task}`: failed to start a thread, one thread adds the rules: {error}"
                );
                return add_grants(task, ruleset, handled, grants, system);
            }
        };

        let ruleset = add_grants(task, ruleset, handled, first, system);
        match helper.join() {
            Ok(second_done) => drop(second_done?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        ruleset
    })
}

/// Adds the rules of `grants` to `ruleset`.
fn add_grants(
    task: &str,
    ruleset: RulesetCreated,
    handled: &Handled,
    grants: &[Grant],
    system: &OpenedGrants,
) -> Result<RulesetCreated> {
    let mut ruleset = ruleset;
    let mut sources = SourceOpener::default();
    for grant in grants {
        ruleset = add_grant(task, ruleset, handled, grant, system, &mut sources)?;
    }
    Ok(ruleset)
}

fn add_grant(
    task: &str,
    ruleset: RulesetCreated,
    handled: &Handled,
    grant: &Grant,
    system: &OpenedGrants,
    sources: &mut SourceOpener,
) -> Result<RulesetCreated> {
    if grant.origin == Origin::System
        && let Some(opened) = system.find(&grant.path)
    {
        return add_rule(task, ruleset, handled, grant, &opened.file, opened.is_dir);
    }

    // A source was resolved from the walk's file types, so a link that
    // replaced it since then is opened itself and skipped below.
    let opened = if grant.origin == Origin::Source {
        sources.open(&grant.path)
    } else {
        open_path(&grant.path).map(OwnedFd::from)
    };
    let file: OwnedFd = match opened {
        Ok(file) => file,
        Err(error) => {
            // The path vanished since the policy was built; nothing to grant.
            log::debug!("task `{task}`: grant `{}` skipped: {error}", grant.path.display());
            return Ok(ruleset);
        }
    };
    let file = File::from(file);
    let file_type = match file.metadata() {
        Ok(metadata) => metadata.file_type(),
        Err(error) => {
            log::debug!("task `{task}`: grant `{}` skipped: {error}", grant.path.display());
            return Ok(ruleset);
        }
    };
    // The walk matched regular files only. A source that is now a link or a
    // directory would grant another file or a whole tree.
    if grant.origin == Origin::Source && !file_type.is_file() {
        log::debug!("task `{task}`: source `{}` skipped: no longer a file", grant.path.display());
        return Ok(ruleset);
    }
    add_rule(task, ruleset, handled, grant, file, file_type.is_dir())
}

fn add_rule(
    task: &str,
    ruleset: RulesetCreated,
    handled: &Handled,
    grant: &Grant,
    file: impl AsFd,
    is_dir: bool,
) -> Result<RulesetCreated> {
    let rights = handled.rights(grant.access, is_dir);
    if rights.is_empty() {
        return Ok(ruleset);
    }

    ruleset.add_rule(PathBeneath::new(file, rights)).map_err(|error| {
        Error::sandbox(Some(task), format!("failed to grant `{}`: {error}", grant.path.display()))
    })
}

/// Opens `path` with `O_PATH`, which needs no read permission; std adds
/// `O_CLOEXEC`.
pub(crate) fn open_path(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(path)
}

/// Opens files with `O_PATH | O_NOFOLLOW | O_CLOEXEC` by their name in the
/// directory of the previous file, while consecutive files share one.
#[derive(Default)]
struct SourceOpener {
    dir: Option<(PathBuf, File)>,
}

impl SourceOpener {
    /// Opens `path`; a symbolic link as its last component is opened itself,
    /// not its target.
    fn open(&mut self, path: &Path) -> io::Result<OwnedFd> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            let message = format!("`{}` has no file name", path.display());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        };
        let dir = match self.dir.take() {
            Some((dir_path, dir)) if dir_path == parent => (dir_path, dir),
            _ => (parent.to_owned(), open_path(parent)?),
        };
        let dir = &self.dir.insert(dir).1;

        let name = CString::new(name.as_bytes())?;
        let flags = libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: `dir` is an open descriptor and `name` a NUL-terminated
        // string, both alive for the call.
        let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `openat` returned a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}
