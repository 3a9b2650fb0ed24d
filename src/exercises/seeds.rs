//! Diagnostic: the 6.4 comparison repeated over several seeds.
//!
//! One run of 6.4 ranks the activations by a single draw of dataset,
//! initial weights and shuffles; a gap smaller than the spread between
//! draws means nothing. For every seed of `--seeds` this re-seeds the
//! random stream and draws, in the notebook's order, the dataset, then per
//! activation its model and its shuffles; every model then trains at once
//! (they share nothing). Per activation it reports the summary table of
//! 6.4 as mean ± standard deviation over the seeds, and draws the loss,
//! accuracy and gradient-norm curves as their mean with a ±1 std band.
//!
//! The standard deviation is the sample one (n − 1 in the denominator,
//! `np.std(ddof=1)`); with a single seed there is no spread and it is 0.

use anyhow::Result;
use serde_json::json;

use crate::activation::Activation;
use crate::context::Context;
use crate::data::{create_dataset, DataLoader};
use crate::diagnostics;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::Results;
use crate::rng;
use crate::sections::comparison::{BATCH_SIZE, LR};
use crate::stats::numpy_mean;
use crate::training::{train_all, History};

pub const ID: &str = "seeds";
pub const TITLE: &str = "The 6.4 comparison over several seeds, as mean and standard deviation";

const EPOCHS: usize = 10;

/// One of a history's curves.
type Curve = fn(&History) -> &Vec<f64>;

/// The curves recorded per seed, with their names in the results.
const CURVES: [(&str, Curve); 3] =
    [("loss", |h| &h.loss), ("accuracy", |h| &h.accuracy), ("grad_norm", |h| &h.grad_norm)];

/// The mean and sample standard deviation of one quantity over the seeds.
pub fn across_seeds(values: &[f64]) -> (f64, f64) {
    let mean = numpy_mean(values);
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (squares / (values.len() - 1) as f64).sqrt())
}

/// A curve's mean and standard deviation over the seeds, epoch by epoch.
struct Band {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Band {
    fn of(runs: &[&History], pick: Curve) -> Band {
        let epochs = pick(runs[0]).len();
        let (mean, std) = (0..epochs)
            .map(|e| across_seeds(&runs.iter().map(|h| pick(h)[e]).collect::<Vec<_>>()))
            .unzip();
        Band { mean, std }
    }

    fn line(&self, label: String, color: plot::RGBColor) -> Line {
        let lower: Vec<f64> = self.mean.iter().zip(&self.std).map(|(m, s)| m - s).collect();
        let upper: Vec<f64> = self.mean.iter().zip(&self.std).map(|(m, s)| m + s).collect();
        Line::series(label, color, self.mean.as_slice()).with_band(lower, upper)
    }
}

/// One activation's runs, one per seed, in the seeds' order.
struct Runs<'a> {
    activation: Activation,
    histories: Vec<&'a History>,
}

pub fn run(ctx: &Context) -> Result<Results> {
    let epochs = diagnostics::epochs(ctx, EPOCHS);
    let seeds = &ctx.options.seeds;
    let activations = &ctx.options.activations;

    let mut jobs = Vec::new();
    for &seed in seeds {
        rng::manual_seed(seed);
        let (x, y) = create_dataset(ctx.scale.samples);
        let loader = DataLoader::new(x, y, BATCH_SIZE);
        for mut job in diagnostics::comparison_jobs(ctx, activations, &loader, epochs) {
            job.label = format!("{} seed {seed}", job.label);
            jobs.push(job);
        }
    }

    diagnostics::describe_training(ctx, activations, epochs, LR);
    ctx.say(format!(
        "Seeds {seeds:?}: each re-seeds the stream, then draws the dataset, and per activation \
         its model and shuffles"
    ));
    let histories = train_all(jobs, LR, ctx.device, ctx.progress, ctx.jobs);
    // The jobs were queued seed by seed, each seed's activations in order.
    let runs: Vec<Runs> = activations
        .iter()
        .enumerate()
        .map(|(a, &activation)| Runs {
            activation,
            histories: histories.iter().skip(a).step_by(activations.len()).collect(),
        })
        .collect();

    let mut results = ctx.results(ID);
    results.series("seeds", &seeds.iter().map(|&s| s as f64).collect::<Vec<_>>());
    summarize(ctx, seeds, &runs, &mut results);

    let dir = ctx.item_dir(ID)?;
    ctx.draw(&figure(seeds, &runs), &dir.join("seeds.png"))?;
    Ok(results)
}

