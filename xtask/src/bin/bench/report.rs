//! The report: timing tables, ratios and verdicts on the targets, as Markdown.
//!
//! Each benchmark returns a `Section`: one row per contender with the median
//! and the spread of its wall times, its median CPU time and peak RSS, then
//! the ratios of our rows to each peer measured in the same run, then one
//! verdict per target. A verdict
//! compares medians: "within 1.3x of make" holds when our median is at most
//! 1.3 times make's, "3x faster than go-task" when go-task's median is at
//! least 3 times ours. The same ratio of the minimums follows in brackets:
//! under load from other processes the minimum is the sample least disturbed.
//! A target whose contender was skipped is reported as not measured, with the
//! reason, never as met.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::contender::{Contender, Sample};
use crate::peers::Peers;
use crate::stats::Summary;

/// The result of one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Missed,
    NotMeasured,
}

/// One target with the measured figure.
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub outcome: Outcome,
}

/// The ratio of one of our rows to one peer's row, both measured in this run.
pub struct Ratio {
    pub ours: String,
    pub peer: String,
    pub ours_summary: Summary,
    pub peer_summary: Summary,
}

/// One contender's line in a table.
pub struct Row {
    pub name: String,
    pub summary: Summary,
}

/// The results of one benchmark.
pub struct Section {
    pub title: String,
    /// A sentence or two on what the benchmark measures.
    pub description: String,
    /// The command lines the contenders ran.
    pub commands: Vec<(String, String)>,
    pub rows: Vec<Row>,
    pub ratios: Vec<Ratio>,
    pub verdicts: Vec<Verdict>,
    pub notes: Vec<String>,
}

