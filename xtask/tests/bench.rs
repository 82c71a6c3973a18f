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
    let output = bench(&["__plan", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let text = std::fs::read_to_string(&out).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields.len(), 3, "{text}");
    assert_eq!(fields[0], "10001");
    assert!(fields[2].parse::<u64>().unwrap() > 0, "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_benchmark_exits_2() {
    let output = bench(&["schedular"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown benchmark `schedular`"), "{stderr}");
}
