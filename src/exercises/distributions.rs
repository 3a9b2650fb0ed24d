//! Exercise: visualize activation distributions over training.
//!
//! The notebook's third exercise asks for histograms of the activations as
//! a network trains. This trains the 6.4 setup once per activation and, at a
//! few checkpoints (before training, after the first epoch, halfway and at
//! the end), looks at what each hidden layer (fc1 to fc3) emits: a histogram
//! per checkpoint, one panel per layer, one figure per activation. Over the
//! whole dataset it records each layer's mean and standard deviation, and
//! for tanh and sigmoid the share of saturated outputs (|y| > 0.99 for tanh;
//! y < 0.01 or y > 0.99 for sigmoid), where the gradient nearly vanishes.
//!
//! The histograms are drawn from the first 1000 samples only: the whole
//! dataset would hold millions of values per figure and draw the same shape.

use anyhow::Result;
use tch::Tensor;

use crate::activation::Activation;
use crate::context::Context;
use crate::data::{create_dataset, DataLoader};
use crate::diagnostics::{
    self, hidden_outputs, layer_name, mean_and_std, saturated_fraction, train_all_observed,
    Observer,
};
use crate::network::Network;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::{tensor_values, Results};
use crate::sections::comparison::{BATCH_SIZE, LR};
use crate::training::History;

pub const ID: &str = "distributions";
pub const TITLE: &str = "Histograms of each hidden layer's activations over training";

const EPOCHS: usize = 10;
const HISTOGRAM_SAMPLES: i64 = 1000;
const BINS: usize = 60;

/// The epochs after which to look (0 is before training): the start, the
/// first epoch, the middle and the end.
pub fn checkpoints(epochs: usize) -> Vec<usize> {
    let mut chosen = vec![0, 1.min(epochs), epochs / 2, epochs];
    chosen.sort_unstable();
    chosen.dedup();
    chosen
}

/// One hidden layer seen at one checkpoint.
struct LayerView {
    mean: f64,
    std: f64,
    saturated: Option<f64>,
    sample: Vec<f64>,
}

/// Takes a [`LayerView`] of every hidden layer at each checkpoint.
struct Snapshots {
    activation: Activation,
    x: Tensor,
    checkpoints: Vec<usize>,
    /// Per checkpoint, per hidden layer.
    views: Vec<Vec<LayerView>>,
}

impl Snapshots {
    fn take(&mut self, model: &Network, epoch: usize) {
        if !self.checkpoints.contains(&epoch) {
            return;
        }

        let probe = HISTOGRAM_SAMPLES.min(self.x.size()[0]);
        let views = hidden_outputs(model, &self.x)
            .iter()
            .map(|outputs| {
                let (mean, std) = mean_and_std(outputs);
                LayerView {
                    mean,
                    std,
                    saturated: saturated_fraction(self.activation, outputs),
                    sample: tensor_values(&outputs.narrow(0, 0, probe)),
                }
            })
            .collect();
        self.views.push(views);
    }
}

impl Observer for Snapshots {
    fn start(&mut self, model: &Network) {
        self.take(model, 0);
    }

