//! Exercise: design your own activation.
//!
//! The notebook's last exercise asks for an activation of your own, designed and tested. Write
//! it as a formula in x with `--activation-expr` (the grammar is in [`crate::expr`]); it becomes
//! [`Activation::Custom`], evaluated with tensor ops so that autograd differentiates it. This
//! exercise draws it and its gradient beside ReLU, tabulates a few values, and checks the
//! gradient against finite differences. The same activation can then join the comparison:
//! `actlab section 6.4 --activations relu,custom --activation-expr "..."`.

use anyhow::{Context as _, Result};
use serde_json::json;
use tch::Tensor;

use crate::activation::Activation;
use crate::context::Context;
use crate::exercises::gradient_check::{gradient_check, value_and_grad};
use crate::expr::custom_activation;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::{tensor_values, Results};
use crate::sections::activations::{curve, Curve};

pub const ID: &str = "custom";
pub const TITLE: &str = "Design your own activation (--activation-expr)";

/// Where the table of values and gradients samples the activation.
const TABLE_X: [f32; 7] = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];

pub fn run(ctx: &Context) -> Result<Results> {
    let custom = custom_activation().context(
        "no custom activation: pass one with --activation-expr, e.g. \"x * sigmoid(x)\"",
    )?;
    let dir = ctx.item_dir(ID)?;
    let mut results = ctx.results(ID);
    results.insert("expression", json!(custom.text));
    ctx.say(format!("Custom activation: f(x) = {}", custom.text));
    ctx.say(format!("Read as: {}", custom.expr));

    let x = Tensor::from_slice(&TABLE_X).to_device(ctx.device);
    let (value, grad) = value_and_grad(|x| Activation::Custom.apply(x), &x);
    let (value, grad) = (tensor_values(&value), tensor_values(&grad));
    ctx.say(format!("{:>6} {:>14} {:>14}", "x", "f(x)", "df/dx"));
    for (i, x) in TABLE_X.iter().enumerate() {
        ctx.say(format!("{x:>6.1} {:>14.6} {:>14.6}", value[i], grad[i]));
    }
    results.series("table/x", &TABLE_X.map(f64::from));
    results.series("table/value", &value);
    results.series("table/grad", &grad);

    let check = gradient_check(|x| Activation::Custom.apply(x), -5.0, 5.0, 1000, ctx.device);
    ctx.say(format!("Custom {}", check.summary()));
    results.series("gradient_check/x", &check.x);
    results.series("gradient_check/autograd", &check.autograd);
    results.series("gradient_check/numeric", &check.numeric);
    results.series("gradient_check/max_error", &[check.max_error]);

    let shown = [Activation::Custom, Activation::Relu];
    let curves: Vec<Curve> = shown.iter().map(|&a| curve(a, -5.0, 5.0, ctx.device)).collect();
    for (activation, c) in shown.iter().zip(&curves) {
        results.series(&format!("{}/value", activation.key()), &c.value);
        results.series(&format!("{}/grad", activation.key()), &c.grad);
    }
    let path = dir.join("custom.png");
    ctx.draw(&figure(&custom.text, &curves), &path)?;

    // A network learns through an activation that is non-linear and lets gradient through;
    // say so when the gradient on the plotted range rules out either.
    let slopes: Vec<f64> = curves[0].grad.iter().copied().filter(|g| g.is_finite()).collect();
    let lo = slopes.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = slopes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if slopes.is_empty() {
        ctx.say("The gradient is not finite anywhere on [-5, 5].");
    } else {
        ctx.say(format!("Gradient on [-5, 5] ranges from {lo:.4} to {hi:.4}"));
        if lo == 0.0 && hi == 0.0 {
            ctx.say("It is zero everywhere: no gradient would flow back through this activation.");
        } else if hi - lo < 1e-6 {
            ctx.say("It is constant: this activation is linear there, and adds no non-linearity.");
        }
    }

    Ok(results)
}

fn figure(text: &str, curves: &[Curve]) -> Figure {
    // Custom is solid, ReLU the dashed reference, as 6.2 draws ReLU beside the modern ones.
    let labels = [format!("f(x) = {text}"), "ReLU".to_owned()];
    let panel = |title: &str, y_label: &str, pick: fn(&Curve) -> &Vec<f64>| {
        let lines = curves.iter().zip(&labels).enumerate().map(|(i, (c, label))| {
            let line =
                Line::new(label.as_str(), plot::cycle(i), c.x.as_slice(), pick(c).as_slice());
            if i == 1 {
                line.with_dashes()
            } else {
                line
            }
        });
        let panel = Panel::new(title, "x", y_label).with_hline(0.0).with_vline(0.0).with_legend();
        lines.fold(panel, Panel::with_line)
    };

    Figure::new("Custom Activation", (1, 2), (1400, 500))
        .with_panel(panel("Activation Function", "f(x)", |c| &c.value))
        .with_panel(panel("Gradient", "df/dx", |c| &c.grad))
}
