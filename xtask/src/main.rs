//! This repository's own tasks, run with `cargo xtask`.

fn main() {}
