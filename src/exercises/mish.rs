//! Exercise: implement Mish from scratch.
//!
//! Mish(x) = x · tanh(ln(1 + eˣ)), the notebook's first exercise. actlab builds it from tensor
//! ops ([`Activation::Mish`]) with a softplus that neither overflows nor loses its tail, and this
//! exercise checks that construction three ways: against libtorch's own fused `mish` kernel,
//! value and autograd gradient, on the plotted range and far out in the tails; against the
//! formula written naively, which fails there in float32; and against finite differences in
//! float64. It then draws Mish and its gradient beside the other smooth self-gated activations,
//! Swish/SiLU and GELU, as section 6.2 draws the modern ones.
//!
//! The from-scratch Mish rounds differently from the fused kernel, so the two agree to a few
//! float32 ulps rather than bit for bit. Far out on the negative side the from-scratch gradient
//! is the better one: libtorch's backward computes sigmoid(x) as 1 / (1 + e^-x), which is 0 once
//! e^-x overflows (x below about -88.7), and so drops the x·sigmoid(x) term, leaving eˣ where
//! the gradient is (1 + x)·eˣ; both are float32 subnormals there.

use anyhow::Result;
use tch::{Device, Kind, Tensor};

use crate::activation::Activation;
use crate::context::Context;
use crate::exercises::gradient_check::{gradient_check, value_and_grad};
use crate::plot::{self, Figure, Line, Panel};
use crate::results::{tensor_values, Results};
use crate::sections::activations::{curve, Curve};

pub const ID: &str = "mish";
pub const TITLE: &str = "Implement Mish from scratch and check it against libtorch";

const POINTS: i64 = 1000;

/// The plotted range, as 6.2 draws the modern activations, and a wide one where eˣ overflows
/// float32 (above x ≈ 88.7) and underflows to a subnormal.
const RANGES: [(&str, f64, f64); 2] = [("plotted", -5.0, 5.0), ("tails", -100.0, 100.0)];

/// Mish drawn against these, in this order.
const SHOWN: [Activation; 3] = [Activation::Mish, Activation::Silu, Activation::Gelu];

/// Mish's and libtorch's values and gradients on one float32 grid, and how far apart they are.
pub struct Agreement {
    pub x: Vec<f64>,
    pub ours: (Vec<f64>, Vec<f64>),
    pub libtorch: (Vec<f64>, Vec<f64>),
    pub max_value_difference: f64,
    pub max_grad_difference: f64,
    /// The largest value difference relative to libtorch's value.
    pub max_relative_value_difference: f64,
}

/// Compares the from-scratch Mish with `Tensor::mish` on `POINTS` float32 points of `[lo, hi]`.
/// Differences are taken in float64, where the difference of two float32 values is exact.
pub fn against_libtorch(lo: f64, hi: f64, device: Device) -> Agreement {
    let x = Tensor::linspace(lo, hi, POINTS, (Kind::Float, device));
    let (value, grad) = value_and_grad(|x| Activation::Mish.apply(x), &x);
    let (lib_value, lib_grad) = value_and_grad(Tensor::mish, &x);

    let ours = (tensor_values(&value), tensor_values(&grad));
    let libtorch = (tensor_values(&lib_value), tensor_values(&lib_grad));
    let max_diff =
        |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let relative = ours.0.iter().zip(&libtorch.0).filter(|(_, b)| **b != 0.0);
    let max_relative_value_difference =
        relative.map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max);
    Agreement {
        x: tensor_values(&x),
        max_value_difference: max_diff(&ours.0, &libtorch.0),
        max_grad_difference: max_diff(&ours.1, &libtorch.1),
        max_relative_value_difference,
        ours,
        libtorch,
    }
}

/// The formula as the notebook writes it, x · tanh(ln(1 + eˣ)), with nothing guarding eˣ.
fn naive_mish(x: &Tensor) -> Tensor {
    x * (x.exp() + 1.0).log().tanh()
}

