//! The learn benchmark: what `--learn` costs on a clean `cargo build`.
//!
//! The workload is a crate with no dependencies and one `src/main.rs`,
//! generated into a temporary directory and declared as the task `build` of
//! the `learn` graph, which builds it offline into its own `target/`. The
//! contenders are a plain run of that task (`-f build`) and a learn run
//! (`-f --learn build`), which runs the same build unconfined under strace
//! and then analyses the trace. Both run with `--sandbox off`, because learn
//! mode never confines the task it traces. The default `warn` mode would
//! build a ruleset for the plain run only, so with the sandbox off in both
//! the difference is strace and the analysis alone.
//!
//! The crate's `target/` is removed before every run, outside the timed
//! region, so each sample is a clean build and both contenders do the same
//! work. The CPU time includes cargo, rustc and strace, since all are
//! descendants of the timed process.
//!
//! The section is skipped, with the command that installs it, when strace
//! is not on `PATH`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Bench;
use crate::contender::Contender;
use crate::report::Section;
use crate::rounds;
use crate::scheduler::write_file;

const PLAIN: &str = "plain build";
const LEARN: &str = "learn build";

/// The crate's name, and so the name of the binary it builds.
const CRATE: &str = "tiny";

/// The timed rounds of a full run, and of quick mode.
const ROUNDS: usize = 11;
const QUICK_ROUNDS: usize = 2;

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let logs = bench.work_dir("learn")?;
    let mut section = Section::new(
        "Learn: a clean `cargo build` with and without `--learn`",
        "Wall time of a runner invocation whose one task builds a one-file crate with no \
         dependencies from scratch, run plainly and in learn mode (`--learn`). Learn mode runs \
         the build unconfined under strace and then derives the task's declarations from the \
         trace. Both run with the sandbox off, so the difference is strace and the analysis. \
         The crate's `target/` is removed before every run, untimed. Target: none, because \
         learn mode is opt-in. Expect learn mode to take about twice as long, because strace \
         stops the build's processes at every traced call.",
    );

    let Some(strace) = crate::peers::find_on_path("strace") else {
        let reason = "`strace` was not found on PATH, so this section was skipped: install it \
                      with `apt install strace`";
        eprintln!("bench: {reason}");
        section.notes.push(format!("{reason}."));
        return Ok(section);
    };
    if crate::peers::find_on_path("cargo").is_none() {
        section.notes.push("`cargo` was not found on PATH, so this section was skipped.".into());
        return Ok(section);
    }

    let project = TempCrate::create()?;
    let dir = project.path();
    let dir_arg = dir.to_string_lossy().into_owned();
    let plain_args = ["__runner", "learn", &dir_arg, "-q", "--sandbox", "off", "-f", "build"];
    let learn_args =
        ["__runner", "learn", &dir_arg, "-q", "--sandbox", "off", "-f", "--learn", "build"];
    let contenders = [
        Contender::new(PLAIN, &bench.exe, plain_args, dir).log_in(&logs),
        Contender::new(LEARN, &bench.exe, learn_args, dir).log_in(&logs),
    ];

    // The first build writes `Cargo.lock`, so no timed run writes it.
    contenders[0].run()?;
    let first_line = check_learn_run(bench, dir)?;
    section.notes.push(format!(
        "The learn run's report, checked before timing, begins: \"{first_line}\" (strace: \
         `{}`).",
        strace.display()
    ));
    let warmup = bench.warmup(2);
    let rounds = bench.rounds(bench.size(ROUNDS, QUICK_ROUNDS));
    let samples = rounds::interleave_each(&contenders, warmup, rounds, |_| project.clean())?;
    section.add_samples(&contenders, &samples);
    section.add_ratios(&[LEARN], &[PLAIN]);
    Ok(section)
}

/// Runs the learn contender once with its output captured and checks that
/// strace traced a successful clean build that left its binary in the
/// crate's own `target/`. Returns the first line of the learn report.
fn check_learn_run(bench: &Bench, dir: &Path) -> Result<String, String> {
    std::fs::remove_dir_all(dir.join("target")).or_else(ignore_not_found(dir))?;
    let output = Command::new(&bench.exe)
        .args(["__runner", "learn"])
        .arg(dir)
        .args(["-q", "--sandbox", "off", "-f", "--learn", "build"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("failed to run the learn contender: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first_line = stdout.lines().next().unwrap_or("").to_string();
    if !output.status.success() || !first_line.starts_with("learn: task `build` succeeded") {
        return Err(format!(
            "the learn run of the crate in `{}` {} and did not report a successful traced \
             build:\n{stdout}{stderr}",
            dir.display(),
            output.status
        ));
    }

    let binary = dir.join("target/debug").join(CRATE);
    if !binary.is_file() {
        return Err(format!(
            "the learn run did not build `{}`: check that `CARGO_TARGET_DIR` in the `learn` \
             graph points into the crate",
            binary.display()
        ));
    }
    Ok(first_line)
}

/// The generated crate in a temporary directory, removed on drop.
struct TempCrate {
    dir: PathBuf,
}

impl TempCrate {
    /// Writes `Cargo.toml` and `src/main.rs` into a new temporary directory.
    /// The manifest declares its own `[workspace]`, so cargo never joins it
    /// to a workspace in a directory above it.
    fn create() -> Result<TempCrate, String> {
        let dir = std::env::temp_dir().join(format!("runner-bench-learn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let src = dir.join("src");
        std::fs::create_dir_all(&src)
            .map_err(|err| format!("failed to create `{}`: {err}", src.display()))?;
        let project = TempCrate { dir };
        let manifest = format!(
            "[package]\nname = \"{CRATE}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [workspace]\n"
        );
        write_file(&project.dir.join("Cargo.toml"), &manifest)?;
        write_file(&src.join("main.rs"), MAIN_RS)?;
        Ok(project)
    }

    fn path(&self) -> &Path {
        &self.dir
    }

    /// Removes the crate's `target/`, so the next build starts from scratch.
    fn clean(&self) -> Result<(), String> {
        std::fs::remove_dir_all(self.dir.join("target")).or_else(ignore_not_found(&self.dir))
    }
}

impl Drop for TempCrate {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("bench: failed to remove `{}`: {err}", self.dir.display());
        }
    }
}

/// Returns the error handler for removing `target/` below `dir`, which
/// accepts a `target/` that does not exist yet.
fn ignore_not_found(dir: &Path) -> impl FnOnce(std::io::Error) -> Result<(), String> + '_ {
    move |err| match err.kind() {
        std::io::ErrorKind::NotFound => Ok(()),
        _ => Err(format!("failed to remove `{}`: {err}", dir.join("target").display())),
    }
}

/// The crate's one source file: a little code, so rustc has something to
/// compile besides `main`.
const MAIN_RS: &str = "\
fn main() {
    let words = [\"alpha\", \"beta\", \"gamma\"];
    let total: usize = words.iter().map(|word| word.len()).sum();
    println!(\"{} words, {total} letters\", words.len());
}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_crate_is_written_and_removed() {
        let project = TempCrate::create().unwrap();
        let dir = project.path().to_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(manifest.starts_with("[package]\nname = \"tiny\"\n"), "{manifest}");
        assert!(manifest.ends_with("\n[workspace]\n"), "{manifest}");
        assert!(dir.join("src/main.rs").is_file());

        project.clean().unwrap();
        std::fs::create_dir_all(dir.join("target/debug")).unwrap();
        project.clean().unwrap();
        assert!(!dir.join("target").exists());

        drop(project);
        assert!(!dir.exists());
    }
}
