//! The hint printed when a confined task fails.
//!
//! Landlock denials reach the task as plain `EACCES` or `EPERM`, and the
//! kernel reports nothing about them to the runner unless audit is enabled. Two cases can
//! still be explained. When spawning itself failed with `EACCES`, the hint
//! names the file of the exec chain (binary, real path, ELF interpreter,
//! `#!` interpreter) that no grant allows to execute, and the scope that
//! would. Otherwise it summarizes what the task was granted and lists the
//! declarations that would widen it, and `--no-sandbox`.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
#[cfg(test)]
use std::path::PathBuf;

use super::audit::Findings;
use super::denial::preset_for;
use super::policy::{Access, Grant, Origin};
use super::program::{exec_chain, resolve_program};
use super::{Confinement, Syntax};
use crate::Scope;

/// Maximum number of paths a summary line shows before it counts the rest.
const MAX_PATHS_PER_LINE: usize = 4;

pub(super) fn hint(confinement: &Confinement, spawn_error: Option<&io::Error>) -> String {
    let denied = spawn_error.is_some_and(|error| error.raw_os_error() == Some(libc::EACCES));
    let exec = if denied { exec_hint(confinement) } else { None };
    match (exec, confinement.audit_findings()) {
        (Some(exec), Findings::Report(report)) => format!("{exec}\n{report}"),
        (None, Findings::Report(report)) => report,
        (Some(exec), Findings::Note(note)) => append_note(exec, note),
        (None, Findings::Note(note)) => append_note(grants_hint(confinement), note),
    }
}

fn append_note(mut text: String, note: Option<String>) -> String {
    if let Some(note) = note {
        text.push('\n');
        text.push_str(&note);
    }
    text
}

/// Names the first file of the spawned program's exec chain that no grant
/// allows to execute.
fn exec_hint(confinement: &Confinement) -> Option<String> {
    let spawned = confinement.last_program.lock().ok()?.clone()?;
    let path_env = spawned.path_env.as_deref();
    let program = resolve_program(&spawned.program, path_env, &spawned.cwd).ok()?;
    let chain = exec_chain(&program, path_env, &spawned.cwd);

    let grants = &confinement.policy.grants;
    let blocked = chain.iter().find(|path| !may_execute(grants, path))?;
    let name = spawned.program.to_string_lossy();
    let subject = if *blocked == program {
        format!("`{}`", program.display())
    } else {
        format!("`{}`, which running `{}` needs,", blocked.display(), program.display())
    };

    let mut text = format!(
        "sandbox: task `{}` may not execute {subject} so spawning `{name}` failed\n",
        confinement.task
    );
    let syntax = confinement.syntax;
    // A preset grants the whole installation, which a shim or a launcher
    // script needs beyond the file it starts with.
    if let Some(preset) = preset_for(&program).or_else(|| preset_for(blocked)) {
        let _ = writeln!(
            text,
            "allow it by declaring this on the task:\n  {}",
            declare(syntax, &preset)
        );
        text.push_str("or run without the sandbox: --no-sandbox");
        return Some(text);
    }
    text.push_str("allow it by declaring one of these on the task:\n");
    if !name.contains('/') {
        let _ = writeln!(text, "  {}", declare(syntax, &Scope::program(name.as_ref())));
    }
    let dir = blocked.parent().unwrap_or(Path::new("/"));
    // A builder's project directory is written relative to the root, as the
    // denial report writes it. A Taskfile's resolves from the task's `dir`,
    // so it stays absolute there.
    let dir = match dir.strip_prefix(&confinement.root) {
        Ok(relative) if syntax == Syntax::Rust && !relative.as_os_str().is_empty() => {
            relative.to_owned()
        }
        _ => dir.to_owned(),
    };
    let _ = writeln!(text, "  {}", declare(syntax, &Scope::exec(dir)));
    text.push_str("or run without the sandbox: --no-sandbox");
    Some(text)
}

/// Returns whether some grant allows executing `path`, comparing canonical
/// paths.
fn may_execute(grants: &[Grant], path: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(path) else {
        // A missing file fails with ENOENT, not EACCES, so it is not the cause.
        return true;
    };
    grants.iter().any(|grant| {
        let executes = matches!(grant.access, Access::ReadExec | Access::Full);
        executes && real.starts_with(&grant.path)
    })
}

