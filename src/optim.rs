//! Adam and SGD, computing exactly what `torch.optim` computes on CPU.
//!
//! `torch.optim.Adam` on CPU tensors takes its single-tensor path: per
//! parameter, `lerp_` for the first moment, `mul_` then `addcmul_(value=)`
//! for the second, bias corrections in Python floats, and one `addcdiv_`
//! with `value=-step_size`. The bias corrections are computed here; the
//! tensor ops run through [`crate::aten`] (one call per step for all
//! parameters), in the same order and with the same scalar arguments, so
//! ATen's kernels round as they do under PyTorch. tch's own `nn::Adam`
//! wraps the C++ optimizer, which computes the moments differently.
//!
//! On CUDA PyTorch switches to its multi-tensor path; these formulas are the
//! same, so results agree there within floating-point tolerance, not bitwise.

use tch::Tensor;

use crate::aten;
use crate::stats::py_pow;

pub trait Optimizer {
    /// One update of every parameter from its current gradient.
    fn step(&mut self, params: &mut [Tensor]);
}

/// `optimizer.zero_grad()`: gradients become undefined, not zero-filled.
pub fn zero_grad(params: &mut [Tensor]) {
    for p in params {
        aten::clear_grad(p);
    }
}

pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    step: u32,
    exp_avg: Vec<Tensor>,
    exp_avg_sq: Vec<Tensor>,
    /// Scratch space for each update's denominator.
    denom: Vec<Tensor>,
}

impl Adam {
    /// `torch.optim.Adam(params, lr=lr)` with its default betas and eps.
    pub fn new(params: &[Tensor], lr: f64) -> Adam {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 0,
            exp_avg: params.iter().map(Tensor::zeros_like).collect(),
            exp_avg_sq: params.iter().map(Tensor::zeros_like).collect(),
            denom: params.iter().map(Tensor::empty_like).collect(),
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [Tensor]) {
        self.step += 1;

        // Python computes these per parameter from a float step count; they
        // are the same for every parameter.
        let step = f64::from(self.step);
        let bias_correction1 = 1.0 - py_pow(self.beta1, step);
        let bias_correction2 = 1.0 - py_pow(self.beta2, step);
        let scalars = aten::AdamScalars {
            one_minus_beta1: 1.0 - self.beta1,
            beta2: self.beta2,
            one_minus_beta2: 1.0 - self.beta2,
            step_size: self.lr / bias_correction1,
            bias_correction2_sqrt: py_pow(bias_correction2, 0.5),
            eps: self.eps,
        };

        aten::adam_step(params, &mut self.exp_avg, &mut self.exp_avg_sq, &mut self.denom, &scalars);
    }
}

pub struct Sgd {
    lr: f64,
}

impl Sgd {
    /// `torch.optim.SGD(params, lr=lr)`: no momentum, no weight decay.
    pub fn new(lr: f64) -> Sgd {
        Sgd { lr }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [Tensor]) {
        aten::sgd_step(params, self.lr);
    }
}
