//! Instruments for watching a network while it trains: the measurements the
//! notebook's "Experiment Tips" recommend (gradient norms, dead neurons,
//! activation distributions) but never takes.
//!
//! The training loop itself is [`crate::training::train_with_tracking`],
//! which shows an [`Observer`] the model before training, around every
//! optimizer step and after every epoch; observers only read the model
//! under `no_grad`, so a watched run computes exactly the numbers an
//! unwatched one does.
//!
//! This module holds the statistics the observers take: the hidden layers'
//! outputs over a whole dataset, the share of dead units, the share of
//! saturated outputs, per-layer gradient norms and the size of an update
//! relative to the weights it changed.

use tch::{Device, Kind, Reduction, Tensor};

use crate::activation::Activation;
use crate::aten;
use crate::context::Context;
use crate::data::DataLoader;
use crate::network::{Linear, Network};
use crate::plot::{Figure, Panel};
use crate::sections::comparison;
use crate::stats::py_pow;
pub use crate::training::{train_all_observed, Observer};
use crate::training::{History, Job};

/// Panels of one per-activation figure, three to a row, each 550 by 420
/// pixels under the title.
pub fn activation_grid(title: &str, panels: Vec<Panel>) -> Figure {
    let cols = panels.len().clamp(1, 3);
    let rows = panels.len().div_ceil(cols).max(1);
    Figure {
        title: title.into(),
        rows,
        cols,
        width: 550 * cols as u32,
        height: 80 + 420 * rows as u32,
        panels,
    }
}

/// The epochs an exercise trains: `--epochs`, or its own default.
pub fn epochs(ctx: &Context, default: usize) -> usize {
    ctx.options.epochs.unwrap_or(default)
}

/// The sample orders of `epochs` passes over `loader`, drawn now.
pub fn draw_orders(loader: &DataLoader, epochs: usize) -> Vec<Tensor> {
    (0..epochs).map(|_| loader.epoch_order()).collect()
}

/// One 6.4 model per activation, each drawn with its `epochs` shuffles in
/// the notebook's order (a model's initialisation, then its shuffles), so
/// that nothing later touches the random stream.
pub fn comparison_jobs(
    ctx: &Context,
    activations: &[Activation],
    loader: &DataLoader,
    epochs: usize,
) -> Vec<Job> {
    activations
        .iter()
        .map(|&activation| Job {
            label: activation.key().to_owned(),
            model: comparison::flexible_mlp(ctx.scale.hidden, activation, ctx),
            orders: draw_orders(loader, epochs),
            loader: loader.share(),
        })
        .collect()
}

/// A network with `model`'s architecture and a copy of its current
/// weights, but `activation` between its layers: the notebook's way (in
/// 6.3) of starting two activations from the same initialisation, without
/// a second draw from the random stream.
pub fn with_activation(model: &Network, activation: Activation) -> Network {
    let copy = |t: &Tensor| t.detach().copy().set_requires_grad(true);
    let layers = model
        .layers
        .iter()
        .map(|layer| Linear { weight: copy(&layer.weight), bias: copy(&layer.bias) })
        .collect();
    Network { layers, activation: Some(activation) }
}

/// One line saying what an exercise trains, for its output.
pub fn describe_training(ctx: &Context, activations: &[Activation], epochs: usize, lr: f64) {
    let h = ctx.scale.hidden;
    let keys: Vec<&str> = activations.iter().map(|a| a.key()).collect();
    ctx.say(format!(
        "Training FlexibleMLP 20-{h}-{h}-{h}-2 on create_dataset({}) with Adam lr {lr}, batches \
         of {}, {}, for {}",
        ctx.scale.samples,
        comparison::BATCH_SIZE,
        epoch_count(epochs),
        keys.join(", ")
    ));
}

/// "1 epoch", "10 epochs".
pub fn epoch_count(epochs: usize) -> String {
    format!("{epochs} epoch{}", if epochs == 1 { "" } else { "s" })
}

/// The name FlexibleMLP gives linear layer `index`: fc1, fc2, ...
pub fn layer_name(index: usize) -> String {
    format!("fc{}", index + 1)
}

/// The post-activation output of every hidden layer for the inputs `x`, in
/// one forward pass under `no_grad`; entry `i` is what
/// [`Network::hidden`]`(x, i)` gives.
pub fn hidden_outputs(model: &Network, x: &Tensor) -> Vec<Tensor> {
    tch::no_grad(|| {
        let hidden = &model.layers[..model.layers.len() - 1];
        let mut outputs: Vec<Tensor> = Vec::with_capacity(hidden.len());
        for layer in hidden {
            let input = outputs.last().unwrap_or(x);
            let pre = layer.forward(input);
            outputs.push(match model.activation {
                Some(activation) => activation.apply(&pre),
                None => pre,
            });
        }
        outputs
    })
}

