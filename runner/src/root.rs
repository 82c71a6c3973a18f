//! Finding the project root.
//!
//! Relative globs, task directories and the state directory resolve from the
//! project root. Unless `Runner::root` sets it, the root is the nearest
//! ancestor of the current directory whose `Cargo.toml` declares a
//! `[workspace]`, which is where `cargo xtask` users expect it, else the
//! current directory itself. The check reads the manifest as text and looks
//! for a `[workspace]` table header; it does not parse TOML.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Returns the default project root for the current directory.
pub(crate) fn default_root() -> Result<PathBuf> {
    let current =
        std::env::current_dir().map_err(|err| Error::io("read the current directory", ".", err))?;
    Ok(find_workspace(&current).unwrap_or(current))
}

fn find_workspace(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|dir| declares_workspace(&dir.join("Cargo.toml"))).map(Path::to_path_buf)
}

fn declares_workspace(manifest: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(manifest) else { return false };
    text.lines().any(|line| line.trim() == "[workspace]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_workspace_wins() {
        let base = std::env::temp_dir().join(format!("runner-root-{}", std::process::id()));
        let member = base.join("crates/member/src");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(base.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(base.join("crates/member/Cargo.toml"), "[package]\nname = \"m\"\n").unwrap();

        assert_eq!(find_workspace(&member), Some(base.clone()));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
