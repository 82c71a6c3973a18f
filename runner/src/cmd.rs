//! `Cmd`: one program invocation as data.
//!
//! A command is a program, its arguments, extra environment variables and an
//! optional working directory. Keeping it as data, not as a shell string, lets
//! the runner print it in a dry run, hash it into a fingerprint, resolve the
//! program before the sandbox is built, and run it without a shell, so an
//! argument is never split or interpreted. `Display` quotes each word the way a
//! POSIX shell would need, so a printed command can be pasted into a terminal.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

/// A program with its arguments, environment and working directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    dir: Option<PathBuf>,
}

/// Builds a [`Cmd`] from a program and arguments, each anything that is
/// `AsRef<OsStr>`.
///
/// ```
/// let build = runner::cmd!("cargo", "build", "--release");
/// assert_eq!(build.to_string(), "cargo build --release");
/// ```
#[macro_export]
macro_rules! cmd {
    ($program:expr $(, $arg:expr)* $(,)?) => {
        $crate::Cmd::new($program)$(.arg($arg))*
    };
}

impl Cmd {
    /// Creates a command that runs `program`, looked up on `PATH` when it has
    /// no slash.
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { program: program.as_ref().to_owned(), args: Vec::new(), env: Vec::new(), dir: None }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub fn args<I>(mut self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for this command only. It overrides the
    /// task's `env` of the same name.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.env.push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable from this command's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Sets the working directory. A relative path resolves against the task's
    /// directory; by default the command runs in the task's directory.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Returns the program.
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// Returns the arguments.
    pub fn get_args(&self) -> impl Iterator<Item = &OsStr> {
        self.args.iter().map(OsString::as_os_str)
    }

    /// Returns the environment changes in the order they were made; `None`
    /// marks a removal.
    pub fn get_envs(&self) -> impl Iterator<Item = (&OsStr, Option<&OsStr>)> {
        self.env.iter().map(|(key, value)| (key.as_os_str(), value.as_deref()))
    }

    /// Returns the working directory, if one was set.
    pub fn get_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.env {
            if let Some(value) = value {
                write!(f, "{}={} ", key.to_string_lossy(), quote(value))?;
            }
        }
        write!(f, "{}", quote(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes a word for a POSIX shell: words made only of safe characters stay
/// as they are, everything else is put in single quotes.
fn quote(word: &OsStr) -> String {
    let text = word.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text.into_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_needs_it() {
        let cmd = cmd!("echo", "plain", "two words", "it's", "").env("K", "v w");
        assert_eq!(cmd.to_string(), r#"K='v w' echo plain 'two words' 'it'\''s' ''"#);
    }

    #[test]
    fn macro_accepts_mixed_argument_types() {
        let path = PathBuf::from("src/lib.rs");
        let cmd = cmd!("wc", "-l", &path, String::from("x"));
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["-l", "src/lib.rs", "x"]);
    }
}
