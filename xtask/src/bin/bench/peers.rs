//! The peers our runner is compared with: GNU make and go-task 3.54.
//!
//! Each is looked up once, on first use. make must be on `PATH`. go-task is
//! the `task` binary of the `go-task-bin` package on PyPI. A pyenv or virtualenv
//! shim in front of it is a shell script that would add its own start-up to
//! every sample, so the binary is taken from Python's scripts directory first
//! and from `PATH` only after that. When it is missing or another version, the
//! bench installs `go-task-bin==3.54.0` with `python3 -m pip`; when that fails
//! too, the go-task contenders are skipped with the reason.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The go-task version the targets were set against.
const GO_TASK_VERSION: &str = "3.54.0";

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
}

impl Peers {
    /// Returns GNU make, or why it is unavailable.
    pub fn make(&self) -> Result<&Peer, &str> {
        let found = self.make.get_or_init(|| {
            let path = find_on_path("make").ok_or("`make` was not found on PATH")?;
            let version = version_line(&path, "--version")?;
            Ok(Peer { path, version })
        });
        found.as_ref().map_err(String::as_str)
    }

    /// Returns go-task 3.54, installing it if needed, or why it is unavailable.
    pub fn go_task(&self) -> Result<&Peer, &str> {
        let found = self.go_task.get_or_init(|| match find_go_task() {
            Ok(peer) => Ok(peer),
            Err(reason) => {
                eprintln!("bench: {reason}; installing go-task-bin=={GO_TASK_VERSION} with pip");
                install_go_task()?;
                find_go_task()
            }
        });
        found.as_ref().map_err(String::as_str)
    }

    /// Describes the peers that were looked up, one line each, for the report.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, peer) in [("make", self.make.get()), ("go-task", self.go_task.get())] {
            match peer {
                Some(Ok(peer)) => {
                    lines.push(format!("{name}: {} (`{}`)", peer.version, peer.path.display()));
                }
                Some(Err(reason)) => lines.push(format!("{name}: skipped: {reason}")),
                None => {}
            }
        }
        lines
    }
}

/// Finds a `task` binary of the expected version.
fn find_go_task() -> Result<Peer, String> {
    let mut candidates: Vec<PathBuf> =
        python_scripts_dir().into_iter().map(|dir| dir.join("task")).collect();
    candidates.extend(find_on_path("task"));
    let mut reasons = Vec::new();
    for path in candidates.into_iter().filter(|path| path.is_file()) {
        match version_line(&path, "--version") {
            Ok(version) if version.contains(GO_TASK_VERSION) => return Ok(Peer { path, version }),
            Ok(version) => reasons.push(format!("`{}` is version `{version}`", path.display())),
            Err(reason) => reasons.push(reason),
        }
    }
    if reasons.is_empty() {
        return Err("go-task (`task`) was not found".to_string());
    }
    Err(format!("no go-task {GO_TASK_VERSION} was found: {}", reasons.join("; ")))
}

fn install_go_task() -> Result<(), String> {
    let status = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", &format!("go-task-bin=={GO_TASK_VERSION}")])
        .status()
        .map_err(|err| format!("failed to run `python3 -m pip`: {err}"))?;
    if !status.success() {
        return Err(format!("`python3 -m pip install go-task-bin=={GO_TASK_VERSION}` {status}"));
    }
    Ok(())
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
