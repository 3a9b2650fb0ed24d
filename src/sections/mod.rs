//! The notebook's sections, in notebook order, and the runner that plays
//! them.
//!
//! A section is a module with a `run` function, which computes, prints,
//! draws and records what the notebook's section does, and a `replay`
//! function, which makes only its random draws. Running a section alone
//! replays the ones before it first, so the global random stream reaches
//! it in the same state as in a top-to-bottom run of the notebook.

pub mod activations;
pub mod comparison;
pub mod dead_relu;
pub mod nonlinearity;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use tch::Device;

use crate::cli::Config;
use crate::output::prepare_dir;
use crate::progress::Progress;
use crate::results::Results;
use crate::rng;

pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Context) -> Result<Results>,
    pub replay: fn(&Context),
}

/// Every section, in notebook order.
pub const SECTIONS: &[Section] = &[
    Section {
        id: "6.1",
        title: "Why non-linearity matters: linear vs ReLU network on XOR",
        run: nonlinearity::run,
        replay: nonlinearity::replay,
    },
    Section {
        id: "6.2",
        title: "Common activation functions and their gradients",
        run: activations::run,
        replay: activations::replay,
    },
    Section {
        id: "6.3",
        title: "The dead ReLU problem, tracked over training",
        run: dead_relu::run,
        replay: dead_relu::replay,
    },
    Section {
        id: "6.4",
        title: "Six activations trained head to head",
        run: comparison::run,
        replay: comparison::replay,
    },
];

pub fn find(id: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.id == id)
}

pub fn ids() -> Vec<&'static str> {
    SECTIONS.iter().map(|s| s.id).collect()
}

/// Sizes of the 6.4 experiment; the defaults are the notebook's.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub samples: i64,
    pub hidden: i64,
}

impl Default for Scale {
    fn default() -> Scale {
        Scale { samples: 5000, hidden: 128 }
    }
}

/// What every section needs to know about the run, and where its words go.
pub struct Context<'a> {
    pub device: Device,
    pub seed: i64,
    pub out: PathBuf,
    pub quiet: bool,
    pub scale: Scale,
    /// How many models may train at once.
    pub jobs: usize,
    pub progress: &'a dyn Progress,
    transcript: RefCell<Vec<String>>,
}

impl<'a> Context<'a> {
    pub fn new(config: &Config, progress: &'a dyn Progress) -> Context<'a> {
        Context {
            device: config.device,
            seed: config.seed,
            out: config.out.clone(),
            quiet: config.quiet,
            scale: config.scale,
            jobs: config.jobs,
            progress,
            transcript: RefCell::new(Vec::new()),
        }
    }

    /// Prints a line of the section's output (unless quiet) and keeps it.
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        if !self.quiet {
            println!("{line}");
        }
        self.transcript.borrow_mut().push(line);
    }

    /// The folder a section writes into, created and checked writable.
    pub fn section_dir(&self, id: &str) -> Result<PathBuf> {
        let dir = self.out.join(id);
        prepare_dir(&dir)?;
        Ok(dir)
    }

    /// The device name as results files and messages spell it.
    pub fn device_name(&self) -> String {
        device_name(self.device)
    }

    pub fn results(&self, id: &str) -> Results {
        Results::new(id, self.seed, &self.device_name())
    }

    /// Announces a file the section wrote.
    pub fn wrote(&self, path: &Path) {
        self.say(format!("wrote {}", path.display()));
    }

    fn take_transcript(&self) -> Vec<String> {
        std::mem::take(&mut self.transcript.borrow_mut())
    }
}

pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_owned(),
        Device::Cuda(n) => format!("cuda:{n}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// One section's outcome: what it printed, wrote and how long it took.
pub struct Outcome {
    pub id: &'static str,
    pub title: &'static str,
    pub transcript: Vec<String>,
    pub results: Option<Results>,
    pub error: Option<String>,
    pub wall: Duration,
}

/// Plays the notebook from its top up to the last of `wanted`, running the
/// wanted sections and replaying the draws of the others. Each section's
/// results file is written when it finishes. A failing section is reported
/// in its outcome and the run goes on with the next.
pub fn run(ctx: &Context, wanted: &[&'static Section]) -> Vec<Outcome> {
    let last = wanted.iter().filter_map(|w| SECTIONS.iter().position(|s| s.id == w.id)).max();
    let Some(last) = last else { return Vec::new() };

    rng::manual_seed(ctx.seed);
    let mut outcomes = Vec::new();
    for section in &SECTIONS[..=last] {
        if !wanted.iter().any(|w| w.id == section.id) {
            (section.replay)(ctx);
            continue;
        }

        ctx.say(format!("== {} {}", section.id, section.title));
        let started = Instant::now();
        let result = (section.run)(ctx).and_then(|results| {
            let dir = ctx.section_dir(section.id)?;
            let path = results.write(&dir).context("cannot save the section's results")?;
            ctx.wrote(&path);
            Ok(results)
        });
        let wall = started.elapsed();

        let (results, error) = match result {
            Ok(results) => (Some(results), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        outcomes.push(Outcome {
            id: section.id,
            title: section.title,
            transcript: ctx.take_transcript(),
            results,
            error,
            wall,
        });
    }
    outcomes
}
