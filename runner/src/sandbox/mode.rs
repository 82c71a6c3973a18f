//! `SandboxMode`: how strictly tasks are confined on this run.
//!
//! The mode is chosen by `--sandbox=MODE`, `--no-sandbox` or `RUNNER_SANDBOX`.
//! `warn` confines as far as the kernel allows and logs one line about the
//! rest. `enforce` fails before any task starts when some part of the policy
//! cannot be enforced.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The strictness of the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SandboxMode {
    /// Tasks run unconfined.
    Off,
    /// Tasks are confined as far as the kernel allows, and one warning names
    /// what is missing.
    Warn,
    /// The run fails before any task starts unless the kernel can enforce the
    /// whole policy.
    Enforce,
}

impl FromStr for SandboxMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<SandboxMode> {
        match text {
            "off" => Ok(SandboxMode::Off),
            "warn" => Ok(SandboxMode::Warn),
            "enforce" => Ok(SandboxMode::Enforce),
            other => Err(Error::usage(format!(
                "invalid sandbox mode `{other}`: expected `off`, `warn` or `enforce`"
            ))),
        }
    }
}

impl fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SandboxMode::Off => "off",
            SandboxMode::Warn => "warn",
            SandboxMode::Enforce => "enforce",
        })
    }
}
