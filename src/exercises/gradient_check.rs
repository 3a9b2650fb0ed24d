//! The gradient check the activation exercises share: autograd against finite differences.
//!
//! Autograd differentiates whatever ops a function is built from, so a gradient is only as
//! right as the construction: a detached term, or a formula that is wrong where it overflows,
//! goes unnoticed until the gradient is compared with the slope measured directly. The check
//! works in float64, where the central difference (f(x + h) − f(x − h)) / 2h with h = 1e-6 is
//! accurate to about 1e-9 for a smooth function of moderate size: the step leaves a truncation
//! error of order h², and the rounding of f adds one of order 1e-16·|f| / h.

use tch::{Device, Kind, Tensor};

use crate::results::tensor_values;

/// The finite-difference step, h.
pub const STEP: f64 = 1e-6;

/// How far autograd and finite differences may part before the check reports a disagreement,
/// relative to the largest gradient on the grid when that exceeds 1.
pub const TOLERANCE: f64 = 1e-6;

/// The function's value and its autograd gradient, `f(x).sum().backward()` as the notebook
/// differentiates, at every element of `x`.
pub fn value_and_grad(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> (Tensor, Tensor) {
    let x = x.detach().set_requires_grad(true);
    let y = f(&x);
    y.sum(y.kind()).backward();
    (y.detach(), x.grad())
}

/// What a gradient check found on its grid.
pub struct GradientCheck {
    pub x: Vec<f64>,
    pub autograd: Vec<f64>,
    pub numeric: Vec<f64>,
    /// The largest |autograd − numeric| over the points where both are finite.
    pub max_error: f64,
    /// Where that largest disagreement is.
    pub worst_x: f64,
    /// Points where the function or its gradient is not finite (log below zero, say).
    pub not_finite: usize,
}

impl GradientCheck {
    /// Whether autograd and finite differences agree within [`TOLERANCE`].
    pub fn agrees(&self) -> bool {
        let scale = self.autograd.iter().filter(|g| g.is_finite()).fold(1.0, |m, g| g.abs().max(m));
        self.max_error <= TOLERANCE * scale
    }

    /// One line for the exercise's output.
    pub fn summary(&self) -> String {
        let verdict = if self.agrees() { "agrees" } else { "DISAGREES" };
        let mut line = format!(
            "gradient check (float64, central differences, h = {STEP:e}, {} points): max \
             |autograd - numeric| = {:.3e} at x = {:.4}, {verdict}",
            self.x.len(),
            self.max_error,
            self.worst_x
        );
        if self.not_finite > 0 {
            line += &format!("; not finite at {} points", self.not_finite);
        }
        line
    }
}

/// Compares the autograd gradient of the elementwise function `f` with central differences at
/// `points` evenly spaced points of `[lo, hi]`, in float64.
pub fn gradient_check(
    f: impl Fn(&Tensor) -> Tensor,
    lo: f64,
    hi: f64,
    points: i64,
    device: Device,
) -> GradientCheck {
    let x = Tensor::linspace(lo, hi, points, (Kind::Double, device));
    let (_, autograd) = value_and_grad(&f, &x);

    // Dividing by the steps as they were rounded, rather than by 2h, removes the error that
    // rounding x ± h would otherwise add.
    let numeric = tch::no_grad(|| {
        let (above, below) = (&x + STEP, &x - STEP);
        (f(&above) - f(&below)) / (above - below)
    });

    let (x, autograd, numeric) =
        (tensor_values(&x), tensor_values(&autograd), tensor_values(&numeric));
    let mut check =
        GradientCheck { max_error: 0.0, worst_x: x[0], not_finite: 0, x, autograd, numeric };
    for i in 0..check.x.len() {
        let (a, n) = (check.autograd[i], check.numeric[i]);
        if !(a.is_finite() && n.is_finite()) {
            check.not_finite += 1;
        } else if (a - n).abs() > check.max_error {
            check.max_error = (a - n).abs();
            check.worst_x = check.x[i];
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_right_gradient_agrees() {
        let check = gradient_check(|x| x * x.sigmoid(), -5.0, 5.0, 1000, Device::Cpu);
        assert!(check.max_error < 1e-8, "{}", check.summary());
        assert!(check.agrees());
        assert_eq!(check.not_finite, 0);
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        // The gate is detached, so autograd sees x · const and misses the gate's own slope:
        // the gradient comes out as sigmoid(x) instead of sigmoid(x) + x·sigmoid'(x).
        let check = gradient_check(|x| x * x.sigmoid().detach(), -5.0, 5.0, 1000, Device::Cpu);
        assert!(check.max_error > 0.1, "{}", check.summary());
        assert!(!check.agrees());
        assert!(check.summary().contains("DISAGREES"));
    }

    #[test]
    fn points_without_a_finite_gradient_are_counted_not_compared() {
        let check = gradient_check(|x| x.log(), -1.0, 1.0, 100, Device::Cpu);
        assert_eq!(check.not_finite, 50);
        assert!(check.max_error < 1e-4, "{}", check.summary());
    }
}
