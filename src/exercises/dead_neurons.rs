//! Exercise: dead neuron tracking, the percentage of dead neurons over time.
//!
//! The notebook's fourth exercise, and its tip to "check dead neuron
//! percentage with ReLU". A unit is dead when it outputs exactly 0 for every
//! sample, the test of section 6.3; here it is applied to every hidden layer
//! (fc1 to fc3) of the 6.4 network, over the whole dataset, before training
//! and after each epoch, for any activation.
//!
//! Section 6.3's own demonstration ends with no dead unit, so this exercise
//! adds a setting that does kill ReLU units, found by trying learning rates
//! (0.01, 0.03, 0.1): the 6.4 setup with Adam at lr 0.03, thirty times the
//! notebook's. With the defaults (seed 42, 10 epochs) three in four fc2
//! units of the ReLU network are dead after the first epoch, and at the end
//! 107 of 128 in fc2 and 106 of 128 in fc3. Trained from the same initial
//! weights on the same batches, Leaky ReLU keeps every unit, as the notebook
//! promises, and ends as accurate (96.7% against 96.2%). fc1 survives in
//! both: its inputs are Gaussian, and some sample always pushes a unit's
//! pre-activation above zero. At the notebook's lr 0.001, ReLU loses only a
//! few units of fc2 and fc3.

use std::path::PathBuf;

use anyhow::Result;
use tch::Tensor;

use crate::activation::Activation;
use crate::context::Context;
use crate::data::{create_dataset, DataLoader};
use crate::diagnostics::{
    self, activation_grid, dead_percent, draw_orders, hidden_outputs, layer_name,
    train_all_observed, with_activation, Observer,
};
use crate::network::Network;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::Results;
use crate::sections::comparison::{self, BATCH_SIZE, LR};
use crate::training::{History, Job};

pub const ID: &str = "dead-neurons";
pub const TITLE: &str = "Percentage of dead neurons in every hidden layer, epoch by epoch";

const EPOCHS: usize = 10;

/// The learning rate that kills ReLU units in the 6.4 network.
pub const KILLING_LR: f64 = 0.03;

/// Records each hidden layer's dead percentage before training and after
/// every epoch.
struct DeadTracker {
    x: Tensor,
    /// Per hidden layer, one value per look.
    percent: Vec<Vec<f64>>,
    /// Units per hidden layer.
    widths: Vec<i64>,
}

impl DeadTracker {
    fn new(x: &Tensor) -> DeadTracker {
        DeadTracker { x: x.shallow_clone(), percent: Vec::new(), widths: Vec::new() }
    }

    fn look(&mut self, model: &Network) {
        let outputs = hidden_outputs(model, &self.x);
        if self.percent.is_empty() {
            self.percent = vec![Vec::new(); outputs.len()];
            self.widths = outputs.iter().map(|o| o.size()[1]).collect();
        }
        for (layer, output) in self.percent.iter_mut().zip(&outputs) {
            layer.push(dead_percent(output));
        }
    }

    /// "fc1 0/128 (0.0%), fc2 ..." at the last look.
    fn last_counts(&self) -> String {
        let layers = self.percent.iter().zip(&self.widths).enumerate();
        let parts: Vec<String> = layers
            .map(|(i, (percent, &width))| {
                let last = percent[percent.len() - 1];
                let count = (last * width as f64 / 100.0).round();
                format!("{} {count}/{width} ({last:.1}%)", layer_name(i))
            })
            .collect();
        parts.join(", ")
    }
}

impl Observer for DeadTracker {
    fn start(&mut self, model: &Network) {
        self.look(model);
    }

