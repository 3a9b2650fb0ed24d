//! Diagnostic: gradient flow layer by layer.
//!
//! Section 6.4 plots one number per epoch, the gradient's global norm; the
//! notebook's tip to "monitor gradient norm to detect vanishing/exploding"
//! needs it per layer, because a gradient that vanishes does so on its way
//! back to the first layers. This trains the 6.4 setup once per activation
//! and records, for each linear layer (fc1 to fc4) and each epoch:
//!
//! - the norm of the layer's gradient (weight and bias together), averaged
//!   over the epoch's steps, as 6.4 averages the global norm;
//! - the update-to-weight ratio ||Δw|| / ||w||: how far one Adam step moved
//!   the layer's weight matrix relative to its size before the step, again
//!   averaged over the epoch. Around 1e-3 is the usual healthy size; far
//!   above it the learning rate is too high, far below it the layer has
//!   stopped learning.
//!
//! Adam divides each gradient by its running size, so a gradient that
//! vanishes shows in the first measure far more than in the second: with
//! sigmoid and the defaults, fc1's gradient is about 180 times smaller
//! than fc4's in the first epoch, yet its weights move at the same rate.

use anyhow::Result;
use tch::Tensor;

use crate::activation::Activation;
use crate::context::Context;
use crate::data::{create_dataset, DataLoader};
use crate::diagnostics::{
    self, activation_grid, layer_grad_norm, layer_name, train_all_observed, update_ratio, Observer,
};
use crate::network::Network;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::Results;
use crate::sections::comparison::{BATCH_SIZE, LR};
use crate::stats::numpy_mean;
use crate::training::History;

pub const ID: &str = "gradient-flow";
pub const TITLE: &str = "Per-layer gradient norms and update-to-weight ratios over training";

const EPOCHS: usize = 10;

/// Per layer, a value per step of the current epoch, then a mean per epoch.
#[derive(Default)]
struct PerLayer {
    steps: Vec<Vec<f64>>,
    epochs: Vec<Vec<f64>>,
}

impl PerLayer {
    fn push_step(&mut self, values: impl Iterator<Item = f64>) {
        let values: Vec<f64> = values.collect();
        if self.steps.is_empty() {
            self.steps = vec![Vec::new(); values.len()];
            self.epochs = vec![Vec::new(); values.len()];
        }
        for (layer, value) in self.steps.iter_mut().zip(values) {
            layer.push(value);
        }
    }

    fn close_epoch(&mut self) {
        for (steps, epochs) in self.steps.iter_mut().zip(&mut self.epochs) {
            epochs.push(numpy_mean(steps));
            steps.clear();
        }
    }
}

#[derive(Default)]
struct GradientFlow {
    grad_norm: PerLayer,
    update_ratio: PerLayer,
    /// Each layer's weight as it was before the step being taken.
    before: Vec<Tensor>,
}

impl Observer for GradientFlow {
    fn before_step(&mut self, model: &Network) {
        self.grad_norm.push_step(model.layers.iter().map(layer_grad_norm));
        self.before = model.layers.iter().map(|l| l.weight.detach().copy()).collect();
    }

    fn after_step(&mut self, model: &Network) {
        let moved = model.layers.iter().zip(&self.before);
        self.update_ratio.push_step(moved.map(|(l, before)| update_ratio(before, &l.weight)));
    }

    fn end_epoch(&mut self, _model: &Network, _history: &History) {
        self.grad_norm.close_epoch();
        self.update_ratio.close_epoch();
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let epochs = diagnostics::epochs(ctx, EPOCHS);
    let activations = &ctx.options.activations;

    let (x, y) = create_dataset(ctx.scale.samples);
    let loader = DataLoader::new(x, y, BATCH_SIZE);
    let jobs = diagnostics::comparison_jobs(ctx, activations, &loader, epochs);

    diagnostics::describe_training(ctx, activations, epochs, LR);
    ctx.say(
        "Per layer and epoch: mean gradient norm (weight and bias) and mean ||Δw|| / ||w|| of \
         the weight over the epoch's steps",
    );
    let watched = jobs.into_iter().map(|job| (job, GradientFlow::default())).collect();
    let trained = train_all_observed(watched, LR, ctx.device, ctx.progress, ctx.jobs);
    let flows: Vec<(Activation, &GradientFlow)> =
        activations.iter().copied().zip(trained.iter().map(|(_, flow)| flow)).collect();

    table(ctx, "Gradient norm in the last epoch", &flows, |f| &f.grad_norm);
    table(ctx, "Update-to-weight ratio in the last epoch", &flows, |f| &f.update_ratio);

    let dir = ctx.item_dir(ID)?;
    let path = dir.join("gradient_norms.png");
    ctx.draw(&figure("Gradient norm per layer", "Gradient norm", &flows, |f| &f.grad_norm), &path)?;
    let path = dir.join("update_ratios.png");
    let title = "Update-to-weight ratio per layer";
    ctx.draw(&figure(title, "||Δw|| / ||w||", &flows, |f| &f.update_ratio), &path)?;

    let mut results = ctx.results(ID);
    for (activation, flow) in &flows {
        for layer in 0..flow.grad_norm.epochs.len() {
            let prefix = format!("gradient_flow/{}/{}", activation.key(), layer_name(layer));
            results.series(&format!("{prefix}/grad_norm"), &flow.grad_norm.epochs[layer]);
            results.series(&format!("{prefix}/update_ratio"), &flow.update_ratio.epochs[layer]);
        }
    }
    Ok(results)
}

/// Prints one value per layer per activation, from the last epoch.
fn table(
    ctx: &Context,
    title: &str,
    flows: &[(Activation, &GradientFlow)],
    pick: fn(&GradientFlow) -> &PerLayer,
) {
    let layers = flows.first().map_or(0, |(_, flow)| pick(flow).epochs.len());
    let header: String = (0..layers).map(|l| format!("{:>12}", layer_name(l))).collect();
    ctx.say(title);
    ctx.say(format!("{:<15}{header}", "Activation"));
    for (activation, flow) in flows {
        let values: String =
            pick(flow).epochs.iter().map(|e| format!("{:>12.3e}", e[e.len() - 1])).collect();
        ctx.say(format!("{:<15}{values}", activation.key().to_uppercase()));
    }
}

/// A log-scale panel per activation with a line per layer.
fn figure(
    title: &str,
    y_label: &str,
    flows: &[(Activation, &GradientFlow)],
    pick: fn(&GradientFlow) -> &PerLayer,
) -> Figure {
    let panels = flows
        .iter()
        .map(|(activation, flow)| {
            let mut panel = Panel::new(activation.label(), "Epoch", y_label).with_log_y();
            for (layer, values) in pick(flow).epochs.iter().enumerate() {
                // Epoch 1 is the first mean, so the curve starts at x = 1.
                let xs: Vec<f64> = (1..=values.len()).map(|e| e as f64).collect();
                let line = Line::new(layer_name(layer), plot::cycle(layer), xs, values.clone());
                panel = panel.with_line(line);
            }
            panel.with_legend()
        })
        .collect();
    activation_grid(title, panels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_keeps_the_mean_of_its_steps_per_layer() {
        let mut per_layer = PerLayer::default();
        per_layer.push_step([1.0, 10.0].into_iter());
        per_layer.push_step([3.0, 30.0].into_iter());
        per_layer.close_epoch();
        per_layer.push_step([5.0, 50.0].into_iter());
        per_layer.close_epoch();
        assert_eq!(per_layer.epochs, vec![vec![2.0, 5.0], vec![20.0, 50.0]]);
    }
}
