//! What each command does, given a parsed command line.

use std::process::ExitCode;

use anyhow::Result;
use tch::Cuda;

use crate::cli::{Cli, Command, Config};
use crate::context::{Context, Outcome};
use crate::exercises::{self, EXERCISES};
use crate::progress;
use crate::report::{self, Started};
use crate::sections::{self, Section, SECTIONS};

/// Runs the command; `Err` carries bad input ([`crate::cli::UsageError`])
/// or a failure before any section ran.
pub fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(threads) = cli.threads {
        tch::set_num_threads(threads);
    }

    match &cli.command {
        Command::List => {
            println!("Sections (actlab section <ID>):");
            for section in SECTIONS {
                println!("  {:<18} {}", section.id, section.title);
            }
            println!("Exercises and diagnostics (actlab exercise <ID>):");
            for exercise in EXERCISES {
                println!("  {:<18} {}", exercise.id, exercise.title);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Info => {
            info();
            Ok(ExitCode::SUCCESS)
        }
        Command::Section { id } => {
            let section = sections::find(id).expect("clap accepts only known sections");
            run_sections(&cli, &[section])
        }
        Command::All => run_sections(&cli, &SECTIONS.iter().collect::<Vec<_>>()),
        Command::Exercise { id } => {
            let exercise = exercises::find(id).expect("clap accepts only known exercises");
            run_items(&cli, |ctx| exercises::run(ctx, &[exercise]))
        }
    }
}

fn info() {
    println!("libtorch: {}", crate::aten::libtorch_version());
    println!("CPU threads: {}", tch::get_num_threads());
    let available = Cuda::is_available();
    println!("CUDA available: {}", if available { "yes" } else { "no" });
    if available {
        for index in 0..Cuda::device_count() {
            println!("  cuda:{index}");
        }
        println!("cuDNN available: {}", if Cuda::cudnn_is_available() { "yes" } else { "no" });
    }
}

fn run_sections(cli: &Cli, wanted: &[&'static Section]) -> Result<ExitCode> {
    run_items(cli, |ctx| sections::run(ctx, wanted))
}

/// Checks the settings, runs `items`, writes the report and says which
/// failed.
fn run_items(cli: &Cli, items: impl FnOnce(&Context) -> Vec<Outcome>) -> Result<ExitCode> {
    let started = Started::now();
    let config = Config::check(cli)?;
    let bars = progress::for_terminal(config.quiet);
    let ctx = Context::new(&config, bars.as_ref());
    ctx.say(format!("Device: {}", ctx.device_name()));
    ctx.say(format!("libtorch version: {}", crate::aten::libtorch_version()));

    let outcomes = items(&ctx);

    let mut failed = false;
    for outcome in &outcomes {
        if let Some(error) = &outcome.error {
            eprintln!("actlab: section {} failed: {error}", outcome.id);
            failed = true;
        }
    }
    if let Err(error) = report::publish(&config, &started, &outcomes) {
        eprintln!("actlab: {error:#}");
        failed = true;
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