/// The percentage of units (columns of `outputs`, one row per sample) that
/// are dead: exactly 0 for every sample, the test of section 6.3.
pub fn dead_percent(outputs: &Tensor) -> f64 {
    let units = outputs.size()[1];
    let dead = outputs.abs().sum_dim_intlist(0, false, None).eq(0).sum(Kind::Int64);
    100.0 * dead.int64_value(&[]) as f64 / units as f64
}

/// Where an activation saturates: outputs with |y| > 0.99 for tanh, y < 0.01
/// or y > 0.99 for sigmoid. There the slope is below 0.02 (tanh) or 0.01
/// (sigmoid), so gradients through those units nearly vanish.
pub const SATURATION: f64 = 0.99;

/// The fraction (0 to 1) of `outputs` in the saturated range of
/// `activation`, for the two activations that saturate; `None` otherwise.
pub fn saturated_fraction(activation: Activation, outputs: &Tensor) -> Option<f64> {
    let saturated = match activation {
        Activation::Tanh => outputs.abs().gt(SATURATION),
        Activation::Sigmoid => outputs.lt(1.0 - SATURATION).logical_or(&outputs.gt(SATURATION)),
        _ => return None,
    };
    let count = saturated.sum(Kind::Int64).int64_value(&[]);
    Some(count as f64 / outputs.numel() as f64)
}

/// The mean and (unbiased, as `torch.std`) standard deviation of all values
/// of `outputs`, computed in float64.
pub fn mean_and_std(outputs: &Tensor) -> (f64, f64) {
    let values = outputs.to_kind(Kind::Double);
    (values.mean(Kind::Double).double_value(&[]), values.std(true).double_value(&[]))
}

/// The L2 norm of a layer's whole gradient, weight and bias together, in the
/// notebook's float64 arithmetic: the squares of these norms over all layers
/// add up to the square of [`global_grad_norm`].
pub fn layer_grad_norm(layer: &Linear) -> f64 {
    let mut total = 0.0;
    for param in [&layer.weight, &layer.bias] {
        let grad = param.grad();
        if grad.defined() {
            total += py_pow(aten::vector_norm(&grad, 2.0), 2.0);
        }
    }
    py_pow(total, 0.5)
}

/// `||after - before|| / ||before||`: how far one step moved a weight,
/// relative to its size. Around 1e-3 per step is the usual healthy range;
/// much larger is a learning rate that is too high.
pub fn update_ratio(before: &Tensor, after: &Tensor) -> f64 {
    let change = tch::no_grad(|| after - before);
    aten::vector_norm(&change, 2.0) / aten::vector_norm(before, 2.0)
}

/// Accuracy (%) and mean cross-entropy loss of `model` on all of `x`, `y` at
/// once, under `no_grad`. The networks have no dropout or batch norm, so
/// PyTorch's `model.eval()` would change nothing.
pub fn evaluate(model: &Network, x: &Tensor, y: &Tensor) -> (f64, f64) {
    tch::no_grad(|| {
        let output = model.forward(x);
        let loss = output.cross_entropy_loss(y, None::<Tensor>, Reduction::Mean, -100, 0.0);
        let (_, predicted) = output.max_dim(1, false);
        let correct = predicted.eq_tensor(y).sum(Kind::Int64).int64_value(&[]);
        (100.0 * correct as f64 / y.size()[0] as f64, loss.double_value(&[]))
    })
}

/// Measures accuracy and loss on a held-out set after every epoch.
pub struct HeldOut {
    x: Tensor,
    y: Tensor,
    pub accuracy: Vec<f64>,
    pub loss: Vec<f64>,
}

impl HeldOut {
    pub fn new(x: &Tensor, y: &Tensor, device: Device) -> HeldOut {
        HeldOut {
            x: x.to_device(device),
            y: y.to_device(device),
            accuracy: Vec::new(),
            loss: Vec::new(),
        }
    }
}

