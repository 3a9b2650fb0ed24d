//! The one list of activation functions.
//!
//! Every other part of actlab — command-line values, figure legends, the
//! comparison's table, the results files — derives from [`Activation`].
//! Each variant computes its function with the same ATen op that the
//! notebook's `torch.nn` module or `torch.nn.functional` call uses, so values
//! and gradients match PyTorch bit for bit. Two come from its exercises
//! instead: Mish, built from scratch out of tensor ops, and Custom, the
//! formula given with `--activation-expr` (see [`crate::expr`]).

use std::fmt;
use std::str::FromStr;

use tch::Tensor;

use crate::aten;
use crate::expr;

/// The slope the notebook gives Leaky ReLU (`nn.LeakyReLU(0.1)`).
pub const LEAKY_SLOPE: f64 = 0.1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    Relu,
    LeakyRelu,
    Elu,
    Gelu,
    GeluTanh,
    Silu,
    Tanh,
    Sigmoid,
    Mish,
    Custom,
}

impl Activation {
    /// Every activation actlab knows, in the order they are listed.
    pub const ALL: [Activation; 10] = [
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Elu,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Silu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Mish,
        Activation::Custom,
    ];

    /// The six the notebook trains head to head in section 6.4, in its order.
    pub const COMPARED: [Activation; 6] = [
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Gelu,
        Activation::Silu,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    /// The key the notebook uses (`'leaky_relu'`), also used in results files.
    pub fn key(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Elu => "elu",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Silu => "silu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Mish => "mish",
            Activation::Custom => "custom",
        }
    }

    /// The name a reader sees in legends and tables.
    pub fn label(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::LeakyRelu => "Leaky ReLU",
            Activation::Elu => "ELU",
            Activation::Gelu => "GELU",
            Activation::GeluTanh => "GELU (tanh)",
            Activation::Silu => "Swish/SiLU",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Mish => "Mish",
            Activation::Custom => "Custom",
        }
    }

    /// Applies the function; autograd records it like any other op.
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => x.relu(),
            Activation::LeakyRelu => aten::leaky_relu(x, LEAKY_SLOPE),
            Activation::Elu => x.elu(),
            Activation::Gelu => x.gelu("none"),
            Activation::GeluTanh => x.gelu("tanh"),
            Activation::Silu => x.silu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Mish => mish(x),
            Activation::Custom => {
                let custom = expr::custom_activation()
                    .expect("the command-line check sets the custom activation before it is used");
                custom.expr.eval(x)
            }
        }
    }
}

/// Mish(x) = x · tanh(softplus(x)), from tensor ops rather than ATen's fused `mish` kernel.
fn mish(x: &Tensor) -> Tensor {
    x * softplus(x).tanh()
}

/// softplus(x) = ln(1 + eˣ), rewritten as relu(x) + ln(1 + e^-|x|). Written directly, eˣ
/// overflows float32 above x ≈ 88, which makes the gradient inf/inf = NaN, and 1 + eˣ rounds
/// to 1 for very negative x, losing the tail ≈ eˣ; here the exponent is never positive and
/// `log1p` keeps the small values. At exactly x = 0 autograd gives this form a slope of 0 rather
/// than ½ (relu and |x| both take slope 0 there), but Mish multiplies that slope by x = 0, so
/// Mish's own gradient is unaffected.
fn softplus(x: &Tensor) -> Tensor {
    x.relu() + x.abs().neg().exp().log1p()
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL.into_iter().find(|a| a.key() == s).ok_or_else(|| {
            let known: Vec<_> = Activation::ALL.iter().map(|a| a.key()).collect();
            format!("unknown activation '{s}'; known: {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for activation in Activation::ALL {
            assert_eq!(activation.key().parse::<Activation>(), Ok(activation));
        }
        assert!("swish2".parse::<Activation>().unwrap_err().contains("leaky_relu"));
    }

    #[test]
    fn mish_and_custom_are_selectable_but_not_compared_by_default() {
        assert_eq!("mish".parse::<Activation>(), Ok(Activation::Mish));
        assert_eq!("custom".parse::<Activation>(), Ok(Activation::Custom));
        assert!(!Activation::COMPARED.contains(&Activation::Mish));
        assert!(!Activation::COMPARED.contains(&Activation::Custom));
    }

    #[test]
    fn custom_evaluates_the_expression_set_for_the_process() {
        // The only test that sets the process-wide custom activation.
        let text = "x * sigmoid(1.702 * x)";
        crate::expr::set_custom_activation(text).unwrap();
        assert!(crate::expr::set_custom_activation(text).is_ok());
        let refused = crate::expr::set_custom_activation("relu(x)").unwrap_err();
        assert!(refused.contains("already"), "{refused}");

        let x = Tensor::from_slice(&[-2.0f32, 0.0, 0.5, 3.0]);
        let y: Vec<f32> = Vec::try_from(Activation::Custom.apply(&x)).unwrap();
        let want: Vec<f32> = Vec::try_from(&x * (&x * 1.702).sigmoid()).unwrap();
        assert_eq!(y, want);
    }

    #[test]
    fn leaky_relu_uses_the_notebook_slope() {
        let x = Tensor::from_slice(&[-2.0f32, 0.0, 3.0]);
        let y: Vec<f32> = Vec::try_from(Activation::LeakyRelu.apply(&x)).unwrap();
        assert_eq!(y, vec![-2.0f32 * 0.1, 0.0, 3.0]);
    }
}
