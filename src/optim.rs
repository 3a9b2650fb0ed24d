//! Adam and SGD, computing exactly what `torch.optim` computes on CPU.
//!
//! `torch.optim.Adam` on CPU tensors takes its single-tensor path: per
//! parameter, `lerp_` for the first moment, `mul_` then `addcmul_(value=)`
//! for the second, bias corrections in Python floats, and one `addcdiv_`
//! with `value=-step_size`. The bias corrections are computed here; the
//! tensor ops run through [`crate::aten`], in the same order and with the
//! same scalar arguments, so ATen's kernels round as they do under PyTorch.
//! They run once per step over all parameters gathered in one buffer rather
//! than once per parameter: the ops are elementwise, so every element is
//! computed alike (the parity tests hold this to the last bit). tch's own `nn::Adam`
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
    aten::clear_grads(params);
}

pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    step: u32,
    buffers: aten::AdamBuffers,
}

impl Adam {
    /// `torch.optim.Adam(params, lr=lr)` with its default betas and eps.
    ///
    /// The parameters are moved into one buffer that they then view, so that
    /// each of the update's ops runs once per step rather than once per
    /// parameter; their values, and the model that holds them, are unchanged.
    pub fn new(params: &mut [Tensor], lr: f64) -> Adam {
        let param = aten::gather_params(params);
        let buffers = aten::AdamBuffers {
            grad: Tensor::empty_like(&param),
            exp_avg: Tensor::zeros_like(&param),
            exp_avg_sq: Tensor::zeros_like(&param),
            denom: Tensor::empty_like(&param),
            param,
        };
        Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 0, buffers }
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

        aten::adam_step(params, &mut self.buffers, &scalars);
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
