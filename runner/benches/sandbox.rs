//! Sandbox costs: the spawn overhead of a confined `/bin/true` and the time
//! to build a task's ruleset with many file rules.
//!
//! Run with `cargo bench -p runner --bench sandbox`. Set
//! `SANDBOX_BENCH_SAMPLES` to change the number of spawns per mode (default
//! 2000). The target for the spawn overhead is under 5%.

use std::time::Duration;

fn main() {
    let samples = std::env::var("SANDBOX_BENCH_SAMPLES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2000);

    let medians = runner::bench::bench_spawn_modes(samples);
    let over = |time: Duration| 100.0 * (time.as_secs_f64() / medians.plain.as_secs_f64() - 1.0);
    println!("spawn and wait of /bin/true, median of {samples} interleaved samples per mode:");
    println!("  plain            {:>8.1} µs", micros(medians.plain));
    println!(
        "  fresh thread     {:>8.1} µs  {:>+6.1} %  (no Landlock)",
        micros(medians.fresh_thread),
        over(medians.fresh_thread)
    );
    println!(
        "  sandboxed        {:>8.1} µs  {:>+6.1} %  (target: under +5 %)",
        micros(medians.sandboxed),
        over(medians.sandboxed)
    );

    println!("ruleset build (Sandbox::prepare), median of 11 runs:");
    for rules in [10, 100, 1000, 10_000] {
        let time = runner::bench::bench_ruleset_build(rules, 11);
        println!(
            "  {rules:>6} file rules  {:>10.1} µs  ({:.2} µs a rule)",
            micros(time),
            micros(time) / rules as f64
        );
    }
}

fn micros(time: Duration) -> f64 {
    time.as_secs_f64() * 1e6
}
