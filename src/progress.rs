//! Progress on long work, kept apart from the work itself.
//!
//! Training reports to a [`Progress`]; the terminal bars are one
//! implementation of it and [`Silent`] another, so library code and tests
//! run without drawing anything. Bars appear only when stderr is a terminal
//! and `--quiet` is not given.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub trait Progress: Sync {
    /// Starts a task of `len` steps; returns its handle.
    fn start(&self, label: &str, len: u64) -> Box<dyn Task>;
}

pub trait Task: Send + Sync {
    fn advance(&self, message: &str);
    fn finish(&self);
}

/// Draws nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _label: &str, _len: u64) -> Box<dyn Task> {
        Box::new(SilentTask)
    }
}

struct SilentTask;

impl Task for SilentTask {
    fn advance(&self, _message: &str) {}
    fn finish(&self) {}
}

/// indicatif bars on stderr, stacked when several tasks run at once.
pub struct Bars {
    multi: MultiProgress,
}

impl Progress for Bars {
    fn start(&self, label: &str, len: u64) -> Box<dyn Task> {
        let style = ProgressStyle::with_template(
            "{prefix:>16} [{bar:30}] {pos:>3}/{len:3} {elapsed:>4} {msg}",
        )
        .expect("the progress template is valid")
        .progress_chars("=> ");
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Box::new(BarTask(bar))
    }
}

struct BarTask(ProgressBar);

impl Task for BarTask {
    fn advance(&self, message: &str) {
        self.0.set_message(message.to_owned());
        self.0.inc(1);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Bars when stderr is a terminal and the user did not ask for quiet.
pub fn for_terminal(quiet: bool) -> Box<dyn Progress> {
    if quiet || !std::io::stderr().is_terminal() {
        Box::new(Silent)
    } else {
        Box::new(Bars { multi: MultiProgress::new() })
    }
}
