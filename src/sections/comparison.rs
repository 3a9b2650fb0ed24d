//! Section 6.4, six activations trained head to head.
//!
//! The same four-layer MLP (20-128-128-128-2) is trained with ReLU, Leaky
//! ReLU, GELU, SiLU, Tanh and Sigmoid in turn, 30 epochs of Adam (lr 1e-3)
//! on shuffled batches of 64 from a synthetic non-linear classification set,
//! recording loss, accuracy and gradient norm per epoch; then the curves,
//! the final accuracies and the summary table.
//!
//! The notebook measures accuracy only on the samples it trains on. With
//! `--holdout F` the last F of the dataset is split off after it is drawn,
//! never trained on, and scored after every epoch; without it nothing here
//! differs from the notebook.

use anyhow::{ensure, Result};
use serde_json::json;
use tch::Tensor;

use crate::activation::Activation;
use crate::context::Context;
use crate::data::{create_dataset, DataLoader};
use crate::diagnostics::{train_all_observed, HeldOut};
use crate::network::Network;
use crate::plot::{self, BarGroup, Bars, Figure, Line, Panel};
use crate::results::Results;
use crate::training::{train_all, History, Job};

pub const EPOCHS: usize = 30;
pub const LR: f64 = 1e-3;
pub const BATCH_SIZE: i64 = 64;
const INPUTS: i64 = 20;
const CLASSES: i64 = 2;

/// `FlexibleMLP(hidden_dim=hidden, activation=...)`, its four layers drawn
/// in order.
pub fn flexible_mlp(hidden: i64, activation: Activation, ctx: &Context) -> Network {
    Network::new(&[INPUTS, hidden, hidden, hidden, CLASSES], Some(activation), ctx.device)
}

/// The sample orders of `EPOCHS` passes, drawn now as the passes would.
fn epoch_orders(loader: &DataLoader) -> Vec<Tensor> {
    (0..EPOCHS).map(|_| loader.epoch_order()).collect()
}

