//! ResNet-20 for 32x32 images, with the activation as a parameter.
//!
//! This is the CIFAR-10 network of He et al. (2015, section 4.2): a 3x3 convolution to 16
//! channels, three stages of three basic blocks at 16, 32 and 64 channels, the second and third
//! stage halving the image with a stride of 2, then global average pooling and a linear
//! classifier; 269,722 parameters. Every convolution is followed by batch normalisation, and
//! wherever the notebook's ReLU would sit, [`Activation::apply`] runs instead.
//!
//! Where a stage changes shape, the shortcut is the paper's option A: the input subsampled by
//! taking every other pixel, with the new channels zero-padded on either side. It adds no
//! parameters, which keeps the comparison about the activation and not about extra weights.
//!
//! The layers are built from raw tensors with `torch.nn`'s default initialisation, drawn from the
//! global generator on the CPU in the order the modules are constructed: each convolution's
//! weight by `kaiming_uniform_(a=sqrt(5))` (no bias, as ResNets use before batch norm), batch
//! norm with weight 1, bias 0, running mean 0 and running variance 1, and the classifier as
//! [`Linear`]. Batch norm runs ATen's own kernel, which in training mode normalises by the
//! batch's statistics and updates the running ones with momentum 0.1, and in evaluation mode
//! normalises by the running ones and leaves them alone.

use tch::{Device, Kind, Tensor};

use crate::activation::Activation;
use crate::network::Linear;
use crate::stats::py_pow;

/// `nn.BatchNorm2d`'s defaults.
pub const BN_MOMENTUM: f64 = 0.1;
pub const BN_EPS: f64 = 1e-5;

/// Channels of the three stages.
pub const STAGE_WIDTHS: [i64; 3] = [16, 32, 64];
/// ResNet-20: 6n + 2 layers with n = 3.
pub const BLOCKS_PER_STAGE: usize = 3;

/// Whether batch norm learns from the batch (`model.train()`) or uses what it learned
/// (`model.eval()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// `nn.Conv2d(in, out, 3, stride=stride, padding=1, bias=False)`.
pub struct Conv3x3 {
    pub weight: Tensor,
    stride: i64,
}

impl Conv3x3 {
    pub fn new(in_channels: i64, out_channels: i64, stride: i64, device: Device) -> Conv3x3 {
        let bound = kaiming_uniform_bound(in_channels * 9);
        let mut weight =
            Tensor::empty([out_channels, in_channels, 3, 3], (Kind::Float, Device::Cpu));
        let _ = weight.uniform_(-bound, bound);
        Conv3x3 { weight: weight.to_device(device).set_requires_grad(true), stride }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.conv2d(&self.weight, None::<Tensor>, [self.stride; 2], [1, 1], [1, 1], 1)
    }
}

/// The bound of `kaiming_uniform_(w, a=math.sqrt(5))` for a layer with `fan_in` inputs, in
/// Python's float arithmetic; it comes to 1/sqrt(fan_in).
fn kaiming_uniform_bound(fan_in: i64) -> f64 {
    let a = 5f64.sqrt();
    let gain = (2.0 / (1.0 + py_pow(a, 2.0))).sqrt();
    let std = gain / (fan_in as f64).sqrt();
    3f64.sqrt() * std
}

/// `nn.BatchNorm2d(channels)`.
pub struct BatchNorm2d {
    pub weight: Tensor,
    pub bias: Tensor,
    pub running_mean: Tensor,
    pub running_var: Tensor,
}

impl BatchNorm2d {
    pub fn new(channels: i64, device: Device) -> BatchNorm2d {
        let options = (Kind::Float, device);
        BatchNorm2d {
            weight: Tensor::ones([channels], options).set_requires_grad(true),
            bias: Tensor::zeros([channels], options).set_requires_grad(true),
            running_mean: Tensor::zeros([channels], options),
            running_var: Tensor::ones([channels], options),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        x.batch_norm(
            Some(&self.weight),
            Some(&self.bias),
            Some(&self.running_mean),
            Some(&self.running_var),
            mode == Mode::Train,
            BN_MOMENTUM,
            BN_EPS,
            true,
        )
    }
}

/// Two 3x3 convolutions, each with batch norm, around a shortcut; the activation follows the
/// first and the sum.
struct BasicBlock {
    conv1: Conv3x3,
    bn1: BatchNorm2d,
    conv2: Conv3x3,
    bn2: BatchNorm2d,
    /// Channels zero-padded on each side of the subsampled input; `None` keeps the input.
    shortcut_pad: Option<i64>,
}

impl BasicBlock {
    fn new(in_channels: i64, out_channels: i64, stride: i64, device: Device) -> BasicBlock {
        let reshapes = stride != 1 || in_channels != out_channels;
        BasicBlock {
            conv1: Conv3x3::new(in_channels, out_channels, stride, device),
            bn1: BatchNorm2d::new(out_channels, device),
            conv2: Conv3x3::new(out_channels, out_channels, 1, device),
            bn2: BatchNorm2d::new(out_channels, device),
            shortcut_pad: reshapes.then_some((out_channels - in_channels) / 2),
        }
    }