impl Observer for HeldOut {
    fn end_epoch(&mut self, model: &Network, _history: &History) {
        let (accuracy, loss) = evaluate(model, &self.x, &self.y);
        self.accuracy.push(accuracy);
        self.loss.push(loss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::create_dataset;
    use crate::rng;
    use crate::training::{global_grad_norm, train_with_tracking};

    fn small_model(activation: Activation) -> Network {
        Network::new(&[20, 16, 16, 2], Some(activation), Device::Cpu)
    }

    #[test]
    fn a_watched_run_computes_what_an_unwatched_one_does() {
        let _stream = crate::rng::exclusive();
        // Tests share the global generator, so both runs take their draws
        // from this one set-up rather than from a re-seeded stream.
        rng::manual_seed(3);
        let (x, y) = create_dataset(200);
        let loader = DataLoader::new(x, y, 64);
        let plain = small_model(Activation::Gelu);
        let watched = with_activation(&plain, Activation::Gelu);
        let orders = draw_orders(&loader, 2);

        let expected =
            train_with_tracking(&plain, &loader, &orders, 1e-3, Device::Cpu, &mut (), |_| {});
        let mut observer = HeldOut::new(&loader.x, &loader.y, Device::Cpu);
        let got = train_with_tracking(
            &watched,
            &loader,
            &orders,
            1e-3,
            Device::Cpu,
            &mut observer,
            |_| {},
        );

        assert_eq!(got.loss, expected.loss);
        assert_eq!(got.accuracy, expected.accuracy);
        assert_eq!(got.grad_norm, expected.grad_norm);
        assert_eq!(observer.accuracy.len(), 2);
        for (a, b) in plain.parameters().iter().zip(watched.parameters()) {
            assert!(a.equal(&b), "the parameters ended up different");
        }
    }

    #[test]
    fn a_copy_starts_from_the_same_weights_and_trains_apart() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(4);
        let relu = small_model(Activation::Relu);
        let leaky = with_activation(&relu, Activation::LeakyRelu);
        assert_eq!(leaky.activation, Some(Activation::LeakyRelu));
        for (a, b) in relu.parameters().iter().zip(leaky.parameters()) {
            assert!(a.equal(&b));
        }

        let _ = tch::no_grad(|| leaky.layers[0].bias.shallow_clone().fill_(7.0));
        assert!(!relu.layers[0].bias.equal(&leaky.layers[0].bias), "the copy shares storage");
    }

    #[test]
    fn hidden_outputs_are_each_layers_post_activation() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(0);
        let model = small_model(Activation::Tanh);
        let x = Tensor::randn([5, 20], (Kind::Float, Device::Cpu));
        let outputs = hidden_outputs(&model, &x);
        assert_eq!(outputs.len(), 2);
        for (i, output) in outputs.iter().enumerate() {
            assert!(output.equal(&model.hidden(&x, i)), "layer {i}");
        }
    }

    #[test]
    fn a_unit_is_dead_only_when_zero_for_every_sample() {
        // Unit 0 is zero throughout, unit 1 once, unit 2 never, unit 3 is
        // negative (alive under Leaky ReLU), so one dead unit in four.
        let outputs =
            Tensor::from_slice(&[0.0f32, 0.0, 1.0, -0.1, 0.0, 2.0, 3.0, -0.2]).reshape([2, 4]);
        assert_eq!(dead_percent(&outputs), 25.0);
        assert_eq!(dead_percent(&Tensor::zeros([3, 8], (Kind::Float, Device::Cpu))), 100.0);
    }

    #[test]
    fn saturation_counts_only_the_flat_ends() {
        let tanh = Tensor::from_slice(&[0.995f32, -0.999, 0.5, -0.98, 0.0]);
        assert_eq!(saturated_fraction(Activation::Tanh, &tanh), Some(0.4));

        let sigmoid = Tensor::from_slice(&[0.005f32, 0.995, 0.5, 0.02]);
        assert_eq!(saturated_fraction(Activation::Sigmoid, &sigmoid), Some(0.5));
        assert_eq!(saturated_fraction(Activation::Relu, &sigmoid), None);
    }

    #[test]
    fn mean_and_std_are_over_every_value() {
        let outputs = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
        let (mean, std) = mean_and_std(&outputs);
        assert_eq!(mean, 2.5);
        assert!((std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn update_ratio_is_relative_to_the_old_weights() {
        let before = Tensor::from_slice(&[3.0f32, 4.0]);
        let after = Tensor::from_slice(&[3.0f32, 4.5]);
        assert_eq!(update_ratio(&before, &after), 0.1);
        assert_eq!(update_ratio(&before, &before), 0.0);
    }

    #[test]
    fn layer_gradient_norms_add_up_to_the_global_norm() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(1);
        let model = small_model(Activation::Relu);
        let x = Tensor::randn([8, 20], (Kind::Float, Device::Cpu));
        model.forward(&x).pow_tensor_scalar(2).sum(Kind::Float).backward();

        let squares: f64 = model.layers.iter().map(|l| layer_grad_norm(l).powi(2)).sum();
        let global = global_grad_norm(&mut model.parameters());
        assert!(global > 0.0);
        assert!((squares.sqrt() - global).abs() <= 1e-12 * global, "{squares} vs {global}");
    }

    #[test]
    fn evaluation_scores_a_perfect_and_a_wrong_model() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(2);
        let model = small_model(Activation::Relu);
        let x = Tensor::randn([50, 20], (Kind::Float, Device::Cpu));
        let predicted = tch::no_grad(|| model.forward(&x).argmax(1, false));
        let (right, _) = evaluate(&model, &x, &predicted);
        let (wrong, _) = evaluate(&model, &x, &(1 - &predicted));
        assert_eq!((right, wrong), (100.0, 0.0));
    }
}
