//! A small stderr logger for `Runner::main`, behind `-v` and `-vv`.
//!
//! The library logs through the `log` facade. When `Runner::main` owns the
//! process it installs this logger: warnings always, debug lines with `-v`,
//! trace lines with `-vv`. A program that installed its own logger first keeps
//! it, since `log::set_logger` succeeds only once.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::output::Verbosity;

struct StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        // globset logs every glob set it builds at debug, which drowns out
        // the runner's own decisions.
        let noisy = metadata.target().starts_with("globset");
        metadata.level() <= log::max_level() && !(noisy && metadata.level() > Level::Warn)
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        let _ = writeln!(std::io::stderr().lock(), "{level}: {}", record.args());
    }

    fn flush(&self) {}
}

/// Installs the logger at the level that `verbosity` selects.
pub(crate) fn install(verbosity: Verbosity) {
    static LOGGER: StderrLogger = StderrLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(match verbosity {
            Verbosity::Quiet => LevelFilter::Error,
            Verbosity::Normal => LevelFilter::Warn,
            Verbosity::Verbose => LevelFilter::Debug,
            Verbosity::Trace => LevelFilter::Trace,
        });
    }
}
