//! Exercise: GELU exact against its tanh approximation.
//!
//! GELU is x·Φ(x), Φ the standard normal's distribution function, which PyTorch computes with
//! erf (`approximate='none'`); BERT and GPT-2 used the cheaper 0.5·x·(1 + tanh(√(2/π)·(x +
//! 0.044715·x³))) (`approximate='tanh'`). This exercise samples both, values and autograd
//! gradients, on the notebook's [-5, 5] and on [-10, 10] to show the tails, and finds where
//! they part the most. Everything is float32, as the notebook computes, and each difference is
//! taken in float64, where the difference of two float32 values is exact.

use anyhow::Result;

use crate::activation::Activation;
use crate::context::Context;
use crate::plot::{self, Figure, Line, Panel};
use crate::results::Results;
use crate::sections::activations::{curve, Curve};

pub const ID: &str = "gelu-tanh";
pub const TITLE: &str = "GELU exact against its tanh approximation";

/// The notebook's range, and a wider one whose outer parts are the tails.
const NEAR: (f64, f64) = (-5.0, 5.0);
const WIDE: (f64, f64) = (-10.0, 10.0);

/// Where `tanh − exact` is largest in magnitude, and its value there (with its sign).
#[derive(Clone, Copy, Debug)]
pub struct Largest {
    pub x: f64,
    pub difference: f64,
}

/// The two GELUs on one grid, and their differences, tanh − exact.
pub struct Difference {
    pub exact: Curve,
    pub tanh: Curve,
    pub value: Vec<f64>,
    pub grad: Vec<f64>,
}

impl Difference {
    pub fn on(lo: f64, hi: f64, device: tch::Device) -> Difference {
        let exact = curve(Activation::Gelu, lo, hi, device);
        let tanh = curve(Activation::GeluTanh, lo, hi, device);
        let minus = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a - b).collect();
        Difference {
            value: minus(&tanh.value, &exact.value),
            grad: minus(&tanh.grad, &exact.grad),
            exact,
            tanh,
        }
    }

    pub fn x(&self) -> &[f64] {
        &self.exact.x
    }
}

/// The largest |difference| among the points whose x `keep` accepts; the first such point
/// when the largest is reached more than once.
pub fn largest(x: &[f64], difference: &[f64], keep: impl Fn(f64) -> bool) -> Largest {
    let mut found = Largest { x: f64::NAN, difference: 0.0 };
    for (&x, &d) in x.iter().zip(difference) {
        if keep(x) && (found.x.is_nan() || d.abs() > found.difference.abs()) {
            found = Largest { x, difference: d };
        }
    }
    found
}