    fn forward(&self, x: &Tensor, activation: Activation, mode: Mode) -> Tensor {
        let h = activation.apply(&self.bn1.forward(&self.conv1.forward(x), mode));
        let h = self.bn2.forward(&self.conv2.forward(&h), mode);

        activation.apply(&(h + self.shortcut(x)))
    }

    fn shortcut(&self, x: &Tensor) -> Tensor {
        match self.shortcut_pad {
            None => x.shallow_clone(),
            Some(pad) => downsample(x, pad),
        }
    }

    fn parameters(&self) -> [Tensor; 6] {
        [
            self.conv1.weight.shallow_clone(),
            self.bn1.weight.shallow_clone(),
            self.bn1.bias.shallow_clone(),
            self.conv2.weight.shallow_clone(),
            self.bn2.weight.shallow_clone(),
            self.bn2.bias.shallow_clone(),
        ]
    }
}

/// Option A: `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad))`.
fn downsample(x: &Tensor, pad: i64) -> Tensor {
    let every_other = x.slice(2, 0, None, 2).slice(3, 0, None, 2);
    every_other.constant_pad_nd([0, 0, 0, 0, pad, pad])
}

pub struct ResNet {
    pub activation: Activation,
    stem: Conv3x3,
    stem_bn: BatchNorm2d,
    blocks: Vec<BasicBlock>,
    classifier: Linear,
}

impl ResNet {
    /// ResNet-20 for 3-channel images and `classes` outputs, drawn in construction order.
    pub fn new(activation: Activation, classes: i64, device: Device) -> ResNet {
        let stem = Conv3x3::new(3, STAGE_WIDTHS[0], 1, device);
        let stem_bn = BatchNorm2d::new(STAGE_WIDTHS[0], device);

        let mut blocks = Vec::new();
        let mut in_channels = STAGE_WIDTHS[0];
        for (stage, &width) in STAGE_WIDTHS.iter().enumerate() {
            let first_stride = if stage == 0 { 1 } else { 2 };
            for index in 0..BLOCKS_PER_STAGE {
                let stride = if index == 0 { first_stride } else { 1 };
                blocks.push(BasicBlock::new(in_channels, width, stride, device));
                in_channels = width;
            }
        }

        let classifier = Linear::new(in_channels, classes, device);
        ResNet { activation, stem, stem_bn, blocks, classifier }
    }

    /// Class scores (logits) for a batch of N x 3 x H x W images.
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Tensor {
        let mut h = self.activation.apply(&self.stem_bn.forward(&self.stem.forward(x), mode));
        for block in &self.blocks {
            h = block.forward(&h, self.activation, mode);
        }

        let pooled = h.adaptive_avg_pool2d([1, 1]).flatten(1, -1);
        self.classifier.forward(&pooled)
    }

    /// The parameters in `model.parameters()` order, for the optimizer.
    pub fn parameters(&self) -> Vec<Tensor> {
        let mut params = vec![
            self.stem.weight.shallow_clone(),
            self.stem_bn.weight.shallow_clone(),
            self.stem_bn.bias.shallow_clone(),
        ];
        params.extend(self.blocks.iter().flat_map(BasicBlock::parameters));
        params.push(self.classifier.weight.shallow_clone());
        params.push(self.classifier.bias.shallow_clone());
        params
    }

    /// Every batch norm layer, stem first.
    pub fn batch_norms(&self) -> Vec<&BatchNorm2d> {
        let blocks = self.blocks.iter().flat_map(|b| [&b.bn1, &b.bn2]);
        std::iter::once(&self.stem_bn).chain(blocks).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: i64) -> Tensor {
        Tensor::randn([n, 3, 32, 32], (Kind::Float, Device::Cpu))
    }

    fn running_stats(model: &ResNet) -> Vec<Tensor> {
        let stats =
            model.batch_norms().into_iter().flat_map(|bn| [&bn.running_mean, &bn.running_var]);
        stats.map(Tensor::copy).collect()
    }

    #[test]
    fn a_batch_of_two_gives_ten_scores_each() {
        let _stream = crate::rng::exclusive();
        tch::manual_seed(0);
        let model = ResNet::new(Activation::Gelu, 10, Device::Cpu);
        let x = images(2);

        for mode in [Mode::Train, Mode::Eval] {
            let logits = tch::no_grad(|| model.forward(&x, mode));
            assert_eq!(logits.size(), vec![2, 10], "{mode:?}");
            assert!(bool::try_from(logits.isfinite().all()).unwrap(), "{mode:?}");
        }
    }

