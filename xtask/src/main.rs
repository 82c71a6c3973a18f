//! This repository's own tasks, run with `cargo xtask`.
//!
//! `cargo xtask ci` is the main job: the format check, clippy with warnings
//! denied, the tests and the documentation build, each a runner task that
//! declares what it reads and writes. Cargo serialises the tasks that share
//! `target/` through its own build lock, so running them with several jobs is
//! safe. The tasks run in enforce mode: a run fails before starting anything
//! when the kernel cannot enforce their whole Landlock policy.
//!
//! `cargo xtask bench` builds this package's binaries in release mode and
//! runs the benchmark program (`xtask/src/bin/bench/`), which compares the
//! runner with GNU make, go-task, just and find and writes
//! `docs/benchmarks.md`. The arguments after `bench` go to the benchmark
//! program: `cargo xtask bench --quick` runs the small workloads and writes
//! `target/bench/quick.md`, and `cargo xtask bench scheduler` runs one
//! benchmark.

use std::ffi::OsString;
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
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let bench_args = match args.iter().position(|arg| arg == "bench") {
        Some(index) => args.split_off(index + 1),
        None => Vec::new(),
    };
    let runner = tasks(&bench_args);
    if bench_args.is_empty() {
        return runner.main();
    }

    // `Runner::main` would parse the bench program's arguments as its own, so
    // the runner gets the arguments up to `bench` through `run`.
    // NOTE: `run` installs no logger, so `-v` prints no log lines here.
    match runner.run(&args) {
        Ok(report) => ExitCode::from(report.exit_code()),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Declares this repository's tasks; `bench_args` go to the bench program.
fn tasks(bench_args: &[OsString]) -> Runner {
    let mut bench_command = String::from("cargo xtask bench");
    for arg in bench_args {
        bench_command.push(' ');
        bench_command.push_str(&arg.to_string_lossy());
    }

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
                .doc("Run the benchmarks against make, go-task, just and find")
                .generates(["target/", "docs/benchmarks.md"])
                .scopes(WORKSPACE_PATHS.map(Scope::read))
                .scopes([
                    Scope::rust_toolchain(),
                    Scope::git_config(),
                    Scope::program("make"),
                    Scope::program("find"),
                    Scope::program("true"),
                    // just runs each recipe line with `sh -cu`.
                    Scope::program("sh"),
                    // go-task and just from pip live in Python's prefix, and `cargo install
                    // just` puts just in cargo's, both granted read-only.
                    Scope::python3(),
                    Scope::proc(),
                ])
                .env("BENCH_COMMAND", bench_command)
                // The start-up benchmark times the release `xtask` binary, so it is built too.
                .cmd(cmd!("cargo", "build", "--release", "-p", "xtask", "--bins"))
                .cmd(
                    cmd!("cargo", "run", "--release", "-p", "xtask", "--bin", "bench", "--")
                        .args(bench_args),
                ),
        )
        .task(
            Task::new("ci")
                .doc("Run every check of the main job")
                .deps(["fmt", "clippy", "test", "doc"]),
        )
}
