//! Adam and SGD, computing exactly what `torch.optim` computes on CPU.
//!
//! `torch.optim.Adam` on CPU tensors takes its single-tensor path: per
//! parameter, `lerp_` for the first moment, `mul_` then `addcmul_(value=)`
//! for the second, bias corrections in Python floats, and one `addcdiv_`
//! with `value=-step_size`. The same ops run here, in the same order, with
//! the scalar arguments passed through [`crate::aten`] so that ATen's fused
//! kernels round as they do under PyTorch. tch's own `nn::Adam` wraps the
//! C++ optimizer, which computes the moments differently and drifts.
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
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [Tensor]) {
        self.step += 1;

        // Python computes these once per parameter from a float step count;
        // they are the same for every parameter.
        let step = f64::from(self.step);
        let bias_correction1 = 1.0 - py_pow(self.beta1, step);
        let bias_correction2 = 1.0 - py_pow(self.beta2, step);
        let step_size = self.lr / bias_correction1;
        let bias_correction2_sqrt = py_pow(bias_correction2, 0.5);

        tch::no_grad(|| {
            let moments = self.exp_avg.iter_mut().zip(self.exp_avg_sq.iter_mut());
            for (param, (exp_avg, exp_avg_sq)) in params.iter_mut().zip(moments) {
                let grad = param.grad();

                let _ = exp_avg.lerp_(&grad, 1.0 - self.beta1);
                let _ = exp_avg_sq.g_mul_scalar_(self.beta2);
                aten::addcmul_(exp_avg_sq, &grad, &grad, 1.0 - self.beta2);

                let mut denom = exp_avg_sq.sqrt().g_div_scalar(bias_correction2_sqrt);
                let _ = denom.g_add_scalar_(self.eps);
                aten::addcdiv_(param, exp_avg, &denom, -step_size);
            }
        });
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
        tch::no_grad(|| {
            for param in params.iter_mut() {
                let grad = param.grad();
                aten::add_scaled_(param, &grad, -self.lr);
            }
        });
    }
}