pub fn run(ctx: &Context) -> Result<Results> {
    let dir = ctx.item_dir(ID)?;
    let mut results = ctx.results(ID);
    ctx.say("Mish(x) = x * tanh(softplus(x)), softplus(x) = relu(x) + log1p(exp(-|x|))");

    ctx.say(format!("Against libtorch's mish (float32, {POINTS} points):"));
    for (name, lo, hi) in RANGES {
        let agreement = against_libtorch(lo, hi, ctx.device);
        ctx.say(format!(
            "  x in [{lo}, {hi}]: max |value difference| {:.3e} (relative {:.3e}), max \
             |gradient difference| {:.3e}",
            agreement.max_value_difference,
            agreement.max_relative_value_difference,
            agreement.max_grad_difference
        ));
        record_agreement(&mut results, name, &agreement);
    }

    compare_with_naive(ctx, &mut results);

    let check = gradient_check(|x| Activation::Mish.apply(x), -5.0, 5.0, POINTS, ctx.device);
    ctx.say(format!("Mish {}", check.summary()));
    results.series("gradient_check/x", &check.x);
    results.series("gradient_check/autograd", &check.autograd);
    results.series("gradient_check/numeric", &check.numeric);
    results.series("gradient_check/max_error", &[check.max_error]);

    let curves: Vec<Curve> = SHOWN.iter().map(|&a| curve(a, -5.0, 5.0, ctx.device)).collect();
    for (activation, c) in SHOWN.iter().zip(&curves) {
        results.series(&format!("{}/value", activation.key()), &c.value);
        results.series(&format!("{}/grad", activation.key()), &c.grad);
    }
    let path = dir.join("mish.png");
    ctx.draw(&figure(&curves), &path)?;
    ctx.say("Mish, like Swish, is smooth and non-monotonic: it dips below zero for negative x");
    ctx.say("and lets a small gradient through there, where ReLU's is exactly zero.");

    Ok(results)
}

fn record_agreement(results: &mut Results, range: &str, agreement: &Agreement) {
    results.series(&format!("libtorch/{range}/x"), &agreement.x);
    results.series(&format!("libtorch/{range}/ours/value"), &agreement.ours.0);
    results.series(&format!("libtorch/{range}/ours/grad"), &agreement.ours.1);
    results.series(&format!("libtorch/{range}/mish/value"), &agreement.libtorch.0);
    results.series(&format!("libtorch/{range}/mish/grad"), &agreement.libtorch.1);
    results.series(
        &format!("libtorch/{range}/max_difference"),
        &[agreement.max_value_difference, agreement.max_grad_difference],
    );
}

/// Shows, at x = ±100 in float32, what the guarded softplus saves: eˣ overflows on the right,
/// which turns the gradient into inf/inf = NaN, and 1 + eˣ rounds to 1 on the left, which
/// flattens the tail to zero.
fn compare_with_naive(ctx: &Context, results: &mut Results) {
    let x = Tensor::from_slice(&[-100.0f32, 100.0]).to_device(ctx.device);
    let (naive, naive_grad) = value_and_grad(naive_mish, &x);
    let (ours, ours_grad) = value_and_grad(|x| Activation::Mish.apply(x), &x);
    let [naive, naive_grad, ours, ours_grad] =
        [naive, naive_grad, ours, ours_grad].map(|t| tensor_values(&t));

    ctx.say("Naive x * tanh(log(1 + exp(x))) against the guarded form (float32):");
    for (i, x) in tensor_values(&x).into_iter().enumerate() {
        ctx.say(format!(
            "  x = {x:>4}: naive value {:.4e}, gradient {:.4e}; from scratch value {:.4e}, \
             gradient {:.4e}",
            naive[i], naive_grad[i], ours[i], ours_grad[i]
        ));
    }
    results.series("naive/x", &[-100.0, 100.0]);
    results.series("naive/value", &naive);
    results.series("naive/grad", &naive_grad);
    results.series("naive/ours/value", &ours);
    results.series("naive/ours/grad", &ours_grad);
}

