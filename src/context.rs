//! What a section or exercise knows about the run it is part of, and the
//! one place where its results, words and figures are gathered.
//!
//! A [`Context`] carries the checked settings (device, seed, output folder,
//! sizes, the exercises' options) and collects, per item, the lines it
//! printed and the figures it wrote, which [`run_item`] turns into an
//! [`Outcome`] for the run's summary and report.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use tch::Device;

use crate::activation::Activation;
use crate::cli::Config;
use crate::output::prepare_dir;
use crate::plot::Figure;
use crate::progress::Progress;
use crate::results::Results;

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

/// Settings only the exercises and diagnostics read.
#[derive(Clone, Debug)]
pub struct Options {
    /// The activations a comparison trains (6.4's six by default).
    pub activations: Vec<Activation>,
    /// The `--activation-expr` text, when given.
    pub activation_expr: Option<String>,
    /// Seeds for repeated comparisons.
    pub seeds: Vec<i64>,
    /// Fraction of the data held out for evaluation; 0 keeps none.
    pub holdout: f64,
    /// Epochs for the exercises that train (each has its own default).
    pub epochs: Option<usize>,
    /// The CIFAR-10 folder.
    pub data: Option<PathBuf>,
    /// Train on at most this many samples.
    pub limit: Option<usize>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            activations: Activation::COMPARED.to_vec(),
            activation_expr: None,
            seeds: vec![42],
            holdout: 0.0,
            epochs: None,
            data: None,
            limit: None,
        }
    }
}

/// What every section and exercise needs to know, and where its words go.
pub struct Context<'a> {
    pub device: Device,
    pub seed: i64,
    pub out: PathBuf,
    pub quiet: bool,
    pub scale: Scale,
    /// How many models may train at once.
    pub jobs: usize,
    pub options: Options,
    pub progress: &'a dyn Progress,
    transcript: RefCell<Vec<String>>,
    figures: RefCell<Vec<PathBuf>>,
    drawn: RefCell<Vec<(PathBuf, Figure)>>,
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
            options: config.options.clone(),
            progress,
            transcript: RefCell::new(Vec::new()),
            figures: RefCell::new(Vec::new()),
            drawn: RefCell::new(Vec::new()),
        }
    }

    /// Prints a line of the item's output (unless quiet) and keeps it.
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        if !self.quiet {
            println!("{line}");
        }
        self.transcript.borrow_mut().push(line);
    }

    /// The folder an item writes into, created and checked writable.
    pub fn item_dir(&self, id: &str) -> Result<PathBuf> {
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

    /// Announces a file the item wrote.
    pub fn wrote(&self, path: &Path) {
        self.say(format!("wrote {}", path.display()));
    }

    /// Announces a figure the item wrote, and keeps it for the report.
    fn figure(&self, path: &Path) {
        self.wrote(path);
        self.figures.borrow_mut().push(path.to_path_buf());
    }

    /// Saves `figure` to `path` and announces it; the report redraws it from
    /// this description as SVG, which stays sharp at any width.
    pub fn draw(&self, figure: &Figure, path: &Path) -> Result<()> {
        figure.save(path)?;
        self.drawn.borrow_mut().push((path.to_path_buf(), figure.clone()));
        self.figure(path);
        Ok(())
    }
}

pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_owned(),
        Device::Cuda(n) => format!("cuda:{n}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// One item's outcome: what it printed, drew and recorded, and its time.
pub struct Outcome {
    pub id: &'static str,
    pub title: &'static str,
    pub transcript: Vec<String>,
    pub figures: Vec<PathBuf>,
    /// The figures drawn through [`Context::draw`], by path, as they were described.
    pub drawn: Vec<(PathBuf, Figure)>,
    pub results: Option<Results>,
    pub error: Option<String>,
    pub wall: Duration,
}

/// Runs one section or exercise: announces it, runs it, writes its results
/// file into `DIR/<id>/`, and gathers what it printed and drew. An error is
/// kept in the outcome rather than returned, so a run can go on and report.
pub fn run_item(
    ctx: &Context,
    id: &'static str,
    title: &'static str,
    run: fn(&Context) -> Result<Results>,
) -> Outcome {
    ctx.say(format!("== {id} {title}"));
    let started = Instant::now();
    let result = run(ctx).and_then(|results| {
        let dir = ctx.item_dir(id)?;
        let path = results.write(&dir).context("cannot save the results")?;
        ctx.wrote(&path);
        Ok(results)
    });
    let wall = started.elapsed();

    let (results, error) = match result {
        Ok(results) => (Some(results), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    Outcome {
        id,
        title,
        transcript: std::mem::take(&mut ctx.transcript.borrow_mut()),
        figures: std::mem::take(&mut ctx.figures.borrow_mut()),
        drawn: std::mem::take(&mut ctx.drawn.borrow_mut()),
        results,
        error,
        wall,
    }
}
