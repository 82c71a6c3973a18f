//! `Scope`: what a task may use beyond its sources and generates.
//!
//! Scopes are declarations. The sandbox turns each one into Landlock rules
//! right before the task runs: paths are granted as they are, programs are
//! looked up on `PATH` when the plan is made, and presets expand to the paths a
//! common toolchain needs on this machine. Without a sandbox, scopes only
//! document the task.

use std::path::{Path, PathBuf};

/// One grant a task declares.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Read files and list directories below a path.
    Read(PathBuf),
    /// Read, write, create, remove and rename below a path.
    Write(PathBuf),
    /// Read and execute below a path.
    Exec(PathBuf),
    /// A program looked up on `PATH`: the binary, its real path behind
    /// symlinks, its ELF interpreter and a script's interpreter.
    Program(String),
    /// The Rust toolchain: `CARGO_HOME` and `RUSTUP_HOME`, with write access to
    /// cargo's registry and git caches.
    RustToolchain,
    /// git's configuration files: `~/.gitconfig`, `~/.config/git` and
    /// `/etc/gitconfig`.
    GitConfig,
    /// `python3` from `PATH` with its installation prefix.
    Python3,
    /// The controlling terminal, `/dev/tty` and `/dev/pts`, with ioctls.
    Terminal,
    /// Read `/proc`.
    Proc,
    /// Connect to a TCP port on any host.
    TcpConnect(u16),
    /// Bind a TCP port.
    TcpBind(u16),
    /// Any TCP connect and bind.
    Network,
}

impl Scope {
    /// Allows reading files and listing directories below `path`.
    pub fn read(path: impl AsRef<Path>) -> Scope {
        Scope::Read(path.as_ref().to_owned())
    }

    /// Allows reading and writing below `path`, including creating, removing
    /// and renaming entries.
    pub fn write(path: impl AsRef<Path>) -> Scope {
        Scope::Write(path.as_ref().to_owned())
    }

    /// Allows reading and executing below `path`.
    pub fn exec(path: impl AsRef<Path>) -> Scope {
        Scope::Exec(path.as_ref().to_owned())
    }

    /// Allows running `name`, looked up on `PATH` when the plan is made.
    pub fn program(name: impl Into<String>) -> Scope {
        Scope::Program(name.into())
    }

    /// Allows cargo, rustc and the other tools of the Rust toolchain.
    pub fn rust_toolchain() -> Scope {
        Scope::RustToolchain
    }

    /// Allows reading git's configuration files.
    pub fn git_config() -> Scope {
        Scope::GitConfig
    }

    /// Allows running `python3` with its standard library.
    pub fn python3() -> Scope {
        Scope::Python3
    }

    /// Allows using the controlling terminal.
    pub fn terminal() -> Scope {
        Scope::Terminal
    }

    /// Allows reading `/proc`.
    pub fn proc() -> Scope {
        Scope::Proc
    }

    /// Allows TCP connections to `port`.
    pub fn tcp_connect(port: u16) -> Scope {
        Scope::TcpConnect(port)
    }

    /// Allows binding TCP `port`.
    pub fn tcp_bind(port: u16) -> Scope {
        Scope::TcpBind(port)
    }

    /// Allows all TCP network access.
    pub fn network() -> Scope {
        Scope::Network
    }
}

impl std::fmt::Display for Scope {
    /// Formats the scope the way it is written in Rust, for hints and dry runs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Read(path) => write!(f, "Scope::read({:?})", path),
            Scope::Write(path) => write!(f, "Scope::write({:?})", path),
            Scope::Exec(path) => write!(f, "Scope::exec({:?})", path),
            Scope::Program(name) => write!(f, "Scope::program({name:?})"),
            Scope::RustToolchain => write!(f, "Scope::rust_toolchain()"),
            Scope::GitConfig => write!(f, "Scope::git_config()"),
            Scope::Python3 => write!(f, "Scope::python3()"),
            Scope::Terminal => write!(f, "Scope::terminal()"),
            Scope::Proc => write!(f, "Scope::proc()"),
            Scope::TcpConnect(port) => write!(f, "Scope::tcp_connect({port})"),
            Scope::TcpBind(port) => write!(f, "Scope::tcp_bind({port})"),
            Scope::Network => write!(f, "Scope::network()"),
        }
    }
}
