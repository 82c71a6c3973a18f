//! `Summary`: the median and spread of a contender's samples.
//!
//! The median is the figure the targets compare, because one slow sample on a
//! noisy machine moves it less than it moves the mean. The spread is shown as
//! the minimum, the 90th percentile (nearest rank) and the maximum. With an
//! even count the median is the mean of the two middle samples.

use std::time::Duration;

use crate::contender::Sample;

/// The statistics of one contender's samples.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: Duration,
    pub min: Duration,
    pub p90: Duration,
    pub max: Duration,
    /// The median of the samples' CPU time (user plus system).
    pub median_cpu: Duration,
    /// The median of the samples' peak RSS, in KiB.
    pub median_rss_kib: u64,
    pub count: usize,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[Sample]) -> Option<Summary> {
        let mut walls: Vec<Duration> = samples.iter().map(|sample| sample.wall).collect();
        walls.sort();
        let mut cpu: Vec<Duration> = samples.iter().map(|sample| sample.cpu).collect();
        cpu.sort();
        let mut rss: Vec<u64> = samples.iter().map(|sample| sample.max_rss_kib).collect();
        rss.sort();
        Some(Summary {
            median: median_duration(&walls)?,
            min: *walls.first()?,
            p90: walls[nearest_rank(walls.len(), 0.9)],
            max: *walls.last()?,
            median_cpu: median_duration(&cpu)?,
            median_rss_kib: rss[rss.len() / 2],
            count: walls.len(),
        })
    }
}

/// Returns the median of sorted `values`.
pub fn median_duration(values: &[Duration]) -> Option<Duration> {
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2),
    }
}

/// Returns the index of the `quantile` of `len` sorted values by the nearest
/// rank method.
fn nearest_rank(len: usize, quantile: f64) -> usize {
    let rank = (quantile * len as f64).ceil() as usize;
    rank.clamp(1, len.max(1)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(millis: &[u64]) -> Vec<Sample> {
        millis
            .iter()
            .map(|&ms| Sample {
                wall: Duration::from_millis(ms),
                cpu: Duration::from_millis(ms / 2),
                max_rss_kib: ms,
            })
            .collect()
    }

    #[test]
    fn summary_of_odd_count() {
        let summary = Summary::of(&samples(&[50, 10, 40, 20, 30])).unwrap();
        assert_eq!(summary.median, Duration::from_millis(30));
        assert_eq!(summary.min, Duration::from_millis(10));
        assert_eq!(summary.p90, Duration::from_millis(50));
        assert_eq!(summary.max, Duration::from_millis(50));
        assert_eq!(summary.median_cpu, Duration::from_millis(15));
        assert_eq!(summary.median_rss_kib, 30);
        assert_eq!(summary.count, 5);
    }

    #[test]
    fn median_of_even_count_is_mean() {
        let summary = Summary::of(&samples(&[10, 20, 30, 40])).unwrap();
        assert_eq!(summary.median, Duration::from_millis(25));
    }

    #[test]
    fn p90_of_twenty_samples() {
        let millis: Vec<u64> = (1..=20).collect();
        let summary = Summary::of(&samples(&millis)).unwrap();
        assert_eq!(summary.p90, Duration::from_millis(18));
    }

    #[test]
    fn summary_of_nothing_is_none() {
        assert!(Summary::of(&[]).is_none());
    }
}
