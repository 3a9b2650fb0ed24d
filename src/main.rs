//! The `actlab` command. All the work is in the library; this maps its
//! outcome to an exit status: 0 success, 1 a failure while running, 2 bad
//! input (clap's own usage errors exit with 2 as well).

use std::process::ExitCode;

use actlab::cli::{Cli, UsageError};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match actlab::app::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("actlab: error: {error:#}");
            if error.is::<UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