/// Prints 6.4's summary table as mean ± std over the seeds, and records
/// every seed's curves, their mean and std, and the table.
fn summarize(ctx: &Context, seeds: &[i64], runs: &[Runs], results: &mut Results) {
    let rule = "-".repeat(72);
    ctx.say(format!("Final Performance Summary, mean ± std over {} seeds", seeds.len()));
    ctx.say(rule.clone());
    ctx.say(format!(
        "{:<15} {:<19} {:<19} {}",
        "Activation", "Final Acc (%)", "Final Loss", "Avg Grad Norm"
    ));
    ctx.say(rule.clone());

    let mut rows = Vec::new();
    for run in runs {
        let key = run.activation.key();
        let per_seed = |pick: fn(&History) -> f64| -> Vec<f64> {
            run.histories.iter().map(|h| pick(h)).collect()
        };
        let final_acc = per_seed(|h| h.accuracy[h.accuracy.len() - 1]);
        let final_loss = per_seed(|h| h.loss[h.loss.len() - 1]);
        let avg_grad = per_seed(History::recent_grad_norm);
        let (acc, loss, grad) =
            (across_seeds(&final_acc), across_seeds(&final_loss), across_seeds(&avg_grad));
        ctx.say(format!(
            "{:<15} {:<19} {:<19} {}",
            key.to_uppercase(),
            plus_minus(acc, 2),
            plus_minus(loss, 4),
            plus_minus(grad, 4)
        ));
        rows.push(json!({
            "activation": key,
            "final_accuracy": { "mean": acc.0, "std": acc.1 },
            "final_loss": { "mean": loss.0, "std": loss.1 },
            "avg_grad_norm": { "mean": grad.0, "std": grad.1 },
        }));

        results.series(&format!("seeds/{key}/final_accuracy"), &final_acc);
        results.series(&format!("seeds/{key}/final_loss"), &final_loss);
        results.series(&format!("seeds/{key}/avg_grad_norm"), &avg_grad);
        for (name, pick) in CURVES {
            let band = Band::of(&run.histories, pick);
            results.series(&format!("seeds/{key}/{name}/mean"), &band.mean);
            results.series(&format!("seeds/{key}/{name}/std"), &band.std);
            for (seed, history) in seeds.iter().zip(&run.histories) {
                results.series(&format!("seeds/{key}/seed_{seed}/{name}"), pick(history));
            }
        }
    }
    ctx.say(rule);
    results.insert("summary", json!(rows));
}

/// "mean ± std" with `decimals` digits after the point.
fn plus_minus((mean, std): (f64, f64), decimals: usize) -> String {
    format!("{mean:.decimals$} ± {std:.decimals$}")
}

fn figure(seeds: &[i64], runs: &[Runs]) -> Figure {
    let panel = |title: &str, y_label: &str, log_y: bool, pick: Curve| {
        let mut panel = Panel::new(title, "Epoch", y_label).with_legend();
        panel.log_y = log_y;
        for (i, run) in runs.iter().enumerate() {
            let band = Band::of(&run.histories, pick);
            panel = panel.with_line(band.line(run.activation.key().to_uppercase(), plot::cycle(i)));
        }
        panel
    };

    Figure {
        title: format!("Activation comparison over seeds {seeds:?}: mean ± std"),
        rows: 1,
        cols: 3,
        width: 1800,
        height: 550,
        panels: vec![
            panel("Training Loss", "Loss", true, |h| &h.loss),
            panel("Training Accuracy", "Accuracy (%)", false, |h| &h.accuracy),
            panel("Gradient Flow Stability", "Gradient Norm", true, |h| &h.grad_norm),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_sample_standard_deviation() {
        let (mean, std) = across_seeds(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(mean, 5.0);
        assert!((std - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert_eq!(across_seeds(&[0.3, 0.3, 0.3]).1, 0.0);
        assert_eq!(across_seeds(&[3.5]), (3.5, 0.0));
    }

    #[test]
    fn a_band_is_the_spread_at_each_epoch() {
        let a = History { loss: vec![1.0, 0.5], ..History::default() };
        let b = History { loss: vec![3.0, 0.5], ..History::default() };
        let band = Band::of(&[&a, &b], |h| &h.loss);
        assert_eq!(band.mean, vec![2.0, 0.5]);
        assert_eq!(band.std[1], 0.0);
        assert!((band.std[0] - 2f64.sqrt()).abs() < 1e-15);
    }
}
