//! The bench program's hidden subcommands and command line, run as processes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench")).args(args).output().expect("failed to run bench")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn runner_child_runs_spawn_graph() {
    let dir = temp_dir("runner-child");
    let root = dir.to_str().unwrap();
    let output = bench(&["__runner", "spawn", root, "--sandbox", "off", "-j1", "one"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("1 ran"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn runner_child_rejects_unknown_graph() {
    let output = bench(&["__runner", "nothing", "/tmp", "one"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown graph `nothing`"), "{stderr}");
}

#[test]
fn plan_child_writes_planned_count() {
    let dir = temp_dir("plan-child");
    let out = dir.join("plan.out");
    let output = bench(&["__plan", "100", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let text = std::fs::read_to_string(&out).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{text}");
    assert_eq!(fields[0], "10001");
    assert!(fields[2].parse::<u64>().unwrap() > 0, "{text}");
    assert!(fields[3].parse::<u64>().is_ok(), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_benchmark_exits_2() {
    let output = bench(&["schedular"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown benchmark `schedular`"), "{stderr}");
}

#[test]
fn plan_child_rejects_invalid_layers() {
    let output = bench(&["__plan", "none", "/dev/null"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid number of layers `none`"), "{stderr}");
}

#[test]
fn runner_child_runs_chain_graph() {
    let dir = temp_dir("chain-child");
    let root = dir.to_str().unwrap();
    let output = bench(&["__runner", "chain:5", root, "--sandbox", "off", "-j2", "c4"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("5 ran"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn learn_without_strace_is_skipped() {
    let dir = temp_dir("learn-skip");
    let out = dir.join("learn.md");
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--quick", "--out", out.to_str().unwrap(), "learn"])
        .env("PATH", &empty)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("`strace` was not found on PATH"), "{stderr}");

    let report = std::fs::read_to_string(&out).unwrap();
    assert!(report.contains("\n## Learn: a clean `cargo build`"), "{report}");
    assert!(report.contains("so this section was skipped: install it with `apt install strace`"));
    assert!(!report.contains("| learn build |"), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs the whole quick mode, peers or not, and checks that the report has
/// every part. Missing go-task or just must be reported, never fatal.
#[test]
fn quick_mode_writes_every_section() {
    let dir = temp_dir("quick");
    let out = dir.join("quick.md");
    let output = bench(&["--quick", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let report = std::fs::read_to_string(&out).unwrap();
    assert!(report.starts_with("# Benchmarks (quick mode)\n"), "{report}");
    for heading in [
        "## How to run",
        "## Method",
        "## Results",
        "## Scheduler: 200 independent `/bin/true` tasks",
        "## Chain: 100 tasks",
        "## Start-up: `--list`",
        "## Planning: 1000 tasks",
        "## Spawn: one `/bin/true`",
        "## Freshness: a no-op check over 2000 files",
        "## Learn: a clean `cargo build` with and without `--learn`",
        "## What profiling found and changed",
    ] {
        assert!(report.contains(&format!("\n{heading}")), "missing `{heading}`:\n{report}");
    }
    for line in ["- command: `", "- machine: ", "- make: ", "- go-task: ", "- just: "] {
        assert!(report.contains(line), "missing `{line}`:\n{report}");
    }
    assert!(report.contains("| contender | median | min | p90 | max | CPU (user+sys) |"));

    let ratio = report
        .lines()
        .find(|line| line.starts_with("| runner / find -printf | "))
        .unwrap_or_else(|| panic!("no ratio line against find:\n{report}"));
    let cells: Vec<&str> = ratio.split('|').map(str::trim).collect();
    assert!(cells[2].ends_with('x'), "{ratio}");
    assert!(cells[2].trim_end_matches('x').parse::<f64>().unwrap() > 0.0, "{ratio}");
    assert!(
        report.lines().any(|line| line.starts_with("| runner within 1.3x of find -printf | ")),
        "no verdict against find:\n{report}"
    );

    // Without strace the learn section is a skip line, never an error.
    if on_path("strace") {
        let ratio = report
            .lines()
            .find(|line| line.starts_with("| learn build / plain build | "))
            .unwrap_or_else(|| panic!("no ratio of learn to plain:\n{report}"));
        let cells: Vec<&str> = ratio.split('|').map(str::trim).collect();
        assert!(cells[2].trim_end_matches('x').parse::<f64>().unwrap() > 0.0, "{ratio}");
        assert!(report.contains("succeeded under strace"), "{report}");
    } else {
        assert!(report.contains("install it with `apt install strace`"), "{report}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Checks whether a file named `name` is in a directory of `PATH`.
fn on_path(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(name).is_file())
}
