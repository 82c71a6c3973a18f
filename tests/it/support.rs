//! Test fixtures: a temporary project directory and the fixture runner.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary project directory, removed when dropped.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::Builder::new().prefix("runner-it-").tempdir().expect("temp dir");
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, relative: &str, text: &str) -> &Project {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(path, text).expect("write file");
        self
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).unwrap_or_default()
    }

    /// Returns the lines of the `marks` file the fixture's tasks append to.
    pub fn marks(&self) -> Vec<String> {
        self.read("marks").lines().map(str::to_string).collect()
    }

    /// Returns a command that runs the fixture `scenario` in this project.
    pub fn fixture(&self, scenario: &str) -> Command {
        let mut command = Command::new(fixture_path());
        command.arg(scenario).current_dir(self.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("RUNNER_") {
                command.env_remove(key);
            }
        }
        command
    }

    /// Runs the fixture `scenario` with `args` and returns its output.
    pub fn run(&self, scenario: &str, args: &[&str]) -> Output {
        self.fixture(scenario).args(args).output().expect("run the fixture")
    }
}

pub fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixture"))
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Lists every path below `dir`, relative, with file contents, so two
/// snapshots compare equal only when nothing was written.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut entries = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&current) else { continue };
        for entry in read.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                entries.push((relative, Vec::new()));
                stack.push(path);
            } else {
                entries.push((relative, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    entries.sort();
    entries
}

/// Returns whether a probe run with `--sandbox=enforce` succeeded. Otherwise
/// prints that `test` is skipped, or fails the test when
/// `RUNNER_TEST_REQUIRE_LANDLOCK=1` requires Landlock.
pub fn landlock_enforced(test: &str, probe: &Output) -> bool {
    if probe.status.success() {
        return true;
    }
    let reason = stderr(probe);
    if std::env::var_os("RUNNER_TEST_REQUIRE_LANDLOCK").is_some_and(|value| value == "1") {
        panic!("{test}: Landlock is required by RUNNER_TEST_REQUIRE_LANDLOCK=1: {reason}");
    }
    eprintln!("SKIPPED {test}: the sandbox cannot enforce here: {reason}");
    false
}