fn figure(curves: &[Curve]) -> Figure {
    let panel = |title: &str, y_label: &str, pick: fn(&Curve) -> &Vec<f64>| {
        let lines = SHOWN.iter().zip(curves).enumerate().map(|(i, (a, c))| {
            Line::new(a.label(), plot::cycle(i), c.x.as_slice(), pick(c).as_slice())
        });
        let panel = Panel::new(title, "x", y_label).with_hline(0.0).with_vline(0.0).with_legend();
        lines.fold(panel, Panel::with_line)
    };

    Figure::new("Mish from Scratch", (1, 2), (1400, 500))
        .with_panel(panel("Activation Functions", "f(x)", |c| &c.value))
        .with_panel(panel("Gradients", "df/dx", |c| &c.grad))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values agree within 1e-6 relative, a few float32 ulps.
    fn close_value(ours: f64, libtorch: f64) -> bool {
        (ours - libtorch).abs() <= 1e-6 * libtorch.abs()
    }

    /// Gradients agree within 1e-6 relative or 1e-7 absolute. The absolute floor covers the
    /// gradient's zero crossing near x ≈ -1.19, where float32 cancellation leaves differences
    /// of ~3e-8, and the subnormal tail below x ≈ -88.7, where libtorch's backward drops a term
    /// (see the module doc).
    fn close_grad(ours: f64, libtorch: f64) -> bool {
        (ours - libtorch).abs() <= 1e-6 * libtorch.abs() + 1e-7
    }

    #[test]
    fn mish_matches_libtorch_within_tolerance() {
        for (name, lo, hi) in RANGES {
            let agreement = against_libtorch(lo, hi, Device::Cpu);
            for i in 0..agreement.x.len() {
                let x = agreement.x[i];
                let (value, lib_value) = (agreement.ours.0[i], agreement.libtorch.0[i]);
                let (grad, lib_grad) = (agreement.ours.1[i], agreement.libtorch.1[i]);
                assert!(close_value(value, lib_value), "{name}, x = {x}: {value} vs {lib_value}");
                assert!(close_grad(grad, lib_grad), "{name}, x = {x}: grad {grad} vs {lib_grad}");
            }
        }
    }

    #[test]
    fn mish_keeps_its_tails_where_the_naive_formula_fails() {
        let x = Tensor::from_slice(&[-100.0f32, 100.0]);
        let (_, naive_grad) = value_and_grad(naive_mish, &x);
        assert!(naive_grad.double_value(&[1]).is_nan());

        let (value, grad) = value_and_grad(|x| Activation::Mish.apply(x), &x);
        assert_eq!(value.double_value(&[1]), 100.0);
        assert_eq!(grad.double_value(&[1]), 1.0);
        // Mish(-100) ≈ -100 · e^-100, which 1 + eˣ would round away. It is a float32 subnormal,
        // e^-100 only 27 steps of the smallest one, so a few percent is all the accuracy left.
        let tail = value.double_value(&[0]);
        assert!(tail < 0.0 && (tail / (-100.0 * (-100.0f64).exp()) - 1.0).abs() < 0.1, "{tail}");
    }

    #[test]
    fn mish_gradient_passes_the_finite_difference_check() {
        let check = gradient_check(|x| Activation::Mish.apply(x), -5.0, 5.0, POINTS, Device::Cpu);
        assert!(check.max_error < 1e-8, "{}", check.summary());
        assert_eq!(check.not_finite, 0);

        // The check also runs where the softplus branches, at x = 0 itself.
        let at_zero = gradient_check(|x| Activation::Mish.apply(x), -1.0, 1.0, 3, Device::Cpu);
        assert!(at_zero.max_error < 1e-8, "{}", at_zero.summary());
    }
}
