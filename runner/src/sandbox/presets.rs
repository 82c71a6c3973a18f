//! Scopes turned into grants.
//!
//! Path scopes grant the path as declared, resolved against the project root
//! when relative. A path that does not exist is skipped, because Landlock can
//! only grant existing inodes. Program scopes grant the resolved binary and
//! the files `execve` needs with it. Presets expand to the paths a toolchain
//! needs on this machine:
//!
//! | scope | grants |
//! |---|---|
//! | `rust_toolchain()` | read and execute `CARGO_HOME` (default `~/.cargo`) and `RUSTUP_HOME` (default `~/.rustup`); write `registry/`, `git/`, `.package-cache`, `.package-cache-mutate` and `.global-cache` in `CARGO_HOME` |
//! | `git_config()` | read `~/.gitconfig`, `$XDG_CONFIG_HOME/git` (default `~/.config/git`) and `$GIT_CONFIG_GLOBAL`; `/etc/gitconfig` is in the system grant |
//! | `python3()` | the `python3` program on `PATH` and its installation prefix, such as a pyenv root or a virtualenv |
//! | `terminal()` | read, write and ioctl on `/dev/tty`, `/dev/pts` and `/dev/ptmx` |
//! | `proc()` | read `/proc` |
//!
//! Network scopes change the TCP rules and grant no path.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::policy::{Access, Grant, Origin};
use super::program::{exec_chain, resolve_program};
use crate::{Error, Result, Scope};

/// The facts about a task that scope expansion uses.
pub(crate) struct ScopeContext<'a> {
    pub(crate) task: &'a str,
    pub(crate) root: &'a Path,
    pub(crate) cwd: &'a Path,
    /// The `PATH` the task's commands see; `None` means the runner's.
    pub(crate) path_env: Option<OsString>,
}

/// Files in `CARGO_HOME` that cargo locks or updates on every build.
const CARGO_HOME_FILES: [&str; 3] = [".package-cache", ".package-cache-mutate", ".global-cache"];

/// Returns the grants of one scope.
pub(crate) fn expand_scope(scope: &Scope, context: &ScopeContext) -> Result<Vec<Grant>> {
    let mut grants = Grants { scope, list: Vec::new() };
    match scope {
        Scope::Read(path) => grants.add(&context.root.join(path), Access::Read),
        Scope::Write(path) => grants.add(&context.root.join(path), Access::Full),
        Scope::Exec(path) => grants.add(&context.root.join(path), Access::ReadExec),
        Scope::Program(name) => {
            add_program(&mut grants, name, context)?;
        }
        Scope::RustToolchain => add_rust_toolchain(&mut grants),
        Scope::GitConfig => add_git_config(&mut grants),
        Scope::Python3 => {
            let chain = add_program(&mut grants, "python3", context)?;
            for prefix in chain.iter().filter_map(|path| installation_prefix(path)) {
                grants.add(&prefix, Access::ReadExec);
            }
        }
        Scope::Terminal => {
            grants.add(Path::new("/dev/tty"), Access::Device);
            grants.add(Path::new("/dev/pts"), Access::Device);
            // Programs that open a pseudo-terminal of their own (`script`,
            // `expect`, `tmux`) allocate it through the multiplexer.
            grants.add(Path::new("/dev/ptmx"), Access::Device);
        }
        Scope::Proc => grants.add(Path::new("/proc"), Access::Read),
        Scope::TcpConnect(_) | Scope::TcpBind(_) | Scope::Network => {}
    }
    Ok(grants.list)
}

/// The grants of one scope, deduplicated by canonical path.
struct Grants<'a> {
    scope: &'a Scope,
    list: Vec<Grant>,
}

impl Grants<'_> {
    fn add(&mut self, path: &Path, access: Access) {
        let real = match std::fs::canonicalize(path) {
            Ok(real) => real,
            Err(error) => {
                log::debug!("scope `{}`: `{}` skipped: {error}", self.scope, path.display());
                return;
            }
        };
        if self.list.iter().any(|grant| grant.path == real && grant.access == access) {
            return;
        }
        let origin = Origin::Scope(self.scope.clone());
        self.list.push(Grant { path: real, access, origin });
    }
}

/// Grants the program `name` and returns its exec chain.
fn add_program(grants: &mut Grants, name: &str, context: &ScopeContext) -> Result<Vec<PathBuf>> {
    let path_env = context.path_env.as_deref();
    let program = resolve_program(OsStr::new(name), path_env, context.cwd).map_err(|error| {
        Error::invalid_task(
            context.task,
            format!("program of scope `{}` cannot be resolved: {error}", grants.scope),
        )
    })?;

    let chain = exec_chain(&program, path_env, context.cwd);
    for path in &chain {
        grants.add(path, Access::ReadExec);
    }
    log::debug!("task `{}`: program `{name}` runs {:?}", context.task, chain);
    Ok(chain)
}

