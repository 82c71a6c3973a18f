//! Running Taskfile commands with bash.
//!
//! go-task runs every command in its embedded mvdan.cc/sh interpreter. This
//! importer runs `bash -c` instead, falling back to `sh -c` when bash is not
//! on `PATH`. Each command is one script that starts with `set -e` (go-task
//! always has errexit on), then the `set:` entries as `set -o NAME` or
//! `set -X`, then the `shopt:` entries as `shopt -s NAME`. `$0` is `gosh`,
//! as in go-task, so scripts that print it behave the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Returns the shell program used for every command.
pub(crate) fn shell_program() -> &'static Path {
    static SHELL: OnceLock<PathBuf> = OnceLock::new();
    SHELL.get_or_init(|| find_on_path("bash").unwrap_or_else(|| PathBuf::from("/bin/sh")))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Builds the script for one command: errexit, the shell options, then the
/// command text.
pub(crate) fn script(cmd: &str, set: &[String], shopt: &[String]) -> String {
    let mut script = String::from("set -e\n");
    for option in set {
        let option = option.trim();
        if option.len() == 1 {
            script.push_str(&format!("set -{option}\n"));
        } else {
            script.push_str(&format!("set -o {option}\n"));
        }
    }
    if shell_program().ends_with("bash") {
        for option in shopt {
            script.push_str(&format!("shopt -s {}\n", option.trim()));
        }
    }
    script.push_str(cmd);
    script
}

/// Creates the process for `script`, run in `dir` with `env` added to the
/// inherited environment.
pub(crate) fn command(script: &str, dir: &Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(shell_program());
    command.arg("-c").arg(script).arg("gosh").current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Formats an exit status the way Go's `exec.ExitError` does.
pub(crate) fn describe_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {}", signal_name(signal));
        }
    }
    format!("exit status {}", status.code().unwrap_or(1))
}

#[cfg(unix)]
fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "interrupt".to_string(),
        libc::SIGTERM => "terminated".to_string(),
        libc::SIGKILL => "killed".to_string(),
        libc::SIGHUP => "hangup".to_string(),
        libc::SIGPIPE => "broken pipe".to_string(),
        other => format!("signal {other}"),
    }
}