    #[test]
    fn it_has_resnet20s_parameter_count() {
        let model = ResNet::new(Activation::Relu, 10, Device::Cpu);
        let params = model.parameters();
        let count: i64 = params.iter().map(Tensor::numel).map(|n| n as i64).sum();

        // 19 convolutions with their batch norms, and the classifier's weight and bias.
        assert_eq!(params.len(), 19 * 3 + 2);
        assert_eq!(count, 269_722);
        assert_eq!(model.batch_norms().len(), 19);
    }

    #[test]
    fn convolution_weights_stay_within_the_kaiming_bound() {
        let _stream = crate::rng::exclusive();
        tch::manual_seed(1);
        let conv = Conv3x3::new(16, 32, 1, Device::Cpu);
        let bound = 1.0 / (16.0f64 * 9.0).sqrt();
        let largest = conv.weight.abs().max().double_value(&[]);
        assert!(largest <= bound && largest > 0.95 * bound, "{largest} against {bound}");
        assert!((kaiming_uniform_bound(144) - bound).abs() < 1e-15);
    }

    #[test]
    fn the_same_seed_gives_both_activations_the_same_weights() {
        let _stream = crate::rng::exclusive();
        tch::manual_seed(5);
        let relu = ResNet::new(Activation::Relu, 10, Device::Cpu);
        tch::manual_seed(5);
        let gelu = ResNet::new(Activation::Gelu, 10, Device::Cpu);
        for (a, b) in relu.parameters().iter().zip(gelu.parameters()) {
            assert!(a.equal(&b));
        }
    }

    #[test]
    fn batch_norm_learns_running_stats_in_training_only() {
        let bn = BatchNorm2d::new(2, Device::Cpu);
        let x = Tensor::from_slice(&[1.0f32, 3.0, 10.0, 30.0]).view([2, 2, 1, 1]);

        let _ = bn.forward(&x, Mode::Eval);
        assert_eq!(Vec::<f32>::try_from(&bn.running_mean).unwrap(), vec![0.0, 0.0]);
        assert_eq!(Vec::<f32>::try_from(&bn.running_var).unwrap(), vec![1.0, 1.0]);

        // Channel 0 sees 1 and 10 (mean 5.5, unbiased variance 40.5), channel 1 sees 3 and 30
        // (mean 16.5, unbiased variance 364.5); each running value moves a tenth of the way.
        let _ = bn.forward(&x, Mode::Train);
        let mean: Vec<f32> = Vec::try_from(&bn.running_mean).unwrap();
        let var: Vec<f32> = Vec::try_from(&bn.running_var).unwrap();
        assert!((mean[0] - 0.55).abs() < 1e-6 && (mean[1] - 1.65).abs() < 1e-6, "{mean:?}");
        assert!((var[0] - 4.95).abs() < 1e-5 && (var[1] - 37.35).abs() < 1e-5, "{var:?}");

        let y = bn.forward(&x, Mode::Eval);
        let expected = (10.0 - 0.55) / (4.95f64 + BN_EPS).sqrt();
        assert!((y.double_value(&[1, 0, 0, 0]) - expected).abs() < 1e-5);
        assert_eq!(Vec::<f32>::try_from(&bn.running_mean).unwrap(), mean);
    }

    #[test]
    fn only_training_mode_moves_the_networks_running_stats() {
        let _stream = crate::rng::exclusive();
        tch::manual_seed(2);
        let model = ResNet::new(Activation::Relu, 10, Device::Cpu);
        let x = images(4);
        let before = running_stats(&model);

        let _ = tch::no_grad(|| model.forward(&x, Mode::Eval));
        let after_eval = running_stats(&model);
        assert!(before.iter().zip(&after_eval).all(|(a, b)| a.equal(b)));

        let _ = tch::no_grad(|| model.forward(&x, Mode::Train));
        let after_train = running_stats(&model);
        assert!(before.iter().zip(&after_train).all(|(a, b)| !a.equal(b)));
    }

    #[test]
    fn the_shortcut_subsamples_and_pads_with_zeros() {
        let x = Tensor::arange(2 * 16 * 4 * 4, (Kind::Float, Device::Cpu)).view([2, 16, 4, 4]);
        let y = downsample(&x, 8);
        assert_eq!(y.size(), vec![2, 32, 2, 2]);

        assert!(y.narrow(1, 8, 16).equal(&x.slice(2, 0, None, 2).slice(3, 0, None, 2)));
        assert_eq!(y.narrow(1, 0, 8).abs().sum(Kind::Float).double_value(&[]), 0.0);
        assert_eq!(y.narrow(1, 24, 8).abs().sum(Kind::Float).double_value(&[]), 0.0);
        assert_eq!(y.double_value(&[1, 8 + 3, 1, 1]), x.double_value(&[1, 3, 2, 2]));
    }
}
