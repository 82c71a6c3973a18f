//! `DenialsMode`: how a failed sandboxed task's denied accesses are found.
//!
//! The mode is chosen by `--denials=MODE` or `RUNNER_DENIALS`. `auto` reads
//! the kernel's audit log where the runner may (root, Landlock ABI 7), and
//! otherwise the failure message suggests a re-run with `trace`. `audit` requires the audit log.
//! `trace` re-runs a failed task under strace. `off` lists nothing.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The source of the denial report of a failed sandboxed task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DenialsMode {
    /// The audit log when available; otherwise the failure message suggests
    /// running again with `--denials=trace`.
    #[default]
    Auto,
    /// The audit log, or the run fails before any task starts.
    Audit,
    /// A re-run of the failed task under strace with the same ruleset.
    Trace,
    /// No denial report.
    Off,
}

impl FromStr for DenialsMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<DenialsMode> {
        match text {
            "auto" => Ok(DenialsMode::Auto),
            "audit" => Ok(DenialsMode::Audit),
            "trace" => Ok(DenialsMode::Trace),
            "off" => Ok(DenialsMode::Off),
            other => Err(Error::usage(format!(
                "invalid denials mode `{other}`: expected `auto`, `audit`, `trace` or `off`"
            ))),
        }
    }
}

impl fmt::Display for DenialsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DenialsMode::Auto => "auto",
            DenialsMode::Audit => "audit",
            DenialsMode::Trace => "trace",
            DenialsMode::Off => "off",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip() {
        for mode in [DenialsMode::Auto, DenialsMode::Audit, DenialsMode::Trace, DenialsMode::Off] {
            assert_eq!(mode.to_string().parse::<DenialsMode>().unwrap(), mode);
        }
        let error = "strace".parse::<DenialsMode>().unwrap_err();
        assert!(error.to_string().contains("`strace`"), "{error}");
    }
}
