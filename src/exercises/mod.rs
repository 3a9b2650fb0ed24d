//! Beyond the notebook: its exercises, and the diagnostics it recommends
//! but never runs.
//!
//! Each exercise is a module with a `run` function that seeds the random
//! stream itself (with `--seed`), computes, draws and records like a
//! section, and writes into `DIR/<id>/`. They are listed here, in the order
//! `actlab list` shows them.

use anyhow::Result;

use crate::context::{run_item, Context, Outcome};
use crate::results::Results;

pub struct Exercise {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Context) -> Result<Results>,
}

/// Every exercise and diagnostic.
pub const EXERCISES: &[Exercise] = &[];

pub fn find(id: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|e| e.id == id)
}

pub fn ids() -> Vec<&'static str> {
    EXERCISES.iter().map(|e| e.id).collect()
}

/// Runs the exercises in `wanted`, each from a freshly seeded stream.
pub fn run(ctx: &Context, wanted: &[&'static Exercise]) -> Vec<Outcome> {
    wanted
        .iter()
        .map(|exercise| {
            crate::rng::manual_seed(ctx.seed);
            run_item(ctx, exercise.id, exercise.title, exercise.run)
        })
        .collect()
}
