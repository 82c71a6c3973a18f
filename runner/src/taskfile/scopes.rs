//! The `scopes:` key, this importer's one addition to the Taskfile schema,
//! mapped onto [`crate::Scope`].
//!
//! ```yaml
//! scopes:
//!   - /opt/tool/bin            # a path: read and execute
//!   - path: jq                 # a name without a slash: a program on PATH
//!   - path: ./data             # a path with a slash: read and execute
//!   - {path: ./cache, mode: rw}  # modes: r (read), rx (read, execute), rw (read, write)
//!   - network: tcp-connect:443 # or tcp-bind:PORT, or all
//!   - preset: rust             # rust, git-config, python3, terminal, proc
//! ```
//!
//! Relative paths resolve against the directory of the Taskfile that
//! declares them. With the sandbox off, scopes are only declarations.

use std::path::{Path, PathBuf};

use super::ast::{ScopeDef, ScopeMode};
use crate::Scope;

/// Converts the declared scopes of a task in `taskfile` to runner scopes.
pub(crate) fn to_scopes(defs: &[ScopeDef], taskfile: &Path) -> Vec<Scope> {
    let base = taskfile.parent().unwrap_or(Path::new("/"));
    defs.iter().map(|def| to_scope(def, base)).collect()
}

fn to_scope(def: &ScopeDef, base: &Path) -> Scope {
    match def {
        ScopeDef::Path { path, mode } => {
            let path = resolve(base, path);
            match mode {
                ScopeMode::Read => Scope::read(path),
                ScopeMode::Exec => Scope::exec(path),
                ScopeMode::Write => Scope::write(path),
            }
        }
        ScopeDef::Program(name) => Scope::program(name.clone()),
        ScopeDef::Preset(name) => match name.as_str() {
            "rust" => Scope::rust_toolchain(),
            "git-config" => Scope::git_config(),
            "python3" => Scope::python3(),
            "terminal" => Scope::terminal(),
            _ => Scope::proc(),
        },
        ScopeDef::TcpConnect(port) => Scope::tcp_connect(*port),
        ScopeDef::TcpBind(port) => Scope::tcp_bind(*port),
        ScopeDef::Network => Scope::network(),
    }
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let path = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    };
    super::load::normalize(&base.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskfile::ast;
    use crate::taskfile::yaml;

    fn scopes_of(text: &str) -> Vec<Scope> {
        let node = yaml::parse(text).unwrap();
        let task = ast::decode_task(&node, &mut Vec::new()).unwrap();
        to_scopes(&task.scopes, Path::new("/project/Taskfile.yml"))
    }

    #[test]
    fn every_scope_form_maps() {
        let scopes = scopes_of(
            "scopes:\n  - /opt/bin\n  - path: jq\n  - path: ./data\n  - {path: cache, mode: rw}\n  \
             - {path: /etc/x, mode: r}\n  - network: tcp-connect:443\n  - network: tcp-bind:8080\n  \
             - network: all\n  - preset: rust\n",
        );
        assert_eq!(
            scopes,
            [
                Scope::exec("/opt/bin"),
                Scope::program("jq"),
                Scope::exec("/project/data"),
                Scope::write("/project/cache"),
                Scope::read("/etc/x"),
                Scope::tcp_connect(443),
                Scope::tcp_bind(8080),
                Scope::network(),
                Scope::rust_toolchain(),
            ]
        );
    }

    #[test]
    fn invalid_scope_is_a_decode_error() {
        let node = yaml::parse("scopes:\n  - network: udp:53\n").unwrap();
        let error = ast::decode_task(&node, &mut Vec::new()).unwrap_err();
        assert!(error.message.contains("invalid network scope `udp:53`"), "{}", error.message);
        assert_eq!(error.pos.line, 2);
    }
}
