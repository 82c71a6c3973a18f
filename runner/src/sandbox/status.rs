//! `SandboxStatus`: what the sandbox could do on this run, and the Landlock
//! features the policy relies on.
//!
//! The policy handles the access rights of Landlock ABI 1 to 6. ABI 7 adds
//! only audit logging, which the runner does not use, so a kernel with ABI 6
//! or later enforces the whole policy. Each feature below names the ABI that
//! introduced it, so a partial status and an `enforce` failure can name what
//! the kernel lacks.

#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::fmt;

/// The state of the sandbox on this run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SandboxStatus {
    /// Every rule is enforced; `abi` is the Landlock ABI version used.
    Enforced { abi: u32 },
    /// Some rules are enforced; `missing` names the features the kernel lacks.
    Partial { abi: u32, missing: Vec<String> },
    /// Tasks run unconfined, for the reason given.
    Off { reason: String },
}

impl fmt::Display for SandboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxStatus::Enforced { abi } => write!(f, "enforced (Landlock ABI {abi})"),
            SandboxStatus::Partial { abi, missing } => {
                write!(f, "partial (Landlock ABI {abi}, missing {})", missing.join(", "))
            }
            SandboxStatus::Off { reason } => write!(f, "off ({reason})"),
        }
    }
}

/// The highest Landlock ABI whose access rights the policy handles. Newer
/// kernels are used at this ABI, so a kernel upgrade never adds restrictions
/// that were not tested.
pub(crate) const POLICY_ABI: u32 = 7;

/// One Landlock feature the policy relies on beyond ABI 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Feature {
    /// The ABI version that introduced the feature.
    pub(crate) abi: u32,
    /// Name of what the feature controls, as status lines and errors print it.
    pub(crate) name: &'static str,
    /// Whether the feature matters only when TCP access is restricted.
    pub(crate) network: bool,
}

const FEATURES: [Feature; 5] = [
    Feature { abi: 2, name: "rename and link across directories", network: false },
    Feature { abi: 3, name: "truncate rules", network: false },
    Feature { abi: 4, name: "TCP bind and connect rules", network: true },
    Feature { abi: 5, name: "device ioctl rules", network: false },
    Feature { abi: 6, name: "signal and abstract unix socket scoping", network: false },
];

/// Returns the features that Landlock ABI `abi` lacks, each formatted as
/// `name (Landlock ABI n)`. Network rules are left out when the task may use
/// the network anyway.
pub(crate) fn missing_features(abi: u32, network_restricted: bool) -> Vec<String> {
    FEATURES
        .iter()
        .filter(|feature| feature.abi > abi)
        .filter(|feature| network_restricted || !feature.network)
        .map(|feature| format!("{} (Landlock ABI {})", feature.name, feature.abi))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_features_of_abi_3() {
        let missing = missing_features(3, true);
        assert_eq!(
            missing,
            [
                "TCP bind and connect rules (Landlock ABI 4)",
                "device ioctl rules (Landlock ABI 5)",
                "signal and abstract unix socket scoping (Landlock ABI 6)",
            ]
        );
    }

    #[test]
    fn missing_features_skip_network() {
        let missing = missing_features(4, false);
        assert_eq!(missing.len(), 2);
        assert!(missing_features(3, false).iter().all(|name| !name.contains("TCP")));
    }

    #[test]
    fn missing_features_none_from_abi_6() {
        assert!(missing_features(6, true).is_empty());
        assert!(missing_features(POLICY_ABI, true).is_empty());
    }
}