    fn end_epoch(&mut self, model: &Network, history: &History) {
        self.take(model, history.loss.len());
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let epochs = diagnostics::epochs(ctx, EPOCHS);
    let checkpoints = checkpoints(epochs);
    let activations = &ctx.options.activations;

    let (x, y) = create_dataset(ctx.scale.samples);
    let loader = DataLoader::new(x, y, BATCH_SIZE);
    let all_x = loader.x.to_device(ctx.device);
    let jobs = diagnostics::comparison_jobs(ctx, activations, &loader, epochs);
    let watched = jobs
        .into_iter()
        .zip(activations)
        .map(|(job, &activation)| {
            let snapshots = Snapshots {
                activation,
                x: all_x.shallow_clone(),
                checkpoints: checkpoints.clone(),
                views: Vec::new(),
            };
            (job, snapshots)
        })
        .collect();
    diagnostics::describe_training(ctx, activations, epochs, LR);
    let trained = train_all_observed(watched, LR, ctx.device, ctx.progress, ctx.jobs);
    ctx.say(format!(
        "Looked at every hidden layer's outputs after epochs {checkpoints:?} (0: before \
         training); statistics over all {} samples, histograms of the first {}",
        loader.samples(),
        HISTOGRAM_SAMPLES.min(loader.samples())
    ));
    ctx.say(format!(
        "Saturated: |y| > {0} for tanh; y < {1:.2} or y > {0} for sigmoid",
        diagnostics::SATURATION,
        1.0 - diagnostics::SATURATION
    ));

    let dir = ctx.item_dir(ID)?;
    let mut results = ctx.results(ID);
    let epochs_f64: Vec<f64> = checkpoints.iter().map(|&e| e as f64).collect();
    results.series("distributions/epochs", &epochs_f64);
    for (_, snapshots) in &trained {
        let path = dir.join(format!("distributions_{}.png", snapshots.activation.key()));
        ctx.draw(&figure(snapshots), &path)?;
        record(ctx, snapshots, &mut results);
    }
    Ok(results)
}

/// Prints how each layer's distribution moved from the first checkpoint to
/// the last, and records every checkpoint's numbers.
fn record(ctx: &Context, snapshots: &Snapshots, results: &mut Results) {
    let key = snapshots.activation.key();
    let (first, last) = (&snapshots.views[0], &snapshots.views[snapshots.views.len() - 1]);
    for layer in 0..first.len() {
        let name = layer_name(layer);
        let (start, end) = (&first[layer], &last[layer]);
        let mut line = format!(
            "{:<12} {name}: mean {:>8.4} -> {:>8.4}   std {:>7.4} -> {:>7.4}",
            key.to_uppercase(),
            start.mean,
            end.mean,
            start.std,
            end.std
        );
        if let (Some(a), Some(b)) = (start.saturated, end.saturated) {
            line.push_str(&format!("   saturated {:>6.2}% -> {:>6.2}%", 100.0 * a, 100.0 * b));
        }
        ctx.say(line);

        let across = |pick: fn(&LayerView) -> f64| -> Vec<f64> {
            snapshots.views.iter().map(|views| pick(&views[layer])).collect()
        };
        let prefix = format!("distributions/{key}/{name}");
        results.series(&format!("{prefix}/mean"), &across(|v| v.mean));
        results.series(&format!("{prefix}/std"), &across(|v| v.std));
        if start.saturated.is_some() {
            let saturated = across(|v| v.saturated.expect("tanh and sigmoid always have one"));
            results.series(&format!("{prefix}/saturated"), &saturated);
        }
    }
}

/// Counts like `numpy.histogram`: `bins` equal bins over `lo..=hi`, the
/// last one closed; values outside are not counted.
pub fn histogram(values: &[f64], (lo, hi): (f64, f64), bins: usize) -> Vec<f64> {
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &v in values.iter().filter(|v| (lo..=hi).contains(*v)) {
        let i = if width > 0.0 { ((v - lo) / width) as usize } else { 0 };
        counts[i.min(bins - 1)] += 1.0;
    }
    counts
}

/// A histogram as its outline (matplotlib's `histtype='step'`): four filled
/// histograms on one axis hide each other, outlines do not.
fn outline(label: String, color: plot::RGBColor, counts: &[f64], (lo, hi): (f64, f64)) -> Line {
    let width = (hi - lo) / counts.len() as f64;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (i, &count) in counts.iter().enumerate() {
        xs.extend([lo + i as f64 * width, lo + (i + 1) as f64 * width]);
        ys.extend([count, count]);
    }
    Line::new(label, color, xs, ys).with_width(1)
}

fn figure(snapshots: &Snapshots) -> Figure {
    let layers = snapshots.views[0].len();
    let panels = (0..layers)
        .map(|layer| {
            // One set of bins for every checkpoint, so the outlines compare.
            let samples = snapshots.views.iter().map(|views| &views[layer].sample);
            let lo = samples.clone().flatten().copied().fold(f64::INFINITY, f64::min);
            let hi = samples.flatten().copied().fold(f64::NEG_INFINITY, f64::max);

            let mut panel = Panel::new(
                format!("{} (after {})", layer_name(layer), snapshots.activation.label()),
                "Activation value",
                "Count (log scale)",
            )
            .with_log_y()
            .with_legend();
            let checkpoints = snapshots.views.iter().zip(&snapshots.checkpoints);
            for (i, (views, &epoch)) in checkpoints.enumerate() {
                let label =
                    if epoch == 0 { "before training".into() } else { format!("epoch {epoch}") };
                let counts = histogram(&views[layer].sample, (lo, hi), BINS);
                panel = panel.with_line(outline(label, plot::cycle(i), &counts, (lo, hi)));
            }
            panel
        })
        .collect();

    Figure {
        title: format!("{} activations over training", snapshots.activation.label()),
        rows: 1,
        cols: layers,
        width: 600 * layers as u32,
        height: 500,
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_start_before_training_and_end_at_the_last_epoch() {
        assert_eq!(checkpoints(10), vec![0, 1, 5, 10]);
        assert_eq!(checkpoints(2), vec![0, 1, 2]);
        assert_eq!(checkpoints(1), vec![0, 1]);
    }

    #[test]
    fn histogram_counts_each_value_once_and_closes_the_last_bin() {
        let values = [0.0, 0.1, 0.5, 0.99, 1.0, 1.5, -0.1];
        assert_eq!(histogram(&values, (0.0, 1.0), 2), vec![2.0, 3.0]);
        assert_eq!(histogram(&[2.0, 2.0], (2.0, 2.0), 3), vec![2.0, 0.0, 0.0]);
    }
}
