//! SGD with momentum and weight decay, and the cosine learning-rate schedule: the recipe
//! ResNets are trained with, which the notebook's own Adam and plain SGD do not cover.
//!
//! [`MomentumSgd`] takes `torch.optim.SGD(params, lr, momentum, weight_decay=...)`'s
//! single-tensor path, the one PyTorch runs on CPU: the decay is added to the gradient with
//! `add(param, alpha=weight_decay)`, the first step's momentum buffer is a copy of that, later
//! ones `mul_(momentum).add_(grad)`, and the parameter moves by `add_(buf, alpha=-lr)`, each
//! through the same fused ATen kernel. [`cosine_lrs`] gives the rates `CosineAnnealingLR`
//! sets, epoch by epoch, by its own recurrence rather than the closed form, since the two
//! round differently.

use tch::Tensor;

use crate::aten;
use crate::optim::Optimizer;

pub struct MomentumSgd {
    /// Changed between epochs by a schedule.
    pub lr: f64,
    momentum: f64,
    weight_decay: f64,
    /// Empty until the first step, as PyTorch's buffers are `None` until then.
    buffers: Vec<Tensor>,
}

impl MomentumSgd {
    /// `torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)`, with no
    /// dampening and no Nesterov term.
    pub fn new(lr: f64, momentum: f64, weight_decay: f64) -> MomentumSgd {
        MomentumSgd { lr, momentum, weight_decay, buffers: Vec::new() }
    }
}

impl Optimizer for MomentumSgd {
    fn step(&mut self, params: &mut [Tensor]) {
        tch::no_grad(|| {
            let first = self.buffers.is_empty();
            for (index, param) in params.iter_mut().enumerate() {
                let mut grad = param.grad().copy();
                aten::add_scaled_(&mut grad, param, self.weight_decay);

                if first {
                    self.buffers.push(grad);
                } else {
                    let buffer = &mut self.buffers[index];
                    let _ = buffer.g_mul_scalar_(self.momentum);
                    let _ = buffer.g_add_(&grad);
                }
                aten::add_scaled_(param, &self.buffers[index], -self.lr);
            }
        });
    }
}

/// The learning rate of each of `epochs` epochs under `CosineAnnealingLR(T_max=epochs)`
/// stepped once per epoch, with `eta_min` 0: `base` first, falling along half a cosine.
pub fn cosine_lrs(base: f64, epochs: usize) -> Vec<f64> {
    let t_max = epochs as f64;
    let mut lrs = Vec::with_capacity(epochs);
    let mut lr = base;
    for epoch in 0..epochs {
        if epoch > 0 {
            let e = epoch as f64;
            let ratio = (1.0 + (std::f64::consts::PI * e / t_max).cos())
                / (1.0 + (std::f64::consts::PI * (e - 1.0) / t_max).cos());
            lr *= ratio;
        }
        lrs.push(lr);
    }
    lrs
}

#[cfg(test)]
mod tests {
    use tch::{Device, Kind};

    use super::*;
    use crate::optim;

    /// One parameter whose gradient is `grad`.
    fn param_with_grad(value: &[f32], grad: &[f32]) -> Tensor {
        let param = Tensor::from_slice(value).set_requires_grad(true);
        let weights = Tensor::from_slice(grad);
        (&param * &weights).sum(Kind::Float).backward();
        param
    }

    #[test]
    fn steps_follow_momentum_and_weight_decay() {
        let mut params = [param_with_grad(&[1.0, -2.0], &[0.5, 0.25])];
        let mut sgd = MomentumSgd::new(0.1, 0.9, 0.01);

        // d = g + 0.01 p = (0.51, 0.23); buffer = d; p -= 0.1 d.
        sgd.step(&mut params);
        let p1: Vec<f32> = Vec::try_from(&params[0].detach()).unwrap();
        assert!((p1[0] - 0.949).abs() < 1e-6 && (p1[1] + 2.023).abs() < 1e-6, "{p1:?}");

        // The gradient stays; d = g + 0.01 p1; buffer = 0.9 buffer + d; p -= 0.1 buffer.
        sgd.step(&mut params);
        let p2: Vec<f32> = Vec::try_from(&params[0].detach()).unwrap();
        let d0 = 0.5 + 0.01 * 0.949;
        let expected0 = 0.949 - 0.1 * (0.9 * 0.51 + d0);
        assert!((f64::from(p2[0]) - expected0).abs() < 1e-6, "{p2:?} against {expected0}");

        optim::zero_grad(&mut params);
        assert!(!params[0].grad().defined());
    }

    #[test]
    fn without_momentum_or_decay_it_is_plain_sgd() {
        let mut params = [param_with_grad(&[3.0], &[2.0])];
        let mut sgd = MomentumSgd::new(0.5, 0.0, 0.0);
        sgd.step(&mut params);
        sgd.step(&mut params);
        let p = params[0].detach().to_device(Device::Cpu).double_value(&[0]);
        assert_eq!(p, 1.0);
    }

    #[test]
    fn cosine_rates_fall_from_the_base_to_near_zero() {
        let lrs = cosine_lrs(0.1, 4);
        assert_eq!(lrs.len(), 4);
        assert_eq!(lrs[0], 0.1);
        for (epoch, lr) in lrs.iter().enumerate() {
            let closed = 0.05 * (1.0 + (std::f64::consts::PI * epoch as f64 / 4.0).cos());
            assert!((lr - closed).abs() < 1e-15, "epoch {epoch}: {lr} against {closed}");
        }
        assert_eq!(cosine_lrs(0.1, 1), vec![0.1]);
    }
}
