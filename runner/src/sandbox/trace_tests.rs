//! The tracer inside a real Landlock ruleset: strace started by the
//! restricted thread traces the command of the same domain, writes its log
//! to the task's private `TMPDIR` and decodes descriptors with `-y`.
//!
//! Where the kernel cannot enforce the policy, the test prints that it is
//! skipped, unless `RUNNER_TEST_REQUIRE_LANDLOCK=1` turns the skip into a
//! failure.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::denial::{AccessKind, Target};
use super::tests::skip_without_landlock;
use super::tmp_dir::TmpDir;
use super::*;

#[test]
fn strace_traces_inside_the_ruleset() {
    let Ok(sandbox) = Sandbox::new(SandboxMode::Enforce) else {
        skip_without_landlock("strace_traces_inside_the_ruleset");
        return;
    };
    let guard = TmpDir::create("trace").unwrap();
    let root = guard.path().join("project");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/a.txt"), "declared").unwrap();
    std::fs::write(root.join("src/b.txt"), "undeclared").unwrap();
    let sources = vec![root.join("src/a.txt")];
    let access = TaskAccess {
        task: "trace",
        root: &root,
        state_dir: &root.join(".runner"),
        source_files: &sources,
        source_links: None,
        source_dirs: &[],
        generates: &[],
        scopes: &[],
        dir: &root,
        path_env: None,
        syntax: Syntax::Rust,
    };
    let confinement = sandbox.prepare(&access).unwrap().expect("an enforcing sandbox confines");
    let trace = confinement.denial_trace().expect("strace is installed");

    let traced = trace.command(&root);
    let wrapper = traced.wrapper();
    let mut command = Command::new(&wrapper.program);
    command
        .args(&wrapper.args)
        .args(["/bin/sh", "-c", "cat src/a.txt; cat src/b.txt"])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = confinement.spawn(command).unwrap().wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "declared");
    let accesses = traced.finish().expect("strace wrote its log into the private TMPDIR");

    let find = |name: &str| {
        let path: PathBuf = root.join(name);
        accesses
            .iter()
            .find(|access| access.target == Target::Path(path.clone()))
            .unwrap_or_else(|| panic!("no access to {name} in {accesses:#?}"))
    };
    let declared = find("src/a.txt");
    assert_eq!(declared.kind, AccessKind::Read);
    assert!(declared.succeeded(), "{declared:?}");
    let real = std::fs::canonicalize(root.join("src/a.txt")).unwrap();
    assert_eq!(declared.resolved.as_deref(), Some(real.as_path()), "-y decodes descriptors");
    let undeclared = find("src/b.txt");
    assert!(undeclared.is_denied(), "{undeclared:?}");
    assert_eq!(undeclared.errno.as_deref(), Some("EACCES"));

    let left: Vec<_> = std::fs::read_dir(confinement.tmp_dir()).unwrap().flatten().collect();
    assert!(left.is_empty(), "the log is removed after parsing: {left:?}");
}