pub fn replay(ctx: &Context) {
    let (x, y) = create_dataset(ctx.scale.samples);
    let loader = DataLoader::new(x, y, BATCH_SIZE);
    for &activation in &ctx.options.activations {
        flexible_mlp(ctx.scale.hidden, activation, ctx);
        epoch_orders(&loader);
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let (x, y) = create_dataset(ctx.scale.samples);
    let counts: Vec<i64> = Vec::try_from(y.bincount(None::<Tensor>, 0))?;
    let loader = DataLoader::new(x, y, BATCH_SIZE);
    ctx.say(format!("Dataset created: {} samples", loader.samples()));
    ctx.say(format!("Class distribution: {counts:?}"));
    let (loader, held_out) = hold_out(ctx, loader)?;

    ctx.say("Running comprehensive activation comparison...");
    // Every draw is made up front, in the notebook's order (a model's
    // initialisation, then its 30 shuffles); the training itself draws
    // nothing, so the models can then train side by side.
    let jobs: Vec<Job> = ctx
        .options
        .activations
        .iter()
        .map(|&activation| Job {
            label: activation.key().to_owned(),
            model: flexible_mlp(ctx.scale.hidden, activation, ctx),
            orders: epoch_orders(&loader),
            loader: loader.share(),
        })
        .collect();
    let (histories, held_out): (Vec<History>, Vec<HeldOut>) = match held_out {
        None => (train_all(jobs, LR, ctx.device, ctx.progress, ctx.jobs), Vec::new()),
        Some((x, y)) => {
            let watched = jobs.into_iter().map(|job| (job, HeldOut::new(&x, &y, ctx.device)));
            let trained =
                train_all_observed(watched.collect(), LR, ctx.device, ctx.progress, ctx.jobs);
            trained.into_iter().unzip()
        }
    };
    let histories: Vec<(Activation, History)> =
        ctx.options.activations.iter().copied().zip(histories).collect();
    ctx.say("Training completed!");

    let dir = ctx.item_dir("6.4")?;
    let path = dir.join("comparison.png");
    ctx.draw(&figure(&histories, &held_out), &path)?;

    let mut results = ctx.results("6.4");
    let counts_f64: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    results.series("dataset/class_counts", &counts_f64);
    for (activation, history) in &histories {
        let key = activation.key();
        results.series(&format!("comparison/{key}/loss"), &history.loss);
        results.series(&format!("comparison/{key}/accuracy"), &history.accuracy);
        results.series(&format!("comparison/{key}/grad_norm"), &history.grad_norm);
    }
    for ((activation, _), scores) in histories.iter().zip(&held_out) {
        let key = activation.key();
        results.series(&format!("comparison/{key}/holdout_accuracy"), &scores.accuracy);
        results.series(&format!("comparison/{key}/holdout_loss"), &scores.loss);
    }
    summarize(ctx, &histories, &held_out, &mut results);
    Ok(results)
}

/// With `--holdout F`, splits the last F of the dataset off the loader and
/// returns it apart; with F = 0 the loader comes back as it was.
fn hold_out(ctx: &Context, loader: DataLoader) -> Result<(DataLoader, Option<(Tensor, Tensor)>)> {
    let fraction = ctx.options.holdout;
    if fraction == 0.0 {
        return Ok((loader, None));
    }

    let samples = loader.samples();
    let held = (fraction * samples as f64).round() as i64;
    let kept = samples - held;
    ensure!(
        held >= 1 && kept >= 1,
        "--holdout {fraction} of {samples} samples holds out {held} and leaves {kept} to train \
         on; both need at least one"
    );
    ctx.say(format!("held out: {held} samples (last {fraction} of the dataset), never trained on"));
    ctx.say(format!("Training on the other {kept} samples"));

    let held_out = (loader.x.narrow(0, kept, held), loader.y.narrow(0, kept, held));
    let training =
        DataLoader::new(loader.x.narrow(0, 0, kept), loader.y.narrow(0, 0, kept), BATCH_SIZE);
    Ok((training, Some(held_out)))
}

/// Prints the notebook's summary table and best activation, and records them.
/// With held-out scores, the table gains their final accuracy as a column.
fn summarize(
    ctx: &Context,
    histories: &[(Activation, History)],
    held_out: &[HeldOut],
    results: &mut Results,
) {
    let rule = "-".repeat(if held_out.is_empty() { 60 } else { 80 });
    ctx.say("Final Performance Summary");
    ctx.say(rule.clone());
    let header = format!(
        "{:<15} {:<15} {:<15} {}",
        "Activation", "Final Acc (%)", "Final Loss", "Avg Grad Norm"
    );
    if held_out.is_empty() {
        ctx.say(header);
    } else {
        ctx.say(format!("{header:<63} Held-out Acc (%)"));
    }
    ctx.say(rule.clone());

    let mut rows = Vec::new();
    for (i, (activation, history)) in histories.iter().enumerate() {
        let final_acc = history.accuracy[history.accuracy.len() - 1];
        let final_loss = history.loss[history.loss.len() - 1];
        let avg_grad = history.recent_grad_norm();
        let row = format!(
            "{:<15} {:<15.2} {:<15.4} {:.4}",
            activation.key().to_uppercase(),
            final_acc,
            final_loss,
            avg_grad
        );
        let mut entry = json!({
            "activation": activation.key(),
            "final_accuracy": final_acc,
            "final_loss": final_loss,
            "avg_grad_norm": avg_grad,
        });
        match held_out.get(i) {
            None => ctx.say(row),
            Some(scores) => {
                let (acc, loss) = (scores.accuracy.last(), scores.loss.last());
                ctx.say(format!("{row:<63} {:.2}", acc.copied().unwrap_or(f64::NAN)));
                entry["holdout_accuracy"] = json!(acc);
                entry["holdout_loss"] = json!(loss);
            }
        }
        rows.push(entry);
    }
    ctx.say(rule);

    // Python's max() keeps the first of equal maxima; so does this fold.
    let best = histories
        .iter()
        .fold(None::<&(Activation, History)>, |best, entry| match best {
            Some(b) if b.1.accuracy.last() >= entry.1.accuracy.last() => Some(b),
            _ => Some(entry),
        })
        .expect("six activations were trained");
    let best_acc = best.1.accuracy[best.1.accuracy.len() - 1];
    ctx.say(format!("Best activation: {}", best.0.key().to_uppercase()));
    ctx.say(format!("   Accuracy: {best_acc:.2}%"));
    let best_held_out = histories.iter().zip(held_out).fold(None, |best, (entry, scores)| {
        let acc = scores.accuracy[scores.accuracy.len() - 1];
        match best {
            Some((_, b)) if b >= acc => best,
            _ => Some((entry.0, acc)),
        }
    });
    if let Some((activation, acc)) = best_held_out {
        ctx.say(format!("Best on held-out data: {} ({acc:.2}%)", activation.key().to_uppercase()));
    }

    results.insert("summary", json!(rows));
    results.insert("best", json!(best.0.key()));
}

/// The notebook's four panels; held-out accuracy joins the training
/// accuracy as dashed curves.
fn figure(histories: &[(Activation, History)], held_out: &[HeldOut]) -> Figure {
    let curves = |pick: fn(&History) -> &Vec<f64>| -> Vec<Line> {
        histories
            .iter()
            .enumerate()
            .map(|(i, (a, h))| {
                Line::series(a.key().to_uppercase(), plot::cycle(i), pick(h).as_slice())
            })
            .collect()
    };
    let curve_panel = |title: &str, y_label: &str, log_y: bool, lines| Panel {
        title: title.into(),
        x_label: "Epoch".into(),
        y_label: y_label.into(),
        log_y,
        lines,
        legend: true,
        ..Panel::default()
    };

    let final_bars = Panel {
        title: "Final Performance".into(),
        y_label: "Final Accuracy (%)".into(),
        bars: Some(Bars {
            categories: histories.iter().map(|(a, _)| a.key().to_uppercase()).collect(),
            groups: vec![BarGroup {
                label: "Final accuracy".into(),
                color: plot::C0,
                values: histories.iter().map(|(_, h)| h.accuracy[h.accuracy.len() - 1]).collect(),
                bar_colors: (0..histories.len()).map(plot::cycle).collect(),
            }],
            value_labels: Some(|v| format!("{v:.1}%")),
        }),
        ..Panel::default()
    };

    let mut accuracy = curves(|h| &h.accuracy);
    for (i, ((activation, _), scores)) in histories.iter().zip(held_out).enumerate() {
        let label = format!("{} (held out)", activation.key().to_uppercase());
        let line = Line::series(label, plot::cycle(i), scores.accuracy.as_slice());
        accuracy.push(line.with_dashes());
    }

    Figure {
        title: "Comprehensive Activation Function Comparison".into(),
        rows: 2,
        cols: 2,
        width: 1600,
        height: 1200,
        panels: vec![
            curve_panel("Training Loss", "Loss", true, curves(|h| &h.loss)),
            curve_panel("Training Accuracy", "Accuracy (%)", false, accuracy),
            curve_panel("Gradient Flow Stability", "Gradient Norm", true, curves(|h| &h.grad_norm)),
            final_bars,
        ],
    }
}
