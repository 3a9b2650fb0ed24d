//! Section 6.2, the common activation functions and their gradients.
//!
//! Each function is evaluated on an evenly spaced grid and differentiated
//! by autograd, as the notebook does with `y.sum().backward()`: sigmoid and
//! tanh (whose gradients vanish for large |x|), the ReLU family (ReLU,
//! Leaky ReLU with slope 0.1, ELU), and the smooth modern ones (GELU,
//! Swish/SiLU) against ReLU, with a zoom near zero and the negative region.

use anyhow::Result;
use tch::{Device, Kind, Tensor};

use crate::activation::Activation;
use crate::context::Context;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::{tensor_values, Results};

const POINTS: i64 = 1000;

/// A function sampled on `[lo, hi]`: the grid, the values and the gradient.
pub struct Curve {
    pub x: Vec<f64>,
    pub value: Vec<f64>,
    pub grad: Vec<f64>,
}

/// `x = linspace(lo, hi, 1000, requires_grad=True); f(x).sum().backward()`.
pub fn curve(activation: Activation, lo: f64, hi: f64, device: Device) -> Curve {
    let x = Tensor::linspace(lo, hi, POINTS, (Kind::Float, device)).set_requires_grad(true);
    let y = activation.apply(&x);
    y.sum(Kind::Float).backward();
    Curve { x: tensor_values(&x), value: tensor_values(&y), grad: tensor_values(&x.grad()) }
}

pub fn replay(_ctx: &Context) {}

pub fn run(ctx: &Context) -> Result<Results> {
    let device = ctx.device;
    let dir = ctx.item_dir("6.2")?;
    let mut results = ctx.results("6.2");

    ctx.say("Sigmoid & Tanh visualization");
    for (activation, remark) in [
        (Activation::Sigmoid, "Sigmoid gradient -> 0 when |x| > 5 (vanishing gradient!)"),
        (Activation::Tanh, "Tanh also has the vanishing gradient problem!"),
    ] {
        let c = curve(activation, -5.0, 5.0, device);
        let path = dir.join(format!("{}.png", activation.key()));
        ctx.draw(&value_and_gradient_figure(activation, &c), &path)?;
        ctx.say(remark);
        results.series(&format!("{}/value", activation.key()), &c.value);
        results.series(&format!("{}/grad", activation.key()), &c.grad);
    }

    let family = [Activation::Relu, Activation::LeakyRelu, Activation::Elu];
    let curves: Vec<Curve> = family.iter().map(|&a| curve(a, -3.0, 3.0, device)).collect();
    for (activation, c) in family.iter().zip(&curves) {
        results.series(&format!("relu_family/{}/value", activation.key()), &c.value);
        results.series(&format!("relu_family/{}/grad", activation.key()), &c.grad);
    }
    let path = dir.join("relu_family.png");
    ctx.draw(&relu_family_figure(&family, &curves), &path)?;
    ctx.say("Key observations:");
    ctx.say("   - ReLU: gradient = 0 when x < 0 (dead ReLU risk)");
    ctx.say("   - Leaky ReLU: small gradient when x < 0 (solves dead ReLU)");
    ctx.say("   - ELU: smooth, better gradient flow");

    let modern = [Activation::Relu, Activation::Gelu, Activation::Silu];
    let curves: Vec<Curve> = modern.iter().map(|&a| curve(a, -5.0, 5.0, device)).collect();
    let zoom: Vec<Curve> = modern[..2].iter().map(|&a| curve(a, -2.0, 2.0, device)).collect();
    let negative: Vec<Curve> = modern.iter().map(|&a| curve(a, -5.0, 0.0, device)).collect();
    for (activation, c) in modern.iter().zip(&curves) {
        results.series(&format!("modern/{}/value", activation.key()), &c.value);
        results.series(&format!("modern/{}/grad", activation.key()), &c.grad);
    }
    for (activation, c) in modern.iter().zip(&zoom) {
        results.series(&format!("modern/zoom/{}/value", activation.key()), &c.value);
    }
    for (activation, c) in modern.iter().zip(&negative) {
        results.series(&format!("modern/negative/{}/value", activation.key()), &c.value);
    }
    let path = dir.join("modern.png");
    ctx.draw(&modern_figure(&modern, &curves, &zoom, &negative), &path)?;
    ctx.say("Key insights:");
    ctx.say("   - GELU: smooth, non-zero gradient in the negative region");
    ctx.say("   - Swish: self-gating, smooth everywhere");
    ctx.say("   - Both are better than ReLU for deep networks!");

    Ok(results)
}

