//! Section 6.3, the dead ReLU problem.
//!
//! A ReLU unit whose pre-activation is negative for every input outputs 0
//! and gets no gradient, so it can never recover. The notebook trains two
//! 10-100-100-1 networks, one with ReLU and one with Leaky ReLU (slope 0.1),
//! from the same seed, with full-batch SGD at a high learning rate (0.1) on
//! random regression data, and counts after each epoch the units of the
//! first hidden layer that are zero for all 1000 inputs.

use anyhow::Result;
use tch::{Device, Kind, Reduction, Tensor};

use crate::activation::Activation;
use crate::context::Context;
use crate::network::Network;
use crate::optim::{self, Optimizer, Sgd};
use crate::plot::{self, Figure, Line, Panel};
use crate::results::Results;
use crate::rng;

const EPOCHS: usize = 50;
const LR: f64 = 0.1;
const WIDTHS: [i64; 4] = [10, 100, 100, 1];

/// The demo's set-up, drawn as the notebook draws it: each model right after
/// its own re-seed, then the inputs and targets.
fn setup(seed: i64, device: Device) -> (Network, Network, Tensor, Tensor) {
    rng::manual_seed(seed);
    let relu = Network::new(&WIDTHS, Some(Activation::Relu), device);
    rng::manual_seed(seed);
    let leaky = Network::new(&WIDTHS, Some(Activation::LeakyRelu), device);

    let x = Tensor::randn([1000, 10], (Kind::Float, Device::Cpu)).to_device(device);
    let y = Tensor::randn([1000, 1], (Kind::Float, Device::Cpu)).to_device(device);
    (relu, leaky, x, y)
}

pub fn replay(ctx: &Context) {
    let _ = setup(ctx.seed, ctx.device);
}

/// Units of hidden layer `layer` whose output is exactly zero for every row
/// of `x` (the notebook's `(activations.abs().sum(dim=0) == 0).sum()`).
pub fn dead_units(model: &Network, x: &Tensor, layer: usize) -> i64 {
    tch::no_grad(|| {
        let activations = model.hidden(x, layer);
        let per_unit = activations.abs().sum_dim_intlist(0, false, None);
        per_unit.eq(0).sum(Kind::Int64).int64_value(&[])
    })
}

fn train_and_track_dead_neurons(model: &Network, x: &Tensor, y: &Tensor) -> Vec<f64> {
    let mut params = model.parameters();
    let mut optimizer = Sgd::new(LR);
    let mut dead = Vec::with_capacity(EPOCHS);

    for _ in 0..EPOCHS {
        optim::zero_grad(&mut params);
        let output = model.forward(x);
        let loss = output.mse_loss(y, Reduction::Mean);
        loss.backward();
        optimizer.step(&mut params);
        dead.push(dead_units(model, x, 0) as f64);
    }
    dead
}

pub fn run(ctx: &Context) -> Result<Results> {
    let (relu, leaky, x, y) = setup(ctx.seed, ctx.device);

    ctx.say("Tracking dead neurons...");
    let dead_relu = train_and_track_dead_neurons(&relu, &x, &y);
    let dead_leaky = train_and_track_dead_neurons(&leaky, &x, &y);

    let dir = ctx.item_dir("6.3")?;
    let path = dir.join("dead_relu.png");
    ctx.draw(&figure(&dead_relu, &dead_leaky), &path)?;

    let units = WIDTHS[1];
    ctx.say(format!("Final dead neurons (ReLU): {}/{units}", dead_relu[EPOCHS - 1]));
    ctx.say(format!("Final dead neurons (Leaky ReLU): {}/{units}", dead_leaky[EPOCHS - 1]));
    ctx.say("Leaky ReLU markedly reduces the dead neuron problem!");

    let mut results = ctx.results("6.3");
    results.series("dead_neurons/relu", &dead_relu);
    results.series("dead_neurons/leaky_relu", &dead_leaky);
    Ok(results)
}

fn figure(dead_relu: &[f64], dead_leaky: &[f64]) -> Figure {
    Figure {
        title: String::new(),
        rows: 1,
        cols: 1,
        width: 1000,
        height: 600,
        panels: vec![Panel {
            title: "Dead ReLU Problem".into(),
            x_label: "Epoch".into(),
            y_label: "Number of Dead Neurons".into(),
            lines: vec![
                Line::series("ReLU", plot::RED, dead_relu),
                Line::series("Leaky ReLU", plot::GREEN, dead_leaky),
            ],
            legend: true,
            ..Panel::default()
        }],
    }
}
