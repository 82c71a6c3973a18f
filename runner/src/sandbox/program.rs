//! Programs resolved on `PATH` in the runner, and the files `execve` needs to
//! run them.
//!
//! The runner resolves each program before the task starts, grants exactly
//! what it found and spawns that path. Left to `execvp`, a search inside the
//! sandbox would skip a denied entry such as a pyenv shim and silently run
//! another binary further down `PATH`. Running a program executes its real
//! file behind symlinks and the ELF interpreter of a dynamic binary. A script
//! also executes its `#!` interpreter, and `#!/usr/bin/env NAME` runs NAME
//! from `PATH`. [`exec_chain`] lists all of them.

#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

/// Resolves `program` the way `execvp` would: a name with a slash is taken
/// relative to `cwd`, a bare name is looked up on `path_env` (the runner's
/// `PATH` when `None`). The error is `NotFound` when nothing matches.
pub(crate) fn resolve_program(
    program: &OsStr,
    path_env: Option<&OsStr>,
    cwd: &Path,
) -> io::Result<PathBuf> {
    let has_slash = program.as_encoded_bytes().contains(&b'/');
    if has_slash {
        return Ok(cwd.join(program));
    }

    let path_env = match path_env {
        Some(path_env) => path_env.to_owned(),
        None => std::env::var_os("PATH").unwrap_or_default(),
    };
    which::which_in(program, Some(path_env), cwd).map_err(|error| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{}` not found on PATH: {error}", program.to_string_lossy()),
        )
    })
}

/// The deepest chain of `#!` interpreters followed, so a script that names
/// itself cannot loop.
#[cfg(target_os = "linux")]
const MAX_SCRIPT_DEPTH: usize = 4;

/// Lists the files that must be executable to run `program` (an absolute
/// path): the program, its real path behind symlinks, its ELF interpreter
/// and any `#!` interpreters, each with its own real path. Files that cannot
/// be read are listed but not followed. Duplicates are removed.
#[cfg(target_os = "linux")]
pub(crate) fn exec_chain(program: &Path, path_env: Option<&OsStr>, cwd: &Path) -> Vec<PathBuf> {
    let mut chain = Vec::new();
    add_to_chain(&mut chain, program, path_env, cwd, 0);
    chain
}

#[cfg(target_os = "linux")]
fn add_to_chain(
    chain: &mut Vec<PathBuf>,
    program: &Path,
    path_env: Option<&OsStr>,
    cwd: &Path,
    depth: usize,
) {
    push_unique(chain, program.to_owned());
    let Ok(real) = std::fs::canonicalize(program) else {
        return;
    };
    push_unique(chain, real.clone());

    match super::elf::interpreter(&real) {
        Ok(Some(interp)) => {
            push_unique(chain, interp.clone());
            if let Ok(real_interp) = std::fs::canonicalize(&interp) {
                push_unique(chain, real_interp);
            }
            return;
        }
        Ok(None) => {}
        Err(error) => log::trace!("cannot read ELF header of `{}`: {error}", real.display()),
    }

    if depth >= MAX_SCRIPT_DEPTH {
        return;
    }
    let Some(shebang) = read_shebang(&real) else {
        return;
    };
    let interp = PathBuf::from(&shebang.interpreter);
    add_to_chain(chain, &interp, path_env, cwd, depth + 1);
    if let Some(name) = shebang.env_program {
        match resolve_program(OsStr::new(&name), path_env, cwd) {
            Ok(target) => add_to_chain(chain, &target, path_env, cwd, depth + 1),
            Err(error) => log::debug!("`{}` runs `{name}` through env: {error}", real.display()),
        }
    }
}

#[cfg(target_os = "linux")]
fn push_unique(chain: &mut Vec<PathBuf>, path: PathBuf) {
    if !chain.contains(&path) {
        chain.push(path);
    }
}

/// The `#!` line of a script.
#[derive(Debug, PartialEq, Eq)]
struct Shebang {
    interpreter: String,
    /// The program that `#!/usr/bin/env NAME` runs, looked up on `PATH`.
    env_program: Option<String>,
}

/// The longest `#!` line read; the kernel reads at most 256 bytes of it.
const MAX_SHEBANG_LEN: usize = 256;

#[cfg(target_os = "linux")]
fn read_shebang(path: &Path) -> Option<Shebang> {
    use std::io::Read;

    let mut file = std::fs::File::open(path).ok()?;
    let mut head = [0u8; MAX_SHEBANG_LEN];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(_) => return None,
        }
    }
    parse_shebang(&head[..filled])
}

/// Parses the first line of a script. Options of `env` (`-S`, `-i`) and
/// variable assignments before the program name are skipped.
fn parse_shebang(head: &[u8]) -> Option<Shebang> {
    let line = head.strip_prefix(b"#!")?;
    let end = line.iter().position(|&byte| byte == b'\n').unwrap_or(line.len());
    let line = std::str::from_utf8(&line[..end]).ok()?;
    let mut words = line.split_ascii_whitespace();
    let interpreter = words.next()?.to_string();

    let env_program = if Path::new(&interpreter).file_name() == Some(OsStr::new("env")) {
        words.find(|word| !word.starts_with('-') && !word.contains('=')).map(str::to_string)
    } else {
        None
    };
    Some(Shebang { interpreter, env_program })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_shebang_plain_interpreter() {
        let shebang = parse_shebang(b"#!/bin/sh -e\necho hi\n").unwrap();
        assert_eq!(shebang.interpreter, "/bin/sh");
        assert_eq!(shebang.env_program, None);
    }

    #[test]
    fn parse_shebang_env_program() {
        let shebang = parse_shebang(b"#!/usr/bin/env -S VAR=1 python3 -u\n").unwrap();
        assert_eq!(shebang.interpreter, "/usr/bin/env");
        assert_eq!(shebang.env_program.as_deref(), Some("python3"));
    }

    #[test]
    fn parse_shebang_rejects_non_script() {
        assert_eq!(parse_shebang(b"\x7fELF"), None);
        assert_eq!(parse_shebang(b"#!"), None);
    }

    #[test]
    fn resolve_program_searches_given_path() {
        let found = resolve_program(OsStr::new("sh"), Some(OsStr::new("/usr/bin")), Path::new("/"));
        assert_eq!(found.unwrap(), Path::new("/usr/bin/sh"));

        let missing =
            resolve_program(OsStr::new("sh"), Some(OsStr::new("/nonexistent")), Path::new("/"));
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn resolve_program_keeps_relative_path() {
        let found = resolve_program(OsStr::new("./tool"), None, Path::new("/work"));
        assert_eq!(found.unwrap(), Path::new("/work/./tool"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn exec_chain_of_env_script() {
        let dir = std::env::temp_dir().join(format!("runner-chain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("tool");
        std::fs::write(&script, "#!/usr/bin/env sh\necho hi\n").unwrap();

        let chain = exec_chain(&script, Some(OsStr::new("/usr/bin")), &dir);
        assert_eq!(chain[0], script);
        assert!(chain.contains(&PathBuf::from("/usr/bin/env")), "{chain:?}");
        assert!(chain.contains(&PathBuf::from("/usr/bin/sh")), "{chain:?}");
        let has_loader = chain.iter().any(|path| path.to_string_lossy().contains("ld-"));
        assert!(has_loader, "{chain:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