impl Section {
    /// Creates an empty section.
    pub fn new(title: &str, description: &str) -> Section {
        Section {
            title: title.to_string(),
            description: description.to_string(),
            commands: Vec::new(),
            rows: Vec::new(),
            ratios: Vec::new(),
            verdicts: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds the rows of `contenders` with their `samples`, in the same order.
    pub fn add_samples(&mut self, contenders: &[Contender], samples: &[Vec<Sample>]) {
        for (contender, samples) in contenders.iter().zip(samples) {
            self.commands.push((contender.name.clone(), contender.command_line()));
            if let Some(summary) = Summary::of(samples) {
                self.rows.push(Row { name: contender.name.clone(), summary });
            }
        }
    }

    /// Returns the summary of the contender named `name`, if it was measured.
    pub fn summary(&self, name: &str) -> Option<Summary> {
        self.rows.iter().find(|row| row.name == name).map(|row| row.summary)
    }

    /// Adds the ratio of each of `ours` to each of `peers`, skipping the rows
    /// that were not measured (a missing peer's note gives the reason).
    pub fn add_ratios(&mut self, ours: &[&str], peers: &[&str]) {
        for our_name in ours {
            for peer_name in peers {
                if let (Some(ours_summary), Some(peer_summary)) =
                    (self.summary(our_name), self.summary(peer_name))
                {
                    self.ratios.push(Ratio {
                        ours: our_name.to_string(),
                        peer: peer_name.to_string(),
                        ours_summary,
                        peer_summary,
                    });
                }
            }
        }
    }

    /// Adds the verdict that `ours` takes at most `factor` times as long as `peer`.
    pub fn within(&mut self, ours: &str, peer: &str, factor: f64) {
        let target = format!("{ours} within {factor}x of {peer}");
        let verdict = match (self.summary(ours), self.summary(peer)) {
            (Some(ours), Some(peer)) => {
                let of_medians = ratio(ours.median, peer.median);
                let of_minimums = ratio(ours.min, peer.min);
                Verdict {
                    target,
                    measured: format!("{of_medians:.2}x (minimums: {of_minimums:.2}x)"),
                    outcome: if of_medians <= factor { Outcome::Met } else { Outcome::Missed },
                }
            }
            _ => not_measured(target),
        };
        self.verdicts.push(verdict);
    }

    /// Adds the verdict that `peer` takes at least `factor` times as long as `ours`.
    pub fn faster(&mut self, ours: &str, peer: &str, factor: f64) {
        let target = format!("{ours} at least {factor}x faster than {peer}");
        let verdict = match (self.summary(ours), self.summary(peer)) {
            (Some(ours), Some(peer)) => {
                let speedup = ratio(peer.median, ours.median);
                let of_minimums = ratio(peer.min, ours.min);
                Verdict {
                    target,
                    measured: format!("{speedup:.2}x faster (minimums: {of_minimums:.2}x)"),
                    outcome: if speedup >= factor { Outcome::Met } else { Outcome::Missed },
                }
            }
            _ => not_measured(target),
        };
        self.verdicts.push(verdict);
    }

    /// Adds the verdict that the median `ours` is at most `factor` times the
    /// median `peer`, for measurements that report medians only.
    pub fn within_medians(&mut self, target: &str, ours: Duration, peer: Duration, factor: f64) {
        let of_medians = ratio(ours, peer);
        self.verdicts.push(Verdict {
            target: target.to_string(),
            measured: format!("{of_medians:.2}x"),
            outcome: if of_medians <= factor { Outcome::Met } else { Outcome::Missed },
        });
    }

    /// Adds the verdict that the median `peer` is at least `factor` times the
    /// median `ours`, for measurements that report medians only.
    pub fn faster_medians(&mut self, target: &str, ours: Duration, peer: Duration, factor: f64) {
        let speedup = ratio(peer, ours);
        self.verdicts.push(Verdict {
            target: target.to_string(),
            measured: format!("{speedup:.2}x faster"),
            outcome: if speedup >= factor { Outcome::Met } else { Outcome::Missed },
        });
    }

    /// Adds the verdict that `ours` takes less than `percent` percent longer
    /// than `base`.
    pub fn overhead(&mut self, ours: &str, base: &str, percent: f64) {
        let target = format!("{ours} under {percent}% over {base}");
        let verdict = match (self.summary(ours), self.summary(base)) {
            (Some(ours), Some(base)) => {
                self.overhead_verdict(target, ours.median, base.median, percent)
            }
            _ => not_measured(target),
        };
        self.verdicts.push(verdict);
    }

    /// Returns the verdict that `ours` is less than `percent` percent above `base`.
    pub fn overhead_verdict(
        &self,
        target: String,
        ours: Duration,
        base: Duration,
        percent: f64,
    ) -> Verdict {
        let measured = (ratio(ours, base) - 1.0) * 100.0;
        Verdict {
            target,
            measured: format!("{measured:+.1}%"),
            outcome: if measured < percent { Outcome::Met } else { Outcome::Missed },
        }
    }

    /// Adds the verdict that `value` is below `limit`, both in `unit`.
    pub fn below(&mut self, target: &str, value: f64, limit: f64, unit: &str) {
        self.verdicts.push(Verdict {
            target: target.to_string(),
            measured: format!("{value:.1} {unit} ({:.2}x of the limit)", value / limit),
            outcome: if value < limit { Outcome::Met } else { Outcome::Missed },
        });
    }

    /// Adds a target that could not be measured, with the reason.
    pub fn skip(&mut self, target: &str, reason: &str) {
        self.verdicts.push(Verdict {
            target: target.to_string(),
            measured: reason.to_string(),
            outcome: Outcome::NotMeasured,
        });
    }

    /// Formats the section as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut text = format!("## {}\n\n{}\n\n", self.title, self.description);
        if !self.rows.is_empty() {
            text.push_str(
                "| contender | median | min | p90 | max | CPU (user+sys) | peak RSS | samples |\n",
            );
            text.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for row in &self.rows {
                let summary = &row.summary;
                let _ = writeln!(
                    text,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    row.name,
                    millis(summary.median),
                    millis(summary.min),
                    millis(summary.p90),
                    millis(summary.max),
                    millis(summary.median_cpu),
                    megabytes(summary.median_rss_kib),
                    summary.count
                );
            }
            text.push('\n');
        }
        if !self.ratios.is_empty() {
            text.push_str(
                "| ours / peer | wall, medians | wall, minimums | CPU, medians |\n\
                 |---|---:|---:|---:|\n",
            );
            for entry in &self.ratios {
                let (ours, peer) = (&entry.ours_summary, &entry.peer_summary);
                let _ = writeln!(
                    text,
                    "| {} / {} | {:.2}x | {:.2}x | {:.2}x |",
                    entry.ours,
                    entry.peer,
                    ratio(ours.median, peer.median),
                    ratio(ours.min, peer.min),
                    ratio(ours.median_cpu, peer.median_cpu)
                );
            }
            text.push('\n');
        }
        if !self.verdicts.is_empty() {
            text.push_str("| target | measured | result |\n|---|---|---|\n");
            for verdict in &self.verdicts {
                let result = match verdict.outcome {
                    Outcome::Met => "met",
                    Outcome::Missed => "**missed**",
                    Outcome::NotMeasured => "not measured",
                };
                let _ = writeln!(text, "| {} | {} | {result} |", verdict.target, verdict.measured);
            }
            text.push('\n');
        }
        if !self.commands.is_empty() {
            text.push_str("Commands:\n\n");
            for (name, command) in &self.commands {
                let _ = writeln!(text, "- {name}: `{command}`");
            }
            text.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(text, "{note}\n");
        }
        text
    }
}

fn not_measured(target: String) -> Verdict {
    Verdict {
        target,
        measured: "a contender was skipped".to_string(),
        outcome: Outcome::NotMeasured,
    }
}

fn ratio(numerator: Duration, denominator: Duration) -> f64 {
    numerator.as_secs_f64() / denominator.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// Formats a duration in milliseconds with one decimal.
pub fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Formats KiB as megabytes (10^6 bytes) with one decimal.
pub fn megabytes(kib: u64) -> String {
    format!("{:.1} MB", kib_to_megabytes(kib))
}

/// Converts KiB to megabytes (10^6 bytes).
pub fn kib_to_megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The facts about the run that the report records besides the sections.
pub struct RunInfo<'a> {
    /// The command that produced the report, as the user typed it.
    pub command: &'a str,
    /// Whether the workloads were the smaller ones of `--quick`.
    pub quick: bool,
    /// The repository root, which the report leaves out of paths below it.
    pub repo: &'a Path,
    pub peers: &'a Peers,
}

/// The prose before the results: what the benchmarks are and how they measure.
const METHOD: &str = include_str!("doc/method.md");

/// The prose after the results: what profiling found and changed.
const FINDINGS: &str = include_str!("doc/findings.md");

/// Formats the whole report: the method, the run's command, machine and
/// peers, every section, then the findings.
pub fn document(sections: &[Section], run: &RunInfo) -> String {
    let mut text = String::new();
    if run.quick {
        text.push_str(
            "# Benchmarks (quick mode)\n\n\
             Smaller workloads and fewer rounds than the full run. The targets are set for the \
             full workloads, so the verdicts below are indicative only.\n\n",
        );
    } else {
        text.push_str("# Benchmarks\n\n");
    }
    text.push_str(METHOD);
    text.push_str("\n## Results\n\n");
    let _ = writeln!(text, "- command: `{}`", run.command);
    let _ = writeln!(text, "- date: {}", utc_now());
    let _ = writeln!(text, "- machine: {}", machine());
    for line in run.peers.describe() {
        let _ = writeln!(text, "- {line}");
    }
    text.push_str("- ratios and verdicts compare medians; min, p90 and max show the spread\n\n");
    for section in sections {
        text.push_str(&section.to_markdown());
    }
    text.push_str(FINDINGS);

    let prefix = format!("{}/", run.repo.display());
    text.replace(&prefix, "")
}

/// Describes this machine: CPU model, cores, memory and kernel.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim()))
        .unwrap_or("unknown CPU")
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
        .map_or("unknown memory".to_string(), |kib| {
            format!("{:.1} GiB of memory", kib as f64 / (1024.0 * 1024.0))
        });
    format!("{model}, {} cores, {memory}, Linux {}", cores(), kernel())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|_| "(unknown kernel)".to_string())
}

