//! Section 6.1, why non-linearity matters.
//!
//! Stacked linear layers collapse into one linear map, so no depth lets them
//! fit XOR. The notebook trains a 2-10-10-1 network without activations and
//! the same network with ReLUs, each for 1000 full-batch Adam steps on the
//! four XOR points, and compares their losses and predictions.

use anyhow::Result;
use tch::{Device, Reduction, Tensor};

use crate::activation::Activation;
use crate::context::Context;
use crate::network::Network;
use crate::optim::{self, Adam, Optimizer};
use crate::plot::{self, BarGroup, Bars, Figure, Line, Panel};
use crate::results::{tensor_values, Results};

const EPOCHS: usize = 1000;
const LR: f64 = 0.01;
const WIDTHS: [i64; 4] = [2, 10, 10, 1];

/// Both networks, drawn in the notebook's order: the linear one first.
fn xor_models(device: Device) -> (Network, Network) {
    let linear = Network::new(&WIDTHS, None, device);
    let nonlinear = Network::new(&WIDTHS, Some(Activation::Relu), device);
    (linear, nonlinear)
}

pub fn replay(ctx: &Context) {
    xor_models(ctx.device);
}

/// The notebook's inner `train`: full-batch Adam on MSE, the loss per epoch.
fn train(model: &Network, x: &Tensor, y: &Tensor) -> Vec<f64> {
    let mut params = model.parameters();
    let mut optimizer = Adam::new(&mut params, LR);
    let mut losses = Vec::with_capacity(EPOCHS);

    for _ in 0..EPOCHS {
        optim::zero_grad(&mut params);
        let pred = model.forward(x).squeeze();
        let loss = pred.mse_loss(y, Reduction::Mean);
        loss.backward();
        optimizer.step(&mut params);
        losses.push(loss.double_value(&[]));
    }
    losses
}

pub fn run(ctx: &Context) -> Result<Results> {
    let device = ctx.device;
    let x = Tensor::from_slice(&[0f32, 0., 0., 1., 1., 0., 1., 1.]).view([4, 2]).to_device(device);
    let y = Tensor::from_slice(&[0f32, 1., 1., 0.]).to_device(device);
    let (linear, nonlinear) = xor_models(device);

    ctx.say("Training linear vs non-linear networks on XOR...");
    let linear_losses = train(&linear, &x, &y);
    let nonlinear_losses = train(&nonlinear, &x, &y);

    let (linear_pred, nonlinear_pred) =
        tch::no_grad(|| (linear.forward(&x).squeeze(), nonlinear.forward(&x).squeeze()));

    let dir = ctx.item_dir("6.1")?;
    let path = dir.join("xor_linear_vs_nonlinear.png");
    let xor_figure = figure(&linear_losses, &nonlinear_losses, &y, &linear_pred, &nonlinear_pred);
    ctx.draw(&xor_figure, &path)?;

    ctx.say("Final loss:");
    ctx.say(format!("   Linear: {:.6}", linear_losses[EPOCHS - 1]));
    ctx.say(format!("   Non-linear: {:.6}", nonlinear_losses[EPOCHS - 1]));
    ctx.say("Non-linearity is essential for learning complex patterns.");

    let mut results = ctx.results("6.1");
    results.series("xor/linear/loss", &linear_losses);
    results.series("xor/nonlinear/loss", &nonlinear_losses);
    results.tensor("xor/linear/prediction", &linear_pred);
    results.tensor("xor/nonlinear/prediction", &nonlinear_pred);
    Ok(results)
}

fn figure(
    linear_losses: &[f64],
    nonlinear_losses: &[f64],
    truth: &Tensor,
    linear_pred: &Tensor,
    nonlinear_pred: &Tensor,
) -> Figure {
    let loss = Panel {
        title: "Training Loss".into(),
        x_label: "Epoch".into(),
        y_label: "Loss (MSE)".into(),
        log_y: true,
        lines: vec![
            Line::series("Linear (NO activation)", plot::RED, linear_losses),
            Line::series("Non-linear (ReLU)", plot::GREEN, nonlinear_losses),
        ],
        legend: true,
        ..Panel::default()
    };

    let group = |label: &str, color, values: &Tensor| BarGroup {
        label: label.into(),
        color,
        values: tensor_values(values),
        bar_colors: Vec::new(),
    };
    let predictions = Panel {
        title: "Predictions".into(),
        x_label: "Input".into(),
        y_label: "Output".into(),
        bars: Some(Bars {
            categories: ["(0,0)", "(0,1)", "(1,0)", "(1,1)"].map(String::from).to_vec(),
            groups: vec![
                group("True", plot::BLUE, truth),
                group("Linear", plot::RED, linear_pred),
                group("Non-linear", plot::GREEN, nonlinear_pred),
            ],
            value_labels: None,
        }),
        legend: true,
        ..Panel::default()
    };

    Figure {
        title: "XOR Problem: Linear vs Non-linear".into(),
        rows: 1,
        cols: 2,
        width: 1400,
        height: 500,
        panels: vec![loss, predictions],
    }
}
