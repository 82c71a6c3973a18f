//! The start-up benchmark: listing the tasks of a small project.
//!
//! The first contender is this repository's own `xtask` binary, run directly
//! with `--list`. It is the binary next to this program, so a release build
//! when the bench is one. `cargo xtask --list` through cargo is for
//! reference: it adds cargo's start-up and its check that the binary is
//! fresh. The peers are `task --list` and `just --list` over a Taskfile and
//! a justfile that declare the same six tasks with the same descriptions. Every contender
//! parses its definitions and prints a list, and none runs a task.
//!
//! Quick mode leaves out `cargo xtask --list`: the quick run is also a test,
//! and a cargo started inside `cargo test` waits for the build directory lock
//! that the outer cargo holds.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::Bench;
use crate::contender::Contender;
use crate::report::Section;
use crate::rounds;
use crate::scheduler::write_file;

const XTASK: &str = "xtask --list";
const CARGO_XTASK: &str = "cargo xtask --list";
const GO_TASK: &str = "task --list";
const JUST: &str = "just --list";

/// The tasks of this repository's xtask binary and their descriptions, which
/// the Taskfile and justfile repeat, each with the command it runs.
const TASKS: [(&str, &str, &str); 6] = [
    ("fmt", "Check that the code is formatted", "cargo fmt --all -- --check"),
    (
        "clippy",
        "Run clippy on every target with warnings denied",
        "cargo clippy --workspace --all-targets -- -D warnings",
    ),
    ("test", "Run the unit and integration tests", "cargo test --workspace"),
    ("doc", "Build the documentation with warnings denied", "cargo doc --workspace --no-deps"),
    (
        "bench",
        "Run the benchmarks against make, go-task, just and find",
        "cargo run --release -p xtask --bin bench",
    ),
    ("ci", "Run every check of the main job", ""),
];

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let dir = bench.work_dir("startup")?;
    let mut section = Section::new(
        "Start-up: `--list` of a six-task project",
        "Wall time of listing the tasks of this repository's own `xtask` binary, run \
         directly and through `cargo xtask`, against `task --list` and `just --list` over \
         files that declare the same six tasks with the same descriptions. Target: none is \
         set for start-up, so the ratios are for information.",
    );

    let mut contenders = Vec::new();
    let xtask = bench.exe.with_file_name("xtask");
    if xtask.is_file() {
        contenders.push(Contender::new(XTASK, &xtask, ["--list"], &bench.repo).log_in(&dir));
    } else {
        section.notes.push(format!(
            "`{}` is missing, so its row is left out: build it with `cargo build --release -p \
             xtask`.",
            xtask.display()
        ));
    }
    if bench.quick {
        section.notes.push(
            "Quick mode leaves out `cargo xtask --list`, because a cargo started inside \
             `cargo test` waits for the outer cargo's build lock."
                .to_string(),
        );
    } else {
        match crate::peers::find_on_path("cargo") {
            Some(cargo) => {
                let args = ["xtask", "--list"];
                let contender = Contender::new(CARGO_XTASK, cargo, args, &bench.repo);
                contenders.push(contender.log_in(&dir));
            }
            None => section.notes.push("`cargo` was not found on PATH.".to_string()),
        }
    }
    match bench.peers.go_task() {
        Ok(go_task) => {
            write_file(&dir.join("Taskfile.yml"), &taskfile())?;
            contenders.push(Contender::new(GO_TASK, &go_task.path, ["--list"], &dir));
        }
        Err(reason) => section.notes.push(format!("go-task is missing: {reason}")),
    }
    match bench.peers.just() {
        Ok(just) => {
            write_file(&dir.join("justfile"), &justfile())?;
            contenders.push(Contender::new(JUST, &just.path, ["--list"], &dir));
        }
        Err(reason) => section.notes.push(format!("just is missing: {reason}")),
    }

    if xtask.is_file() {
        check_lists_every_task(&xtask, &bench.repo)?;
    }
    let samples = rounds::interleave(&contenders, bench.warmup(3), bench.rounds(21), |_| Ok(()))?;
    section.add_samples(&contenders, &samples);
    section.add_ratios(&[XTASK, CARGO_XTASK], &[GO_TASK, JUST]);
    Ok(section)
}

/// Checks that `xtask --list`, run in `repo`, lists every task of `TASKS`,
/// so all contenders list the same project.
fn check_lists_every_task(xtask: &Path, repo: &Path) -> Result<(), String> {
    let output = Command::new(xtask)
        .arg("--list")
        .current_dir(repo)
        .output()
        .map_err(|err| format!("failed to run `{} --list`: {err}", xtask.display()))?;
    let listed = String::from_utf8_lossy(&output.stdout);
    let missing: Vec<&str> =
        TASKS.iter().map(|(name, _, _)| *name).filter(|name| !listed.contains(name)).collect();
    if !output.status.success() || !missing.is_empty() {
        return Err(format!(
            "`{} --list` {} and did not list {missing:?}: update `TASKS` in the start-up \
             benchmark to match the xtask binary",
            xtask.display(),
            output.status
        ));
    }
    Ok(())
}

/// Returns a Taskfile with the six tasks, each with its description.
fn taskfile() -> String {
    let mut text = String::from("version: '3'\n\ntasks:\n");
    for (name, doc, command) in TASKS {
        let _ = writeln!(text, "  {name}:\n    desc: {doc}");
        if command.is_empty() {
            text.push_str("    deps: [fmt, clippy, test, doc]\n");
        } else {
            let _ = writeln!(text, "    cmds:\n      - {command}");
        }
    }
    text
}

/// Returns a justfile with the six recipes, each with its doc comment.
fn justfile() -> String {
    let mut text = String::new();
    for (name, doc, command) in TASKS {
        if command.is_empty() {
            let _ = writeln!(text, "# {doc}\n{name}: fmt clippy test doc\n");
        } else {
            let _ = writeln!(text, "# {doc}\n{name}:\n    {command}\n");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taskfile_describes_every_task() {
        let text = taskfile();
        assert_eq!(text.matches("    desc: ").count(), TASKS.len());
        assert!(text.contains("  ci:\n    desc: Run every check of the main job\n    deps: ["));
        assert!(text.contains("  fmt:\n    desc: Check that the code is formatted\n    cmds:\n"));
    }

    #[test]
    fn justfile_documents_every_recipe() {
        let text = justfile();
        assert_eq!(text.matches("\n# ").count() + 1, TASKS.len());
        assert!(text.contains("# Run every check of the main job\nci: fmt clippy test doc\n"));
        assert!(text.starts_with("# Check that the code is formatted\nfmt:\n    cargo fmt"));
    }
}