fn grants_hint(confinement: &Confinement) -> String {
    let policy = &confinement.policy;
    let display_path = |path: &Path| -> String {
        match path.strip_prefix(&confinement.root) {
            Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
            Ok(relative) => relative.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    };

    let mut exec = Vec::new();
    let mut read = Vec::new();
    let mut list = Vec::new();
    let mut write = Vec::new();
    let mut source_files = 0;
    for grant in &policy.grants {
        match (&grant.origin, grant.access) {
            (Origin::System, _) => {}
            (Origin::Source, _) => source_files += 1,
            (Origin::TmpDir, _) => write.push("its private TMPDIR".to_string()),
            (_, Access::ReadExec) => exec.push(display_path(&grant.path)),
            (_, Access::Read) => read.push(display_path(&grant.path)),
            (_, Access::List) => list.push(display_path(&grant.path)),
            (_, Access::ReadWrite | Access::Device | Access::Full) => {
                write.push(display_path(&grant.path))
            }
        }
    }
    if source_files > 0 {
        let files = if source_files == 1 { "source file" } else { "source files" };
        read.insert(0, format!("{source_files} {files}"));
    }

    let mut text = format!("sandbox: task `{}` was confined to\n", confinement.task);
    text.push_str("  system: read and execute /usr, read /etc, the standard devices\n");
    for (label, paths) in
        [("read and execute", &exec), ("read", &read), ("list", &list), ("write", &write)]
    {
        if !paths.is_empty() {
            let _ = writeln!(text, "  {label}: {}", join_short(paths));
        }
    }
    let _ = writeln!(text, "  network: {}", describe_network(confinement));

    text.push_str("if it needs more, declare it on the task, for example:\n");
    for (declaration, purpose) in suggestions(confinement) {
        let _ = writeln!(text, "  {declaration:<40} {purpose}");
    }
    text.push_str("or run without the sandbox: --no-sandbox");
    text
}

fn join_short(paths: &[String]) -> String {
    let mut line = paths.iter().take(MAX_PATHS_PER_LINE).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > MAX_PATHS_PER_LINE {
        let _ = write!(line, " and {} more", paths.len() - MAX_PATHS_PER_LINE);
    }
    line
}

fn describe_network(confinement: &Confinement) -> String {
    let network = &confinement.policy.network;
    if network.unrestricted {
        return "unrestricted".to_string();
    }
    let ports = |ports: &[u16]| ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    let mut parts = vec!["TCP denied".to_string()];
    if !network.connect.is_empty() {
        parts.push(format!("connect to port {}", ports(&network.connect)));
    }
    if !network.bind.is_empty() {
        parts.push(format!("bind port {}", ports(&network.bind)));
    }
    parts.join(", except ")
}

/// Lists the declarations that would widen the task's access, skipping
/// scopes the task already has.
fn suggestions(confinement: &Confinement) -> Vec<(String, &'static str)> {
    let has = |wanted: &Scope| confinement.scopes.iter().any(|scope| scope == wanted);
    let has_network = confinement
        .scopes
        .iter()
        .any(|scope| matches!(scope, Scope::Network | Scope::TcpConnect(_) | Scope::TcpBind(_)));
    let syntax = confinement.syntax;
    let (sources, generates) = match syntax {
        Syntax::Rust => (".sources([\"path/to/input\"])", ".generates([\"out/\"])"),
        Syntax::Taskfile => ("sources: [path/to/input]", "generates: [out/]"),
    };

    let mut list = vec![
        (sources.to_string(), "read a project file"),
        (generates.to_string(), "write below a project directory"),
        (declare(syntax, &Scope::read("/path")), "read files below a path"),
        (declare(syntax, &Scope::write("/path")), "write below a path"),
        (declare(syntax, &Scope::program("tool")), "run a program from PATH"),
    ];
    if !has_network {
        list.push((declare(syntax, &Scope::tcp_connect(443)), "connect to a TCP port"));
    }
    if !has(&Scope::Proc) {
        list.push((declare(syntax, &Scope::proc()), "read /proc"));
    }
    if !has(&Scope::Terminal) {
        list.push((declare(syntax, &Scope::terminal()), "use the terminal"));
    }
    list
}

/// Formats the declaration of `scope` as the task's author would write it.
pub(super) fn declare(syntax: Syntax, scope: &Scope) -> String {
    if syntax == Syntax::Rust {
        return format!(".scopes([{scope}])");
    }
    let entry = match scope {
        Scope::Read(path) => format!("{{path: {}, mode: r}}", path.display()),
        Scope::Write(path) => format!("{{path: {}, mode: rw}}", path.display()),
        Scope::Exec(path) => format!("{{path: {}, mode: rx}}", path.display()),
        Scope::Program(name) => format!("{{path: {name}}}"),
        Scope::TcpConnect(port) => format!("{{network: tcp-connect:{port}}}"),
        Scope::TcpBind(port) => format!("{{network: tcp-bind:{port}}}"),
        Scope::Network => "{network: all}".to_string(),
        Scope::RustToolchain => "{preset: rust}".to_string(),
        Scope::GitConfig => "{preset: git-config}".to_string(),
        Scope::Python3 => "{preset: python3}".to_string(),
        Scope::Terminal => "{preset: terminal}".to_string(),
        Scope::Proc => "{preset: proc}".to_string(),
    };
    format!("scopes: [{entry}]")
}

/// Returns the paths of the grants, for tests.
#[cfg(test)]
pub(super) fn granted_paths(confinement: &Confinement) -> Vec<PathBuf> {
    confinement.policy.grants.iter().map(|grant| grant.path.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_in_both_syntaxes() {
        let cases = [
            (
                Scope::read("/data"),
                ".scopes([Scope::read(\"/data\")])",
                "scopes: [{path: /data, mode: r}]",
            ),
            (Scope::program("jq"), ".scopes([Scope::program(\"jq\")])", "scopes: [{path: jq}]"),
            (
                Scope::tcp_connect(443),
                ".scopes([Scope::tcp_connect(443)])",
                "scopes: [{network: tcp-connect:443}]",
            ),
            (Scope::terminal(), ".scopes([Scope::terminal()])", "scopes: [{preset: terminal}]"),
        ];
        for (scope, rust, taskfile) in cases {
            assert_eq!(declare(Syntax::Rust, &scope), rust);
            assert_eq!(declare(Syntax::Taskfile, &scope), taskfile);
        }
    }
}