/// Formats the current time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let (year, month, day) = civil_date(seconds / 86_400);
    let minutes = seconds % 86_400 / 60;
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day),
/// counting in 400-year eras of 146,097 days that start on March 1st.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section_with(rows: &[(&str, u64)]) -> Section {
        let mut section = Section::new("test", "a test section");
        for &(name, ms) in rows {
            let wall = Duration::from_millis(ms);
            let sample = Sample { wall, cpu: wall / 2, max_rss_kib: 1024 };
            let summary = Summary::of(&[sample]).unwrap();
            section.rows.push(Row { name: name.to_string(), summary });
        }
        section
    }

    #[test]
    fn civil_date_of_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_426), (2025, 12, 4));
    }

    #[test]
    fn within_compares_medians() {
        let mut section = section_with(&[("ours", 100), ("make", 80)]);
        section.within("ours", "make", 1.3);
        section.within("make", "ours", 0.5);
        assert_eq!(section.verdicts[0].measured, "1.25x (minimums: 1.25x)");
        assert_eq!(section.verdicts[0].outcome, Outcome::Met);
        assert_eq!(section.verdicts[1].outcome, Outcome::Missed);
    }

    #[test]
    fn faster_compares_speedup() {
        let mut section = section_with(&[("ours", 100), ("go-task", 350)]);
        section.faster("ours", "go-task", 3.0);
        section.faster("ours", "go-task", 4.0);
        assert_eq!(section.verdicts[0].measured, "3.50x faster (minimums: 3.50x)");
        assert_eq!(section.verdicts[0].outcome, Outcome::Met);
        assert_eq!(section.verdicts[1].outcome, Outcome::Missed);
    }

    #[test]
    fn medians_only_verdicts() {
        let mut section = section_with(&[]);
        let ms = Duration::from_millis;
        section.within_medians("noop within 1.3x of find", ms(50), ms(40), 1.3);
        section.faster_medians("noop 4x faster than go-task", ms(50), ms(150), 4.0);
        assert_eq!(section.verdicts[0].measured, "1.25x");
        assert_eq!(section.verdicts[0].outcome, Outcome::Met);
        assert_eq!(section.verdicts[1].measured, "3.00x faster");
        assert_eq!(section.verdicts[1].outcome, Outcome::Missed);
    }

    #[test]
    fn missing_contender_is_not_measured() {
        let mut section = section_with(&[("ours", 100)]);
        section.faster("ours", "go-task", 3.0);
        assert_eq!(section.verdicts[0].outcome, Outcome::NotMeasured);
    }

    #[test]
    fn overhead_in_percent() {
        let mut section = section_with(&[("warn", 103), ("off", 100)]);
        section.overhead("warn", "off", 5.0);
        section.overhead("warn", "off", 2.0);
        assert_eq!(section.verdicts[0].measured, "+3.0%");
        assert_eq!(section.verdicts[0].outcome, Outcome::Met);
        assert_eq!(section.verdicts[1].outcome, Outcome::Missed);
    }

    #[test]
    fn markdown_marks_misses() {
        let mut section = section_with(&[("ours", 200), ("make", 80)]);
        section.within("ours", "make", 1.3);
        let text = section.to_markdown();
        assert!(
            text.contains("| ours within 1.3x of make | 2.50x (minimums: 2.50x) | **missed** |"),
            "{text}"
        );
        assert!(text.contains("| ours | 200.0 ms |"), "{text}");
    }

    #[test]
    fn ratios_skip_missing_peers() {
        let mut section = section_with(&[("ours", 100), ("make", 80)]);
        section.add_ratios(&["ours"], &["make", "just"]);
        assert_eq!(section.ratios.len(), 1);
        let text = section.to_markdown();
        assert!(text.contains("| ours / make | 1.25x | 1.25x | 1.25x |"), "{text}");
    }

    #[test]
    fn document_has_paths_relative_to_repo() {
        let mut section = section_with(&[("ours", 100)]);
        section.commands.push(("ours".to_string(), "/repo/root/target/bench x".to_string()));
        let peers = Peers::default();
        let run =
            RunInfo { command: "bench", quick: true, repo: Path::new("/repo/root"), peers: &peers };
        let text = document(&[section], &run);
        assert!(text.starts_with("# Benchmarks (quick mode)\n"), "{text}");
        assert!(text.contains("- ours: `target/bench x`"), "{text}");
        assert!(!text.contains("/repo/root"), "{text}");
        assert!(text.contains("- command: `bench`"), "{text}");
    }

    #[test]
    fn machine_names_cores_and_kernel() {
        let text = machine();
        assert!(text.contains(&format!("{} cores", cores())), "{text}");
        assert!(text.contains("Linux "), "{text}");
    }
}
