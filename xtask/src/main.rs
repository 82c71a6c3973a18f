//! This repository's own tasks, run with `cargo xtask`.
//!
//! `cargo xtask ci` is the main job: the format check, clippy with warnings
//! denied, the tests and the documentation build, each a runner task that
//! declares what it reads and writes. Cargo serialises the tasks that share
//! `target/` through its own build lock, so running them with several jobs is
//! safe. The tasks run in enforce mode: a run fails before starting anything
//! when the kernel cannot enforce their whole Landlock policy.
//!
//! `cargo xtask bench` builds and runs the benchmark program in release mode
//! (`xtask/src/bin/bench/`), which compares the runner with GNU make, go-task
//! and find and writes `target/bench/report.md`. To run one benchmark, run the
//! program directly: `cargo run --release -p xtask --bin bench -- scheduler`.

use std::process::ExitCode;

use runner::{Runner, SandboxMode, Scope, Task, cmd};

/// The files every cargo task of this workspace reads.
const WORKSPACE_SOURCES: [&str; 15] = [
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    "rustfmt.toml",
    "runner/**/*.rs",
    "runner/Cargo.toml",
    "xtask/**/*",
    "examples/Cargo.toml",
    "examples/**/*.rs",
    "examples/quickstart/words/*",
    "examples/codegen/Cargo.toml",
    "examples/codegen/schema/*",
    "examples/codegen/tools/*",
    "tests/**/*",
    "README.md",
];

/// The paths cargo reads to build the workspace, for a task without sources.
const WORKSPACE_PATHS: [&str; 8] =
    ["Cargo.toml", "Cargo.lock", ".cargo", "rustfmt.toml", "runner", "xtask", "examples", "tests"];

/// Declares a cargo task over the whole workspace. HTTPS is allowed so that
/// cargo can download crates that a fresh machine has not fetched yet.
fn cargo_task(name: &str, doc: &str) -> Task {
    Task::new(name).doc(doc).sources(WORKSPACE_SOURCES).generates(["target/"]).scopes([
        Scope::rust_toolchain(),
        Scope::git_config(),
        Scope::tcp_connect(443),
    ])
}

fn main() -> ExitCode {
    Runner::new()
        .default_sandbox(SandboxMode::Enforce)
        .task(
            Task::new("fmt")
                .doc("Check that the code is formatted")
                .sources(WORKSPACE_SOURCES)
                .scopes([Scope::rust_toolchain()])
                .cmd(cmd!("cargo", "fmt", "--all", "--", "--check")),
        )
        .task(cargo_task("clippy", "Run clippy on every target with warnings denied").cmd(cmd!(
            "cargo",
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings"
        )))
        .task(
            cargo_task("test", "Run the unit and integration tests")
                .scopes([Scope::python3(), Scope::network(), Scope::proc(), Scope::terminal()])
                .cmd(cmd!("cargo", "test", "--workspace")),
        )
        .task(
            cargo_task("doc", "Build the documentation with warnings denied")
                .env("RUSTDOCFLAGS", "-D warnings")
                .cmd(cmd!("cargo", "doc", "--workspace", "--no-deps")),
        )
        .task(
            // The workspace is granted as scopes, not sources, so the task has no sources
            // and runs every time: a benchmark has no inputs to be fresh against.
            Task::new("bench")
                .doc("Run the benchmarks against make, go-task and find")
                .generates(["target/"])
                .scopes(WORKSPACE_PATHS.map(Scope::read))
                .scopes([
                    Scope::rust_toolchain(),
                    Scope::git_config(),
                    Scope::program("make"),
                    Scope::program("find"),
                    Scope::program("true"),
                    // go-task from pip's go-task-bin package lives in Python's prefix. The task
                    // may not write there, so the bench cannot install go-task from this task.
                    Scope::python3(),
                    Scope::proc(),
                ])
                .cmd(cmd!("cargo", "run", "--release", "-p", "xtask", "--bin", "bench")),
        )
        .task(
            Task::new("ci")
                .doc("Run every check of the main job")
                .deps(["fmt", "clippy", "test", "doc"]),
        )
        .main()
}