/// The outermost points, one on each side of zero, past which `difference` is exactly zero all
/// the way to the end of the grid; the grid's own ends when the last point differs.
pub fn identical_beyond(x: &[f64], difference: &[f64]) -> (f64, f64) {
    let first_differing = difference.iter().position(|&d| d != 0.0);
    let last_differing = difference.iter().rposition(|&d| d != 0.0);
    match (first_differing, last_differing) {
        (Some(first), Some(last)) => (x[first], x[last]),
        _ => (0.0, 0.0),
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let dir = ctx.item_dir(ID)?;
    let mut results = ctx.results(ID);
    ctx.say("GELU exact:         x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))");
    ctx.say("tanh approximation: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))");

    let near = Difference::on(NEAR.0, NEAR.1, ctx.device);
    let value_peak = largest(near.x(), &near.value, |_| true);
    let grad_peak = largest(near.x(), &near.grad, |_| true);
    ctx.say(format!(
        "On [{}, {}] (float32, {} points), tanh - exact:",
        NEAR.0,
        NEAR.1,
        near.x().len()
    ));
    say_largest(ctx, "value", value_peak);
    say_largest(ctx, "gradient", grad_peak);
    results.series("x", near.x());
    results.series("exact/value", &near.exact.value);
    results.series("exact/grad", &near.exact.grad);
    results.series("tanh/value", &near.tanh.value);
    results.series("tanh/grad", &near.tanh.grad);
    results.series("difference/value", &near.value);
    results.series("difference/grad", &near.grad);
    results.series("largest/value", &[value_peak.x, value_peak.difference]);
    results.series("largest/grad", &[grad_peak.x, grad_peak.difference]);

    let wide = Difference::on(WIDE.0, WIDE.1, ctx.device);
    let in_tails = |x: f64| x.abs() > NEAR.1;
    let tail_value = largest(wide.x(), &wide.value, in_tails);
    let tail_grad = largest(wide.x(), &wide.grad, in_tails);
    ctx.say(format!("In the tails, {} < |x| <= {}:", NEAR.1, WIDE.1));
    say_largest(ctx, "value", tail_value);
    say_largest(ctx, "gradient", tail_grad);
    results.series("wide/x", wide.x());
    results.series("wide/difference/value", &wide.value);
    results.series("wide/difference/grad", &wide.grad);
    results.series("tails/largest/value", &[tail_value.x, tail_value.difference]);
    results.series("tails/largest/grad", &[tail_grad.x, tail_grad.difference]);
    for (what, key, diff) in [("values", "value", &wide.value), ("gradients", "grad", &wide.grad)] {
        let (left, right) = identical_beyond(wide.x(), diff);
        ctx.say(format!("  {what} are identical in float32 outside [{left:.4}, {right:.4}]"));
        results.series(&format!("tails/identical_beyond/{key}"), &[left, right]);
    }

    let path = dir.join("gelu_tanh.png");
    ctx.draw(&near_figure(&near, value_peak, grad_peak), &path)?;
    let path = dir.join("gelu_tanh_tails.png");
    ctx.draw(&tails_figure(&wide), &path)?;
    ctx.say("Either variant serves; a model is best run with the one it was trained with.");

    Ok(results)
}

fn say_largest(ctx: &Context, what: &str, peak: Largest) {
    ctx.say(format!(
        "  {what:<8} largest |difference| {:.3e} at x = {:.4} (difference {:+.3e})",
        peak.difference.abs(),
        peak.x,
        peak.difference
    ));
}

/// Values on top, gradients below; each with both curves on the left and their difference on
/// the right, the largest marked by a dashed vertical line.
fn near_figure(near: &Difference, value_peak: Largest, grad_peak: Largest) -> Figure {
    let both = |title: &str, y_label: &str, exact: &[f64], tanh: &[f64]| {
        Panel::new(title, "x", y_label)
            .with_line(Line::new("GELU (exact, erf)", plot::C0, near.x(), exact))
            .with_line(Line::new("GELU (tanh)", plot::C1, near.x(), tanh).with_dashes())
            .with_hline(0.0)
            .with_vline(0.0)
            .with_legend()
    };
    let difference = |title: &str, y_label: &str, diff: &[f64], peak: Largest| {
        Panel::new(format!("{title} (largest at x = {:.2})", peak.x), "x", y_label)
            .with_line(Line::new("tanh - exact", plot::C3, near.x(), diff))
            .with_hline(0.0)
            .with_vline(peak.x)
            .with_legend()
    };

    Figure::new("GELU: Exact vs Tanh Approximation", (2, 2), (1400, 1000))
        .with_panel(both("Activation Functions", "f(x)", &near.exact.value, &near.tanh.value))
        .with_panel(difference("Difference", "tanh - exact", &near.value, value_peak))
        .with_panel(both("Gradients", "df/dx", &near.exact.grad, &near.tanh.grad))
        .with_panel(difference("Gradient Difference", "tanh - exact", &near.grad, grad_peak))
}

/// |tanh − exact| on a log scale over the wide range, the notebook's range marked; points where
/// the two are equal have no logarithm and leave gaps, which is all there is far out.
fn tails_figure(wide: &Difference) -> Figure {
    let magnitude = |d: &[f64]| d.iter().map(|d| d.abs()).collect::<Vec<_>>();
    let panel = Panel::new("|tanh - exact| (log scale)", "x", "|difference|")
        .with_line(Line::new("value", plot::C0, wide.x(), magnitude(&wide.value)))
        .with_line(Line::new("gradient", plot::C1, wide.x(), magnitude(&wide.grad)))
        .with_vline(NEAR.0)
        .with_vline(NEAR.1)
        .with_x_range(WIDE.0, WIDE.1)
        .with_log_y()
        .with_legend();
    Figure::new("GELU: Exact vs Tanh Approximation in the Tails", (1, 1), (1000, 500))
        .with_panel(panel)
}

#[cfg(test)]
mod tests {
    use tch::Device;

    use super::*;

    #[test]
    fn largest_finds_the_biggest_magnitude_with_its_sign() {
        let x = [-2.0, -1.0, 0.0, 1.0, 2.0];
        let d = [0.1, -0.5, 0.2, 0.5, 0.3];
        let peak = largest(&x, &d, |_| true);
        assert_eq!((peak.x, peak.difference), (-1.0, -0.5));
        let peak = largest(&x, &d, |x| x > 1.5);
        assert_eq!((peak.x, peak.difference), (2.0, 0.3));
    }

    #[test]
    fn the_approximation_is_close_and_parts_most_near_two() {
        let near = Difference::on(NEAR.0, NEAR.1, Device::Cpu);
        let peak = largest(near.x(), &near.value, |_| true);
        // The tanh form is known to stay within about 5e-4 of GELU, worst for |x| near 2.
        assert!(peak.difference.abs() > 1e-5 && peak.difference.abs() < 5e-4, "{peak:?}");
        assert!((1.0..3.0).contains(&peak.x.abs()), "{peak:?}");

        // Both are odd around x/2 (f(x) - f(-x) = x), so the difference is even in x.
        let n = near.value.len();
        for i in 0..n {
            let ulps = 4.0 * f64::from(f32::EPSILON) * near.x()[i].abs().max(1.0);
            assert!((near.value[i] - near.value[n - 1 - i]).abs() <= ulps, "at {}", near.x()[i]);
        }
    }

    #[test]
    fn identical_beyond_brackets_the_points_that_differ() {
        let x = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];
        assert_eq!(identical_beyond(&x, &[0.0, 0.0, 1e-7, 0.0, 2e-7, 0.0, 0.0]), (-1.0, 1.0));
        assert_eq!(identical_beyond(&x, &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]), (-3.0, 3.0));
    }

    #[test]
    fn the_difference_is_each_approximation_minus_the_exact_value() {
        let near = Difference::on(-1.0, 1.0, Device::Cpu);
        for i in 0..near.value.len() {
            assert_eq!(near.value[i], near.tanh.value[i] - near.exact.value[i]);
            assert_eq!(near.grad[i], near.tanh.grad[i] - near.exact.grad[i]);
        }
    }
}
