//! Interleaved rounds: every contender runs once per round.
//!
//! Running all samples of one contender and then all of the next would hand
//! one of them a quiet minute and the other a busy one. Here each round runs
//! every contender once, and the starting contender rotates from round to
//! round so that none always runs right after the same neighbour. Warm-up
//! rounds fill the page cache and are not recorded. An optional hook runs
//! before each round, untimed, for benchmarks that change a file between
//! rounds.

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
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..warmup + rounds {
        before_round(round)?;
        for offset in 0..contenders.len() {
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
}
