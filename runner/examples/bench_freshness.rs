//! Runs the freshness benchmark and prints its report:
//! `cargo run --release -p runner --example bench_freshness`.

fn main() -> Result<(), runner::Error> {
    let report = runner::bench::freshness(&runner::bench::FreshnessOptions::default())?;
    print!("{report}");
    Ok(())
}
