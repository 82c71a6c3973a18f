//! Benchmarks that `cargo xtask bench` runs. Not part of the public API.

pub use crate::sandbox::bench::{
    SpawnMedians, bench_ruleset_build, bench_spawn, bench_spawn_modes,
};
