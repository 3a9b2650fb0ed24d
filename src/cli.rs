//! The command line, and its check into a [`Config`] before anything runs.
//!
//! Every flag is validated up front: an unknown section or malformed value
//! is refused by clap, and a device that is not there or an output folder
//! that cannot take files is refused here, each as a [`UsageError`] that the
//! binary turns into exit code 2.

use std::fmt;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use tch::{Cuda, Device};

use crate::activation::Activation;
use crate::context::{Options, Scale};
use crate::exercises;
use crate::output::prepare_dir;
use crate::sections;

#[derive(Parser, Debug)]
#[command(
    name = "actlab",
    version,
    about = "See and measure what activation functions do to a neural network",
    long_about = "A bit-exact Rust port of a PyTorch notebook on activation functions. Each \
                  section prints the notebook's results and writes its figures (PNG) and \
                  results (JSON) under the output folder.\n\nExit codes: 0 success, 1 a \
                  section failed, 2 bad input (unknown section, bad flag value, missing \
                  device, unwritable output folder)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Where to compute: auto (CUDA when available, as the notebook does), cpu, cuda or cuda:N
    #[arg(long, global = true, default_value = "auto", value_parser = parse_device)]
    pub device: DeviceChoice,

    /// Seed of the random stream; it replaces the notebook's 42 everywhere it appears
    #[arg(long, global = true, default_value_t = 42)]
    pub seed: i64,

    /// Output folder; each section writes into DIR/<section>/
    #[arg(long, global = true, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// Print nothing but errors, and draw no progress bars
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Samples in the 6.4 dataset (the notebook's is 5000)
    #[arg(long, global = true, default_value_t = 5000,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub samples: i64,

    /// Width of the 6.4 network's hidden layers (the notebook's is 128)
    #[arg(long, global = true, default_value_t = 128,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub hidden: i64,

    /// Models trained at once in 6.4 (default: one per CPU core; 1 trains them in turn).
    /// The numbers are the same either way
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Activations to compare, comma-separated (6.4 and the comparison exercises; default:
    /// the notebook's six)
    #[arg(long, global = true, value_delimiter = ',', value_parser = parse_activation)]
    pub activations: Vec<Activation>,

    /// Your own activation as an expression in x, e.g. "x * sigmoid(1.702 * x)": numbers, + - *
    /// / ^, parentheses, exp log tanh sigmoid softplus erf relu abs, and min(a, b), max(a, b)
    #[arg(long, global = true, value_name = "EXPR")]
    pub activation_expr: Option<String>,

    /// Seeds for the repeated comparison, comma-separated, e.g. 42,43,44
    #[arg(long, global = true, value_delimiter = ',', default_value = "42,43,44")]
    pub seeds: Vec<i64>,

    /// Fraction of the data held out to measure accuracy on unseen samples (0 to <1; 0 keeps
    /// 6.4 exactly as the notebook)
    #[arg(long, global = true, default_value_t = 0.0, value_parser = parse_fraction)]
    pub holdout: f64,

    /// Epochs for the exercises that train (each has its own default)
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,

    /// Folder holding the CIFAR-10 binary files (data_batch_1.bin ... test_batch.bin)
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Train on at most N samples (CIFAR-10 exercise)
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,

    /// CPU threads libtorch may use inside one op (default: libtorch's own choice)
    #[arg(long, global = true, value_parser = clap::value_parser!(i32).range(1..))]
    pub threads: Option<i32>,

    /// Results of the PyTorch reference (notebooks-ref/activation_functions.py --out DIR) to
    /// compare every series with, bit for bit, in DIR/report.html
    #[arg(long, global = true, value_name = "DIR")]
    pub reference: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one section of the notebook
    Section {
        /// The section's number, as in the notebook
        #[arg(value_parser = PossibleValuesParser::new(sections::ids()))]
        id: String,
    },
    /// Run every section in notebook order
    All,
    /// Run one of the notebook's exercises or diagnostics
    Exercise {
        /// The exercise's name, as `actlab list` shows it
        #[arg(value_parser = PossibleValuesParser::new(exercises::ids()))]
        id: String,
    },
    /// List the sections with their titles
    List,
    /// Show the libtorch version, CPU threads and CUDA devices
    Info,
}

/// The `--device` value, before it is checked against the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    Auto,
    Cpu,
    Cuda(usize),
}

fn parse_activation(text: &str) -> Result<Activation, String> {
    text.parse()
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "'{text}' is not a fraction; accepted: a number from 0 up to (not \
                          including) 1"
        )),
    }
}

pub fn parse_device(text: &str) -> Result<DeviceChoice, String> {
    let accepted = "accepted: auto, cpu, cuda, cuda:N (N a device index)";
    match text {
        "auto" => Ok(DeviceChoice::Auto),
        "cpu" => Ok(DeviceChoice::Cpu),
        "cuda" => Ok(DeviceChoice::Cuda(0)),
        _ => match text.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(index)) => Ok(DeviceChoice::Cuda(index)),
            _ => Err(format!("'{text}' is not a device; {accepted}")),
        },
    }
}

/// Bad input found after parsing: reported with exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

impl DeviceChoice {
    /// The device to use on this machine, or why there is none.
    pub fn resolve(self) -> Result<Device, UsageError> {
        let count = if Cuda::is_available() { Cuda::device_count() as usize } else { 0 };
        match self {
            DeviceChoice::Auto if count > 0 => Ok(Device::Cuda(0)),
            DeviceChoice::Auto | DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(index) if count == 0 => Err(UsageError(format!(
                "--device cuda:{index}: no CUDA device is available on this machine; use \
                 --device cpu or auto"
            ))),
            DeviceChoice::Cuda(index) if index >= count => Err(UsageError(format!(
                "--device cuda:{index}: this machine has {count} CUDA device(s), cuda:0 to \
                 cuda:{}",
                count - 1
            ))),
            DeviceChoice::Cuda(index) => Ok(Device::Cuda(index)),
        }
    }
}