/// A panel with the notebook's dashed axes through the origin.
fn axes_panel(title: &str, y_label: &str, lines: Vec<Line>) -> Panel {
    Panel {
        title: title.into(),
        x_label: "x".into(),
        y_label: y_label.into(),
        lines,
        hlines: vec![0.0],
        vlines: vec![0.0],
        ..Panel::default()
    }
}

fn value_and_gradient_figure(activation: Activation, c: &Curve) -> Figure {
    let name = activation.label();
    let value = Line::new(name, plot::BLUE, c.x.as_slice(), c.value.as_slice());
    let grad = Line::new(name, plot::RED, c.x.as_slice(), c.grad.as_slice());
    Figure {
        title: format!("{name} Activation Function"),
        rows: 1,
        cols: 2,
        width: 1400,
        height: 400,
        panels: vec![
            axes_panel("Activation Function", &format!("{name}(x)"), vec![value]),
            axes_panel("Gradient", &format!("d{name}/dx"), vec![grad]),
        ],
    }
}

/// The legend names the notebook gives the ReLU family's curves.
fn family_label(activation: Activation) -> &'static str {
    match activation {
        Activation::LeakyRelu => "Leaky ReLU (α=0.1)",
        other => other.label(),
    }
}

fn relu_family_figure(family: &[Activation], curves: &[Curve]) -> Figure {
    let lines = |pick: fn(&Curve) -> &Vec<f64>, label: fn(Activation) -> &'static str| {
        family
            .iter()
            .zip(curves)
            .enumerate()
            .map(|(i, (&a, c))| {
                Line::new(label(a), plot::cycle(i), c.x.as_slice(), pick(c).as_slice())
            })
            .collect::<Vec<_>>()
    };
    let mut values = axes_panel("Activation Functions", "f(x)", lines(|c| &c.value, family_label));
    values.legend = true;
    let mut grads = axes_panel("Gradients", "df/dx", lines(|c| &c.grad, Activation::label));
    grads.legend = true;
    grads.y_range = Some((-0.5, 1.5));

    Figure {
        title: "ReLU Family".into(),
        rows: 1,
        cols: 2,
        width: 1400,
        height: 500,
        panels: vec![values, grads],
    }
}

fn modern_figure(
    modern: &[Activation],
    curves: &[Curve],
    zoom: &[Curve],
    negative: &[Curve],
) -> Figure {
    // ReLU is the dashed baseline in the value panels, as in the notebook.
    let line = |i: usize, a: Activation, c: &Curve, ys: &[f64], dash: bool| {
        let label = if a == Activation::Silu { "Swish/SiLU" } else { a.label() };
        let mut line = Line::new(label, plot::cycle(i), c.x.as_slice(), ys);
        line.dashed = dash && a == Activation::Relu;
        line
    };
    let short = |a: Activation| if a == Activation::Silu { "Swish" } else { a.label() };

    let values = modern.iter().zip(curves).enumerate();
    let mut panel_values = axes_panel(
        "Activation Functions",
        "f(x)",
        values.map(|(i, (&a, c))| line(i, a, c, &c.value, true)).collect(),
    );
    panel_values.legend = true;

    let grads = modern.iter().zip(curves).enumerate();
    let mut panel_grads = axes_panel(
        "Gradients",
        "df/dx",
        grads
            .map(|(i, (&a, c))| {
                Line::new(short(a), plot::cycle(i), c.x.as_slice(), c.grad.as_slice())
            })
            .collect(),
    );
    panel_grads.legend = true;

    let zoomed = modern.iter().zip(zoom).enumerate();
    let mut panel_zoom = axes_panel(
        "Zoom: GELU vs ReLU near zero",
        "f(x)",
        zoomed.map(|(i, (&a, c))| line(i, a, c, &c.value, true)).collect(),
    );
    panel_zoom.legend = true;

    let negatives = modern.iter().zip(negative).enumerate();
    let panel_negative = Panel {
        title: "Behavior at Negative Values".into(),
        x_label: "x".into(),
        y_label: "f(x)".into(),
        lines: negatives
            .map(|(i, (&a, c))| {
                Line::new(short(a), plot::cycle(i), c.x.as_slice(), c.value.as_slice())
            })
            .collect(),
        legend: true,
        ..Panel::default()
    };

    Figure {
        title: "Modern Activation Functions".into(),
        rows: 2,
        cols: 2,
        width: 1400,
        height: 1000,
        panels: vec![panel_values, panel_grads, panel_zoom, panel_negative],
    }
}
