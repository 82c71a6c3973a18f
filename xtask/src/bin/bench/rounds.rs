//! Interleaved rounds: every contender runs once per round.
//!
//! Running all samples of one contender and then all of the next would hand
//! one of them a quiet minute and the other a busy one. Here each round runs
//! every contender once, and the starting contender rotates from round to
//! round so that none always runs right after the same neighbour. Warm-up
//! rounds fill the page cache and are not recorded. An optional hook runs
//! untimed before each round, for benchmarks that change a file between
//! rounds, or before each run, for benchmarks that reset a build directory
//! so that every sample does the same work.

use crate::contender::{Contender, Sample};

/// Runs `warmup` unrecorded rounds, then `rounds` timed ones, and returns the
/// samples of each contender in the order of `contenders`. `before_round`
/// gets the round number, counting the warm-up rounds.
pub fn interleave(
    contenders: &[Contender],
    warmup: usize,
    rounds: usize,
    mut before_round: impl FnMut(usize) -> Result<(), String>,
) -> Result<Vec<Vec<Sample>>, String> {
    let before = |round, offset| match offset {
        0 => before_round(round),
        _ => Ok(()),
    };
    run_rounds(contenders, warmup, rounds, before)
}

/// Runs the rounds as `interleave` does, but calls `before_run` untimed
/// before every single run with the index of the contender about to run,
/// for benchmarks whose every sample must start from the same state.
pub fn interleave_each(
    contenders: &[Contender],
    warmup: usize,
    rounds: usize,
    mut before_run: impl FnMut(usize) -> Result<(), String>,
) -> Result<Vec<Vec<Sample>>, String> {
    run_rounds(contenders, warmup, rounds, |round, offset| {
        before_run((round + offset) % contenders.len())
    })
}

/// Runs the rounds, calling `before` with the round number and the position
/// within the round before each run.
fn run_rounds(
    contenders: &[Contender],
    warmup: usize,
    rounds: usize,
    mut before: impl FnMut(usize, usize) -> Result<(), String>,
) -> Result<Vec<Vec<Sample>>, String> {
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..warmup + rounds {
        for offset in 0..contenders.len() {
            before(round, offset)?;
            let index = (round + offset) % contenders.len();
            let sample = contenders[index].run()?;
            if round >= warmup {
                samples[index].push(sample);
            }
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_rotate_the_first_contender() {
        let dir = std::env::temp_dir().join(format!("bench-rounds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let contender = |name: &str| {
            let script = format!("echo {name} >> order");
            Contender::new(name, "/bin/sh", ["-c", script.as_str()], &dir)
        };
        let contenders = [contender("a"), contender("b"), contender("c")];
        let mut hooks = Vec::new();

        let samples = interleave(&contenders, 1, 2, |round| {
            hooks.push(round);
            Ok(())
        })
        .unwrap();

        let order = std::fs::read_to_string(dir.join("order")).unwrap();
        assert_eq!(
            order.split_whitespace().collect::<Vec<_>>(),
            ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
        );
        assert_eq!(hooks, [0, 1, 2]);
        assert_eq!(samples.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn each_hook_runs_before_every_run() {
        let dir = std::env::temp_dir().join(format!("bench-rounds-each-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let contender = |name: &str| {
            let script = format!("echo {name} >> order");
            Contender::new(name, "/bin/sh", ["-c", script.as_str()], &dir)
        };
        let contenders = [contender("a"), contender("b")];
        let mut hooks = Vec::new();

        let samples = interleave_each(&contenders, 1, 2, |index| {
            hooks.push(index);
            std::fs::write(dir.join("order"), "").map_err(|err| err.to_string())
        })
        .unwrap();

        // The hook empties the file before each run, so only the last run is left.
        let order = std::fs::read_to_string(dir.join("order")).unwrap();
        assert_eq!(order, "b\n");
        assert_eq!(hooks, [0, 1, 1, 0, 0, 1]);
        assert_eq!(samples.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
