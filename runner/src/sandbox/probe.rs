//! The startup probe: which Landlock ABI this kernel offers, and whether a
//! ruleset of the policy's shape is enforced.
//!
//! The kernel reports its ABI version through `landlock_create_ruleset` with
//! the version flag. The probe then builds a ruleset with the same handled
//! rights and rule kinds (a directory and a file) as a task's. It restricts
//! a throwaway thread with it, because the crate reports whether a ruleset is
//! fully enforced only after `restrict_self`. The probe runs once per
//! `Sandbox`.
//!
//! For tests, `RUNNER_SANDBOX_TEST_ABI=N` caps the ABI used at N, as if the
//! kernel were older: rights of later ABIs are not handled and the status
//! lists them as missing. The variable can only lower the ABI.

use std::path::Path;

use landlock::{CompatLevel, RulesetStatus};

use super::SandboxStatus;
use super::policy::{Access, Grant, Network, Origin, Policy};
use super::ruleset::{OpenedGrants, build_ruleset};
use super::status::{POLICY_ABI, missing_features};

/// The environment variable that caps the Landlock ABI, for tests.
pub(crate) const TEST_ABI_VAR: &str = "RUNNER_SANDBOX_TEST_ABI";

/// The outcome of the probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    pub(crate) status: SandboxStatus,
    /// The ABI rulesets are built for: the kernel's, capped by
    /// [`POLICY_ABI`] and the test cap. Zero when Landlock is off.
    pub(crate) abi: u32,
}

/// Reads the ABI cap from [`TEST_ABI_VAR`]. An unparsable value is ignored
/// with a warning.
pub(crate) fn abi_cap_from_env() -> Option<u32> {
    let value = std::env::var(TEST_ABI_VAR).ok()?;
    match value.trim().parse() {
        Ok(cap) => Some(cap),
        Err(_) => {
            log::warn!("ignoring `{TEST_ABI_VAR}={value}`: expected a Landlock ABI number");
            None
        }
    }
}

/// Returns the kernel's Landlock ABI version, or why Landlock is unavailable.
pub(crate) fn kernel_abi() -> Result<u32, String> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

    // SAFETY: with a null attribute pointer, size 0 and the version flag, the
    // syscall reads no memory and returns the ABI version or -1 with errno.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if version >= 0 {
        return Ok(version as u32);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EOPNOTSUPP) => {
            Err("Landlock is disabled in this kernel: add `landlock` to the `lsm=` boot parameter"
                .to_string())
        }
        Some(libc::ENOSYS) => Err("this kernel is built without Landlock".to_string()),
        _ => Err(format!("Landlock is unavailable: {}", std::io::Error::last_os_error())),
    }
}

/// Probes the kernel, with the ABI capped at `cap` when given.
pub(crate) fn probe(cap: Option<u32>) -> Probe {
    let kernel = match kernel_abi() {
        Ok(kernel) => kernel,
        Err(reason) => return Probe { status: SandboxStatus::Off { reason }, abi: 0 },
    };
    let abi = kernel.min(POLICY_ABI).min(cap.unwrap_or(u32::MAX));
    if abi == 0 {
        let reason = format!("Landlock is capped at ABI 0 by `{TEST_ABI_VAR}`");
        return Probe { status: SandboxStatus::Off { reason }, abi: 0 };
    }

    if let Err(reason) = restrict_throwaway_thread(abi) {
        return Probe { status: SandboxStatus::Off { reason }, abi: 0 };
    }
    let missing = missing_features(abi, true);
    let status = if missing.is_empty() {
        SandboxStatus::Enforced { abi }
    } else {
        SandboxStatus::Partial { abi, missing }
    };
    log::debug!("sandbox probe: kernel Landlock ABI {kernel}, using ABI {abi}");
    Probe { status, abi }
}

/// Restricts a new thread with a ruleset shaped like a task's and checks
/// that the kernel enforced it.
fn restrict_throwaway_thread(abi: u32) -> Result<(), String> {
    let grant = |path: &str, access| Grant { path: path.into(), access, origin: Origin::System };
    let policy = Policy {
        grants: vec![grant("/usr", Access::ReadExec), grant("/dev/null", Access::ReadWrite)],
        network: Network { connect: vec![1], ..Network::default() },
        proc: false,
    };
    let ruleset =
        build_ruleset("probe", &policy, &OpenedGrants::default(), abi, CompatLevel::BestEffort)
            .map_err(|error| format!("the Landlock probe failed: {error}"))?;

    let outcome = std::thread::spawn(move || {
        let status = ruleset.restrict_self().map_err(|error| error.to_string())?;
        // Reading a file outside the ruleset shows the restriction is real.
        let denied = std::fs::read(Path::new("/etc/hostname")).is_err()
            || !Path::new("/etc/hostname").exists();
        Ok::<_, String>((status.ruleset, denied))
    })
    .join()
    .map_err(|_| "the Landlock probe thread panicked".to_string())?;

    match outcome {
        Ok((RulesetStatus::FullyEnforced, true)) => Ok(()),
        Ok((RulesetStatus::FullyEnforced, false)) => {
            Err("the Landlock probe ruleset did not deny access".to_string())
        }
        Ok((status, _)) => Err(format!("the Landlock probe ruleset was {status:?}")),
        Err(error) => Err(format!("Landlock restriction failed: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_capped_at_zero_is_off() {
        let probe = probe(Some(0));
        assert_eq!(probe.abi, 0);
        assert!(matches!(probe.status, SandboxStatus::Off { .. }), "{:?}", probe.status);
    }

    #[test]
    fn probe_capped_below_kernel_is_partial() {
        let Ok(kernel) = kernel_abi() else {
            super::super::tests::skip_without_landlock("probe_capped_below_kernel_is_partial");
            return;
        };
        if kernel < 4 {
            return;
        }
        let probe = probe(Some(3));
        assert_eq!(probe.abi, 3);
        let SandboxStatus::Partial { abi, missing } = probe.status else {
            panic!("expected a partial status, got {:?}", probe.status);
        };
        assert_eq!(abi, 3);
        assert!(missing.iter().any(|name| name.contains("(Landlock ABI 4)")), "{missing:?}");
    }
}
