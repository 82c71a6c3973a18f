//! `runner::build` under real cargo builds: the codegen example, the rerun
//! directives cargo records, a sandbox denial reported as `cargo::error`, and
//! a second build that leaves the build script alone.
//!
//! Every build shares one target directory, `target/build-script-tests`, so
//! runner is compiled twice for the whole module and again only when it
//! changes: once as the workspace member the example uses, once as the path
//! dependency of the copied packages, which cargo hashes apart. Each copied
//! package lives at a fixed path below that directory, so cargo reuses its
//! build directories from run to run instead of piling up new ones. Cargo
//! runs with `--offline` on the workspace's `Cargo.lock`, so nothing is
//! fetched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use crate::support::{self, Project, stderr, stdout};

/// Returns the repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate has a parent").into()
}

/// Returns the target directory that every build in this module shares.
fn target_dir() -> PathBuf {
    let base = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(dir).expect("resolve CARGO_TARGET_DIR"),
        None => repo().join("target"),
    };
    base.join("build-script-tests")
}

/// Runs cargo with `args` in `dir` on the shared target directory, without
/// network access and without the caller's `RUNNER_*` variables.
fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_TERM_COLOR", "never");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("RUNNER_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command.output().expect("run cargo")
}

/// Returns both streams of a cargo run, for assertion messages.
fn both(output: &Output) -> String {
    format!("--- stdout\n{}--- stderr\n{}", stdout(output), stderr(output))
}

/// A package at a fixed path below the shared target directory.
struct Package {
    name: String,
    dir: PathBuf,
}

impl Package {
    /// Recreates the package `name` with a `runner` build dependency and
    /// the workspace's lock file.
    fn new(name: &str) -> Package {
        let dir = target_dir().join("packages").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the package directory");
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             publish = false\n\n[build-dependencies]\nrunner = {{ path = {:?} }}\n\n\
             [workspace]\n",
            repo().join("runner")
        );
        let package = Package { name: name.to_string(), dir };
        package.write("Cargo.toml", &manifest);
        std::fs::copy(repo().join("Cargo.lock"), package.dir.join("Cargo.lock"))
            .expect("copy Cargo.lock");
        package
    }

    /// Recreates the package `name` with the files of the codegen example.
    fn codegen(name: &str) -> Package {
        let package = Package::new(name);
        for file in ["build.rs", "schema/colors.txt", "tools/gen.awk", "src/main.rs"] {
            let text = std::fs::read_to_string(repo().join("examples/codegen").join(file))
                .expect("read the codegen example");
            package.write(file, &text);
        }
        package
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write a package file");
    }

    fn build(&self, env: &[(&str, &str)]) -> Output {
        cargo(&self.dir, &["build", "-v"], env)
    }

    /// Runs the package's binary and returns its stdout.
    fn run_binary(&self) -> String {
        let output = Command::new(target_dir().join("debug").join(&self.name))
            .output()
            .expect("run the built binary");
        assert!(output.status.success(), "{}", both(&output));
        stdout(&output)
    }

    /// Returns the directory where cargo keeps the last run of the build
    /// script: `OUT_DIR` in `out`, the script's stdout in `output` and its
    /// stderr in `stderr`.
    fn build_run_dir(&self) -> PathBuf {
        let build = target_dir().join("debug/build");
        let prefix = format!("{}-", self.name);
        let runs = std::fs::read_dir(&build).expect("read the build directory").flatten();
        let runs = runs.filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix));
        let newest = runs
            .filter_map(|entry| {
                let modified = entry.path().join("out").metadata().ok()?.modified().ok()?;
                Some((modified, entry.path()))
            })
            .max();
        newest.expect("a build script run of the package").1
    }

    /// Returns what the last run of the build script wrote to stdout and stderr.
    fn build_script_output(&self) -> (String, String) {
        let dir = self.build_run_dir();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        (read("output"), read("stderr"))
    }
}

/// Returns whether cargo's verbose output shows the package's build script
/// running.
fn ran_build_script(output: &Output, package: &Package) -> bool {
    let run_dir = format!("/build/{}-", package.name);
    stderr(output).lines().any(|line| {
        line.trim_start().starts_with("Running")
            && line.contains(&run_dir)
            && line.contains("/build-script-build")
    })
}

#[test]
fn codegen_example_builds() {
    let output = cargo(&repo(), &["build", "-p", "codegen"], &[]);
    assert!(output.status.success(), "{}", both(&output));

    let binary = Command::new(target_dir().join("debug/codegen")).output().unwrap();
    assert!(binary.status.success(), "{}", both(&binary));
    let printed = stdout(&binary);
    assert!(printed.contains("crimson  #dc143c\n"), "{printed}");
    assert!(printed.contains("gold     #ffd700\n"), "{printed}");
}