/// A run's settings, checked against the machine.
#[derive(Debug)]
pub struct Config {
    pub device: Device,
    pub seed: i64,
    pub out: PathBuf,
    pub quiet: bool,
    pub scale: Scale,
    pub jobs: usize,
    pub options: Options,
    /// The PyTorch reference's output folder, for the report's parity check.
    pub reference: Option<PathBuf>,
}

impl Config {
    /// Resolves the device and makes sure the output folder can take files.
    pub fn check(cli: &Cli) -> Result<Config, UsageError> {
        let device = cli.device.resolve()?;
        check_custom_activation(cli)?;
        if matches!(&cli.command, Command::Exercise { id } if id == exercises::cifar10::ID) {
            crate::cifar::data_dir(cli.data.as_deref())?;
        }
        if let Some(reference) = cli.reference.as_ref().filter(|r| !r.is_dir()) {
            return Err(UsageError(format!(
                "--reference {}: not a folder; give the --out folder of a run of \
                 notebooks-ref/activation_functions.py",
                reference.display()
            )));
        }
        prepare_dir(&cli.out).map_err(|e| {
            UsageError(format!(
                "--out {}: {e:#}; give a folder you can write to",
                cli.out.display()
            ))
        })?;
        Ok(Config {
            device,
            seed: cli.seed,
            out: cli.out.clone(),
            quiet: cli.quiet,
            scale: Scale { samples: cli.samples, hidden: cli.hidden },
            jobs: cli.jobs.map(usize::from).unwrap_or_else(|| default_jobs(device)),
            options: Options {
                activations: if cli.activations.is_empty() {
                    Activation::COMPARED.to_vec()
                } else {
                    cli.activations.clone()
                },
                activation_expr: cli.activation_expr.clone(),
                seeds: cli.seeds.clone(),
                holdout: cli.holdout,
                epochs: cli.epochs.map(|e| e as usize),
                data: cli.data.clone(),
                limit: cli.limit.map(|l| l as usize),
            },
            reference: cli.reference.clone(),
        })
    }
}

/// Parses `--activation-expr` into the process's custom activation, and refuses a run that
/// needs one when none was given.
fn check_custom_activation(cli: &Cli) -> Result<(), UsageError> {
    if let Some(text) = &cli.activation_expr {
        crate::expr::set_custom_activation(text)
            .map_err(|e| UsageError(format!("--activation-expr \"{text}\": {e}")))?;
    }

    let compared = cli.activations.contains(&Activation::Custom);
    let exercise = matches!(&cli.command, Command::Exercise { id } if id == exercises::custom::ID);
    if (compared || exercise) && cli.activation_expr.is_none() {
        let asked = if compared { "--activations custom" } else { "exercise custom" };
        return Err(UsageError(format!(
            "{asked} needs the activation itself: pass --activation-expr, e.g. \
             --activation-expr \"x * sigmoid(1.702 * x)\""
        )));
    }
    Ok(())
}

/// One model per core on CPU; on a GPU the kernels queue on one device, so
/// models train in turn.
fn default_jobs(device: Device) -> usize {
    match device {
        Device::Cpu => std::thread::available_parallelism().map_or(1, usize::from),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse() {
        assert_eq!(parse_device("auto"), Ok(DeviceChoice::Auto));
        assert_eq!(parse_device("cpu"), Ok(DeviceChoice::Cpu));
        assert_eq!(parse_device("cuda"), Ok(DeviceChoice::Cuda(0)));
        assert_eq!(parse_device("cuda:3"), Ok(DeviceChoice::Cuda(3)));
        for bad in ["gpu", "cuda:", "cuda:x", "cuda:-1", "CPU"] {
            assert!(parse_device(bad).unwrap_err().contains("accepted: auto, cpu"), "{bad}");
        }
    }

    #[test]
    fn unknown_section_is_refused() {
        let err = Cli::try_parse_from(["actlab", "section", "6.9"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
        assert!(err.to_string().contains("6.4"));
    }

    #[test]
    fn flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["actlab", "all", "--seed", "7", "--device", "cpu"]).unwrap();
        assert_eq!(cli.seed, 7);
        assert_eq!(cli.device, DeviceChoice::Cpu);
    }

    #[test]
    fn a_bad_activation_expression_is_a_usage_error() {
        let args = ["actlab", "exercise", "custom", "--activation-expr", "x * * 2"];
        let out = tempfile::tempdir().unwrap();
        let cli = Cli::try_parse_from(args.iter().chain(&["--out", out.path().to_str().unwrap()]))
            .unwrap();
        let message = Config::check(&cli).unwrap_err().0;
        assert!(message.starts_with("--activation-expr \"x * * 2\": position 5: expected"));
    }

    #[test]
    fn custom_needs_an_expression() {
        let out = tempfile::tempdir().unwrap();
        let out = out.path().to_str().unwrap();
        for args in [
            &["actlab", "section", "6.4", "--activations", "relu,custom"][..],
            &["actlab", "exercise", "custom"][..],
        ] {
            let cli = Cli::try_parse_from(args.iter().chain(&["--out", out])).unwrap();
            let message = Config::check(&cli).unwrap_err().0;
            assert!(message.contains("pass --activation-expr"), "{args:?}: {message}");
        }
    }

    #[test]
    fn cpu_always_resolves() {
        assert_eq!(DeviceChoice::Cpu.resolve().unwrap(), Device::Cpu);
    }
}