    fn end_epoch(&mut self, model: &Network, _history: &History) {
        self.look(model);
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let epochs = diagnostics::epochs(ctx, EPOCHS);
    let activations = &ctx.options.activations;

    let (x, y) = create_dataset(ctx.scale.samples);
    let loader = DataLoader::new(x, y, BATCH_SIZE);
    let all_x = loader.x.to_device(ctx.device);
    let jobs = diagnostics::comparison_jobs(ctx, activations, &loader, epochs);
    let killing_jobs = killing_pair(ctx, &loader, epochs);
    let watch = |jobs: Vec<Job>| jobs.into_iter().map(|j| (j, DeadTracker::new(&all_x))).collect();
    let mut report = Report { ctx, dir: ctx.item_dir(ID)?, results: ctx.results(ID) };

    diagnostics::describe_training(ctx, activations, epochs, LR);
    ctx.say(format!(
        "Dead: a unit whose output is exactly 0 for all {} samples; counted in fc1 to fc3 \
         before training (epoch 0) and after every epoch",
        loader.samples()
    ));
    let trained = train_all_observed(watch(jobs), LR, ctx.device, ctx.progress, ctx.jobs);
    let title = format!("Dead neurons, Adam lr {LR} (the notebook's)");
    report.add(&title, "dead_neurons", activations, &trained)?;

    ctx.say(format!(
        "Too high a learning rate: Adam lr {KILLING_LR} ({}x the notebook's), ReLU and Leaky \
         ReLU from the same initial weights, on the same batches, {}",
        (KILLING_LR / LR).round(),
        diagnostics::epoch_count(epochs)
    ));
    let killed =
        train_all_observed(watch(killing_jobs), KILLING_LR, ctx.device, ctx.progress, ctx.jobs);
    let title = format!("Dead neurons, Adam lr {KILLING_LR}");
    report.add(&title, "dead_neurons/high_lr", &KILLED, &killed)?;
    Ok(report.results)
}

/// The two activations trained at the killing learning rate.
const KILLED: [Activation; 2] = [Activation::Relu, Activation::LeakyRelu];

/// Where one exercise's findings go: its output, its folder, its results.
struct Report<'a> {
    ctx: &'a Context<'a>,
    dir: PathBuf,
    results: Results,
}

impl Report<'_> {
    /// Prints each activation's final dead counts and accuracy, records its
    /// curves under `prefix/<activation>/`, and draws them all in one figure.
    fn add(
        &mut self,
        title: &str,
        prefix: &str,
        activations: &[Activation],
        trained: &[(History, DeadTracker)],
    ) -> Result<()> {
        for ((history, tracker), activation) in trained.iter().zip(activations) {
            self.ctx.say(format!(
                "Final dead neurons ({}): {}; final accuracy {:.2}%",
                activation.label(),
                tracker.last_counts(),
                history.accuracy[history.accuracy.len() - 1]
            ));
            let prefix = format!("{prefix}/{}", activation.key());
            for (layer, percent) in tracker.percent.iter().enumerate() {
                self.results.series(&format!("{prefix}/{}", layer_name(layer)), percent);
            }
            self.results.series(&format!("{prefix}/accuracy"), &history.accuracy);
        }

        let curves: Vec<(Activation, &DeadTracker)> =
            activations.iter().copied().zip(trained.iter().map(|(_, t)| t)).collect();
        let file = format!("{}.png", prefix.replace('/', "_"));
        self.ctx.draw(&figure(title, &curves), &self.dir.join(file))
    }
}

/// A ReLU 6.4 network and a Leaky ReLU copy of its initial weights, both to
/// be trained on the same shuffles, as 6.3 pairs its two networks.
fn killing_pair(ctx: &Context, loader: &DataLoader, epochs: usize) -> Vec<Job> {
    let relu = comparison::flexible_mlp(ctx.scale.hidden, Activation::Relu, ctx);
    let leaky = with_activation(&relu, Activation::LeakyRelu);
    let orders = draw_orders(loader, epochs);
    let shared: Vec<Tensor> = orders.iter().map(Tensor::shallow_clone).collect();
    vec![
        Job { label: "relu (high lr)".into(), model: relu, loader: loader.share(), orders },
        Job {
            label: "leaky (high lr)".into(),
            model: leaky,
            loader: loader.share(),
            orders: shared,
        },
    ]
}

/// A panel per activation with a line per hidden layer.
fn figure(title: &str, curves: &[(Activation, &DeadTracker)]) -> Figure {
    let panels = curves
        .iter()
        .map(|(activation, tracker)| {
            let mut panel = Panel::new(activation.label(), "Epoch", "Dead neurons (%)")
                .with_y_range(-2.0, 102.0)
                .with_legend();
            for (layer, percent) in tracker.percent.iter().enumerate() {
                let line = Line::series(layer_name(layer), plot::cycle(layer), percent.as_slice());
                panel = panel.with_line(line);
            }
            panel
        })
        .collect();
    activation_grid(title, panels)
}