fn add_rust_toolchain(grants: &mut Grants) {
    let home = std::env::home_dir();
    let from_env = |var: &str, default: &str| {
        std::env::var_os(var).map(PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)))
    };

    if let Some(rustup_home) = from_env("RUSTUP_HOME", ".rustup") {
        grants.add(&rustup_home, Access::ReadExec);
    }
    let Some(cargo_home) = from_env("CARGO_HOME", ".cargo") else {
        return;
    };
    grants.add(&cargo_home, Access::ReadExec);
    if !cargo_home.is_dir() {
        return;
    }
    for cache in ["registry", "git"] {
        let dir = cargo_home.join(cache);
        // cargo creates these on first use, which needs write access to CARGO_HOME itself.
        if let Err(error) = std::fs::create_dir_all(&dir) {
            log::debug!("cannot create `{}`: {error}", dir.display());
        }
        grants.add(&dir, Access::Full);
    }
    for file in CARGO_HOME_FILES {
        grants.add(&cargo_home.join(file), Access::Full);
    }
}

fn add_git_config(grants: &mut Grants) {
    let home = std::env::home_dir();
    if let Some(home) = &home {
        grants.add(&home.join(".gitconfig"), Access::Read);
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".config")));
    if let Some(config_home) = config_home {
        grants.add(&config_home.join("git"), Access::Read);
    }
    if let Some(global) = std::env::var_os("GIT_CONFIG_GLOBAL") {
        grants.add(Path::new(&global), Access::Read);
    }
}

/// Returns the installation prefix of a program in a `bin` or `shims`
/// directory, such as `~/.pyenv` for `~/.pyenv/shims/python3`. The file
/// system root and the home directory are never returned, since granting
/// them would grant everything below.
fn installation_prefix(program: &Path) -> Option<PathBuf> {
    let dir = program.parent()?;
    let dir_name = dir.file_name()?;
    if dir_name != "bin" && dir_name != "shims" {
        return None;
    }
    let prefix = dir.parent()?;
    let is_home = std::env::home_dir().is_some_and(|home| home == prefix);
    if prefix == Path::new("/") || is_home {
        return None;
    }
    Some(prefix.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(root: &Path) -> ScopeContext<'_> {
        ScopeContext { task: "t", root, cwd: root, path_env: Some("/usr/bin".into()) }
    }

    #[test]
    fn installation_prefix_of_bin_and_shims() {
        let prefix = installation_prefix(Path::new("/opt/py/3.12/bin/python3"));
        assert_eq!(prefix.as_deref(), Some(Path::new("/opt/py/3.12")));
        let shim = installation_prefix(Path::new("/opt/pyenv/shims/python3"));
        assert_eq!(shim.as_deref(), Some(Path::new("/opt/pyenv")));
        assert_eq!(installation_prefix(Path::new("/bin/python3")), None);
        assert_eq!(installation_prefix(Path::new("/opt/tool/python3")), None);
    }

    #[test]
    fn program_scope_grants_binary_and_loader() {
        let grants = expand_scope(&Scope::program("sh"), &context(Path::new("/"))).unwrap();
        assert!(grants.iter().all(|grant| grant.access == Access::ReadExec));
        assert!(
            grants.iter().any(|grant| grant.path.ends_with("dash") || grant.path.ends_with("sh"))
        );
        let has_loader = grants.iter().any(|grant| grant.path.to_string_lossy().contains("ld-"));
        assert!(has_loader, "{grants:?}");
    }

    #[test]
    fn program_scope_not_found_is_invalid_task() {
        let scope = Scope::program("no-such-program-here");
        let error = expand_scope(&scope, &context(Path::new("/"))).unwrap_err();
        assert!(matches!(error.kind(), crate::ErrorKind::InvalidTask { .. }));
        assert!(error.to_string().contains("no-such-program-here"), "{error}");
    }

    #[test]
    fn read_scope_relative_to_root_and_missing_skipped() {
        let grants = expand_scope(&Scope::read("etc"), &context(Path::new("/"))).unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].path, Path::new("/etc"));

        let missing =
            expand_scope(&Scope::read("/no/such/path"), &context(Path::new("/"))).unwrap();
        assert!(missing.is_empty());
    }

    #[test]
    fn terminal_scope_grants_devices_with_ioctl() {
        let grants = expand_scope(&Scope::terminal(), &context(Path::new("/"))).unwrap();
        for path in ["/dev/tty", "/dev/pts", "/dev/ptmx"] {
            let grant = grants.iter().find(|grant| grant.path == Path::new(path));
            if Path::new(path).exists() {
                assert_eq!(grant.map(|grant| grant.access), Some(Access::Device), "{path}");
            }
        }
    }

    #[test]
    fn proc_scope_grants_proc_read() {
        let grants = expand_scope(&Scope::proc(), &context(Path::new("/"))).unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].path, Path::new("/proc"));
        assert_eq!(grants[0].access, Access::Read);
    }

    #[test]
    fn network_scopes_grant_no_paths() {
        for scope in [Scope::network(), Scope::tcp_connect(80), Scope::tcp_bind(8080)] {
            let grants = expand_scope(&scope, &context(Path::new("/"))).unwrap();
            assert!(grants.is_empty(), "{scope}: {grants:?}");
        }
    }
}
