//! The peers our runner is compared with: GNU make, go-task 3.54 and just.
//!
//! Each is looked up once, on first use, and never installed. make must be
//! on `PATH`. go-task is the `task` binary of PyPI's `go-task-bin` package,
//! and just is the `just` binary of PyPI's `rust-just` package or of
//! `cargo install just`. A pyenv or virtualenv shim in front of a pip-installed
//! binary is a shell script that would add its own start-up to every sample,
//! so both are taken from Python's scripts directory first and from `PATH`
//! only after that. A missing peer, or a go-task of another version, is
//! reported with the command that installs it, and the benchmarks go on
//! without its rows.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The go-task version the targets were set against.
const GO_TASK_VERSION: &str = "3.54.0";

/// The command that installs go-task 3.54.
const GO_TASK_INSTALL: &str = "pip install go-task-bin==3.54.0";

/// A peer program found on this machine.
#[derive(Clone, Debug)]
pub struct Peer {
    pub path: PathBuf,
    /// The first line of its version output.
    pub version: String,
}

/// The peers, each looked up on first use.
#[derive(Default)]
pub struct Peers {
    make: OnceCell<Result<Peer, String>>,
    go_task: OnceCell<Result<Peer, String>>,
    just: OnceCell<Result<Peer, String>>,
}

impl Peers {
    /// Returns GNU make, or why it is unavailable.
    pub fn make(&self) -> Result<&Peer, &str> {
        lookup(&self.make, "make", || {
            let path = find_on_path("make")
                .ok_or("`make` was not found on PATH: install GNU make (`apt-get install make`)")?;
            let version = version_line(&path, "--version")?;
            Ok(Peer { path, version })
        })
    }

    /// Returns go-task 3.54, or why it is unavailable.
    pub fn go_task(&self) -> Result<&Peer, &str> {
        lookup(&self.go_task, "go-task", find_go_task)
    }

    /// Returns just, of any version, or why it is unavailable.
    pub fn just(&self) -> Result<&Peer, &str> {
        lookup(&self.just, "just", || {
            let path = find_binary("just").ok_or_else(|| {
                "`just` was not found on PATH: install it with `pip install rust-just` or \
                 `cargo install just`"
                    .to_string()
            })?;
            let version = version_line(&path, "--version")?;
            Ok(Peer { path, version })
        })
    }

    /// Describes every peer, one line each, for the report.
    pub fn describe(&self) -> Vec<String> {
        let peers = [("make", self.make()), ("go-task", self.go_task()), ("just", self.just())];
        peers
            .into_iter()
            .map(|(name, peer)| match peer {
                Ok(peer) => format!("{name}: {} (`{}`)", peer.version, peer.path.display()),
                Err(reason) => format!("{name}: missing, so its rows are left out: {reason}"),
            })
            .collect()
    }
}

/// Looks a peer up once with `find`, and prints why it is missing the first
/// time a lookup fails.
fn lookup<'a>(
    cell: &'a OnceCell<Result<Peer, String>>,
    name: &str,
    find: impl FnOnce() -> Result<Peer, String>,
) -> Result<&'a Peer, &'a str> {
    let found = cell.get_or_init(|| {
        let found = find();
        if let Err(reason) = &found {
            eprintln!("bench: {name} is missing, so its rows are left out: {reason}");
        }
        found
    });
    found.as_ref().map_err(String::as_str)
}

/// Finds a `task` binary of the expected version.
fn find_go_task() -> Result<Peer, String> {
    let mut candidates: Vec<PathBuf> =
        python_scripts_dir().into_iter().map(|dir| dir.join("task")).collect();
    candidates.extend(find_on_path("task"));
    let mut reasons = Vec::new();
    for path in candidates.into_iter().filter(|path| is_executable(path)) {
        match version_line(&path, "--version") {
            Ok(version) if version.contains(GO_TASK_VERSION) => return Ok(Peer { path, version }),
            Ok(version) => reasons.push(format!("`{}` is version `{version}`", path.display())),
            Err(reason) => reasons.push(reason),
        }
    }
    if reasons.is_empty() {
        return Err(format!("go-task (`task`) was not found: install it with `{GO_TASK_INSTALL}`"));
    }
    Err(format!(
        "no go-task {GO_TASK_VERSION} was found ({}): install it with `{GO_TASK_INSTALL}`",
        reasons.join("; ")
    ))
}

/// Returns `name` from Python's scripts directory, else from `PATH`.
fn find_binary(name: &str) -> Option<PathBuf> {
    let in_scripts = python_scripts_dir().map(|dir| dir.join(name));
    in_scripts.filter(|path| is_executable(path)).or_else(|| find_on_path(name))
}

/// Returns the directory where pip puts the scripts of the current `python3`.
fn python_scripts_dir() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// Returns the first executable file named `name` in a directory of `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Runs `program flag` and returns the first line of its output.
fn version_line(program: &Path, flag: &str) -> Result<String, String> {
    let output = Command::new(program)
        .arg(flag)
        .output()
        .map_err(|err| format!("failed to run `{} {flag}`: {err}", program.display()))?;
    if !output.status.success() {
        return Err(format!("`{} {flag}` {}", program.display(), output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}
