//! Beyond the notebook: its exercises, and the diagnostics it recommends
//! but never runs.
//!
//! Each exercise is a module with a `run` function that seeds the random
//! stream itself (with `--seed`), computes, draws and records like a
//! section, and writes into `DIR/<id>/`. They are listed here, in the order
//! `actlab list` shows them.

pub mod cifar10;
pub mod custom;
pub mod dead_neurons;
pub mod distributions;
pub mod gelu_tanh;
pub mod gradient_check;
pub mod gradient_flow;
pub mod mish;
pub mod seeds;

use anyhow::Result;

use crate::context::{run_item, Context, Outcome};
use crate::results::Results;

pub struct Exercise {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Context) -> Result<Results>,
}

/// Every exercise and diagnostic.
pub const EXERCISES: &[Exercise] = &[
    Exercise { id: mish::ID, title: mish::TITLE, run: mish::run },
    Exercise { id: cifar10::ID, title: cifar10::TITLE, run: cifar10::run },
    Exercise { id: distributions::ID, title: distributions::TITLE, run: distributions::run },
    Exercise { id: dead_neurons::ID, title: dead_neurons::TITLE, run: dead_neurons::run },
    Exercise { id: custom::ID, title: custom::TITLE, run: custom::run },
    Exercise { id: gelu_tanh::ID, title: gelu_tanh::TITLE, run: gelu_tanh::run },
    Exercise { id: gradient_flow::ID, title: gradient_flow::TITLE, run: gradient_flow::run },
    Exercise { id: seeds::ID, title: seeds::TITLE, run: seeds::run },
];

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