#[test]
fn build_script_reruns_only_for_sources() {
    let package = Package::codegen("codegen_rerun");
    package.write("README.md", "not a source\n");

    let first = package.build(&[]);
    assert!(first.status.success(), "{}", both(&first));
    let (directives, _) = package.build_script_output();
    let dir = package.dir.canonicalize().unwrap();
    let expected = [
        format!("cargo::rerun-if-changed={}", dir.join("schema").display()),
        format!("cargo::rerun-if-changed={}", dir.join("schema/colors.txt").display()),
        format!("cargo::rerun-if-changed={}", dir.join("tools/gen.awk").display()),
        "cargo::rerun-if-env-changed=RUNNER_SANDBOX".to_string(),
    ];
    assert_eq!(directives.lines().collect::<Vec<_>>(), expected);

    let unchanged = package.build(&[]);
    assert!(unchanged.status.success(), "{}", both(&unchanged));
    assert!(stderr(&unchanged).contains("Fresh codegen_rerun"), "{}", both(&unchanged));
    assert!(!ran_build_script(&unchanged, &package), "{}", both(&unchanged));

    package.write("README.md", "still not a source\n");
    let main = std::fs::read_to_string(package.path("src/main.rs")).unwrap();
    package.write("src/main.rs", &format!("{main}// An edit outside the sources.\n"));
    let unrelated = package.build(&[]);
    assert!(unrelated.status.success(), "{}", both(&unrelated));
    assert!(stderr(&unrelated).contains("Compiling codegen_rerun"), "{}", both(&unrelated));
    assert!(!ran_build_script(&unrelated, &package), "{}", both(&unrelated));

    let schema = std::fs::read_to_string(package.path("schema/colors.txt")).unwrap();
    package.write("schema/colors.txt", &format!("{schema}plum      221  160    221\n"));
    let edited = package.build(&[]);
    assert!(edited.status.success(), "{}", both(&edited));
    assert!(ran_build_script(&edited, &package), "{}", both(&edited));
    let (_, script_stderr) = package.build_script_output();
    assert!(script_stderr.contains("summary: 1 ran, 0 fresh"), "{script_stderr}");
    assert!(package.run_binary().contains("plum     #dda0dd\n"));

    // Cargo compares mtimes and runner compares contents: a touch reruns
    // the build script, and its task stays fresh.
    let later = SystemTime::now() + Duration::from_secs(2);
    let file = std::fs::File::options().write(true).open(package.path("schema/colors.txt"));
    file.unwrap().set_modified(later).unwrap();
    let touched = package.build(&[]);
    assert!(touched.status.success(), "{}", both(&touched));
    assert!(ran_build_script(&touched, &package), "{}", both(&touched));
    let (_, script_stderr) = package.build_script_output();
    assert!(script_stderr.contains("summary: 0 ran, 1 fresh"), "{script_stderr}");
}

/// A build script whose generator writes its declared output in `OUT_DIR`
/// and a file beside `OUT_DIR`, which it does not declare.
const ESCAPE_BUILD_RS: &str = r##"
use std::path::Path;
use std::process::ExitCode;

use runner::build::Build;
use runner::{cmd, Task};

fn main() -> ExitCode {
    let build = Build::new();
    let generated = build.out("gen.rs");
    let stray = build.out_dir().and_then(Path::parent).unwrap_or(Path::new("")).join("stray.rs");
    build
        .task(
            Task::new("escape")
                .sources(["schema.txt"])
                .generates([generated])
                .sh(r#"cp schema.txt "$OUT_DIR/gen.rs""#)
                .cmd(cmd!("cp", "schema.txt", stray)),
        )
        .main()
}
"##;

#[test]
fn build_script_write_outside_fails() {
    let probe = Project::new().run("sandbox", &["--sandbox=enforce", "-q", "inside"]);
    if !support::landlock_enforced("build_script_write_outside_fails", &probe) {
        return;
    }
    let package = Package::new("codegen_escape");
    package.write("build.rs", ESCAPE_BUILD_RS);
    package.write("schema.txt", "const X: u8 = 1;\n");
    package.write("src/main.rs", "fn main() {}\n");

    // With no denial report, the hint summarizes the grants.
    let output = package.build(&[("RUNNER_SANDBOX", "enforce"), ("RUNNER_DENIALS", "off")]);

    assert!(!output.status.success(), "{}", both(&output));
    let out_dir = package.build_run_dir().join("out");
    let stray = out_dir.parent().unwrap().join("stray.rs");
    assert!(!stray.exists(), "the generator wrote {}", stray.display());
    assert!(out_dir.join("gen.rs").is_file(), "the declared output is missing");

    // Cargo keeps no `output` file of a failed run, but shows the script's
    // stdout in its error report, indented below `--- stdout`.
    let cargo_stderr = stderr(&output);
    let directives: Vec<&str> = cargo_stderr
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "--- stdout")
        .skip(1)
        .take_while(|line| *line != "--- stderr")
        .filter(|line| !line.is_empty())
        .collect();
    let failure = format!(
        "task `escape` failed: command `cp schema.txt {}` exited with code 1",
        stray.display()
    );
    assert!(directives.contains(&format!("cargo::error={failure}").as_str()), "{cargo_stderr}");
    assert!(
        directives.contains(&"cargo::error=sandbox: task `escape` was confined to"),
        "{cargo_stderr}"
    );
    assert!(
        directives.contains(
            &"cargo::error=in a build script, set `RUNNER_SANDBOX=off` in place of `--no-sandbox`"
        ),
        "{cargo_stderr}"
    );
    assert!(directives.iter().all(|line| line.starts_with("cargo::error=")), "{cargo_stderr}");
    assert!(
        cargo_stderr.contains(&format!("error: codegen_escape@0.1.0: {failure}\n")),
        "{cargo_stderr}"
    );
}
