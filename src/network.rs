//! Linear layers and the small fully connected networks built from them.
//!
//! [`Linear`] is `nn.Linear`: its weight and then its bias are drawn with
//! `uniform_` from the global generator, with the bounds `reset_parameters`
//! computes (Kaiming-uniform with a = sqrt(5) for the weight, 1/sqrt(fan_in)
//! for the bias), always on the CPU generator as PyTorch does before a model
//! is moved to its device. Its forward pass is the op `F.linear` calls.
//!
//! [`Network`] is the notebook's every model: linear layers with one
//! activation between them and none after the last, which covers the XOR
//! networks of 6.1, the dead-ReLU networks of 6.3 and the `FlexibleMLP` of
//! 6.4 (whose own `forward` applies its activation the same way).

use tch::{Device, Kind, Tensor};

use crate::activation::Activation;
use crate::stats::py_pow;

pub struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Linear {
    /// Draws a layer as `nn.Linear(fan_in, fan_out)` does, then moves it.
    pub fn new(fan_in: i64, fan_out: i64, device: Device) -> Linear {
        let fan = fan_in as f64;

        // kaiming_uniform_(w, a=math.sqrt(5)), in Python's float arithmetic.
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + py_pow(a, 2.0))).sqrt();
        let std = gain / fan.sqrt();
        let weight_bound = 3f64.sqrt() * std;
        let mut weight = Tensor::empty([fan_out, fan_in], (Kind::Float, Device::Cpu));
        let _ = weight.uniform_(-weight_bound, weight_bound);

        let bias_bound = 1.0 / fan.sqrt();
        let mut bias = Tensor::empty([fan_out], (Kind::Float, Device::Cpu));
        let _ = bias.uniform_(-bias_bound, bias_bound);

        Linear {
            weight: weight.to_device(device).set_requires_grad(true),
            bias: bias.to_device(device).set_requires_grad(true),
        }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.linear(&self.weight, Some(&self.bias))
    }
}

pub struct Network {
    pub layers: Vec<Linear>,
    pub activation: Option<Activation>,
}

impl Network {
    /// Builds layers of the given widths, `widths[0]` being the input size,
    /// drawing their parameters in order as `nn.Sequential` construction does.
    pub fn new(widths: &[i64], activation: Option<Activation>, device: Device) -> Network {
        let layers = widths.windows(2).map(|w| Linear::new(w[0], w[1], device)).collect();
        Network { layers, activation }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = self.layers[0].forward(x);
        for layer in &self.layers[1..] {
            h = self.activate(&h);
            h = layer.forward(&h);
        }
        h
    }

    /// The output of layer `index` after its activation: what a hidden
    /// unit emits, as the notebook reads it with `model[1](model[0](X))`.
    pub fn hidden(&self, x: &Tensor, index: usize) -> Tensor {
        let mut h = x.shallow_clone();
        for layer in &self.layers[..=index] {
            h = self.activate(&layer.forward(&h));
        }
        h
    }

    fn activate(&self, h: &Tensor) -> Tensor {
        match self.activation {
            Some(activation) => activation.apply(h),
            None => h.shallow_clone(),
        }
    }

    /// The parameters in `model.parameters()` order: weight, bias, per layer.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.shallow_clone(), l.bias.shallow_clone()])
            .collect()
    }
}
