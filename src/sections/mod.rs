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

use anyhow::Result;

use crate::context::{run_item, Context, Outcome};
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

/// Plays the notebook from its top up to the last of `wanted`, running the
/// wanted sections and replaying the draws of the others. A failing section
/// is reported in its outcome and the run goes on with the next.
pub fn run(ctx: &Context, wanted: &[&'static Section]) -> Vec<Outcome> {
    let last = wanted.iter().filter_map(|w| SECTIONS.iter().position(|s| s.id == w.id)).max();
    let Some(last) = last else { return Vec::new() };

    rng::manual_seed(ctx.seed);
    let mut outcomes = Vec::new();
    for section in &SECTIONS[..=last] {
        if wanted.iter().any(|w| w.id == section.id) {
            outcomes.push(run_item(ctx, section.id, section.title, section.run));
        } else {
            (section.replay)(ctx);
        }
    }
    outcomes
}
