//! Exercise 2, comparing activations on CIFAR-10: ReLU against GELU in a ResNet.
//!
//! Two [`ResNet`]-20s, identical but for the activation, are trained on CIFAR-10 read from
//! `--data` (see [`crate::cifar`]). Both start from the same seed, so they begin with the same
//! weights and see the batches in the same order, and any difference in their curves is the
//! activation's. The pair is fixed: `--activations` defaults to section 6.4's six, and training
//! six ResNets would triple the cost of an exercise that already takes hours on a CPU.
//!
//! Training is the standard ResNet recipe without data augmentation (which would help both
//! networks alike over far more epochs than this runs): SGD with momentum 0.9, weight decay 5e-4
//! and learning rate 0.1 falling along a cosine over the run, cross-entropy, shuffled batches of
//! 128 drawn as the notebook's `DataLoader` draws them. After every epoch the test images are
//! scored in evaluation mode without gradients. `--epochs` (default 5) sets the run's length and
//! `--limit N` trains on the first N training images and tests on at most N test images.
//!
//! Writes `DIR/cifar10/cifar10.png`, the four curves for both networks, and records them per
//! epoch as `cifar10/<activation>/{train_loss,train_accuracy,test_loss,test_accuracy}`.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::{Device, Kind, Reduction, Tensor};

use crate::activation::Activation;
use crate::cifar::{self, Cifar10, Split, CLASSES};
use crate::context::Context;
use crate::data::DataLoader;
use crate::momentum::{cosine_lrs, MomentumSgd};
use crate::optim::{self, Optimizer};
use crate::plot::{self, Figure, Line, Panel};
use crate::progress::Task;
use crate::resnet::{Mode, ResNet};
use crate::results::Results;

pub const ID: &str = "cifar10";
pub const TITLE: &str = "Compare activations on CIFAR-10: ReLU vs GELU on ResNet-20";

pub const ACTIVATIONS: [Activation; 2] = [Activation::Relu, Activation::Gelu];
pub const EPOCHS: usize = 5;
pub const BATCH_SIZE: i64 = 128;
pub const LR: f64 = 0.1;
pub const MOMENTUM: f64 = 0.9;
pub const WEIGHT_DECAY: f64 = 5e-4;
/// Scoring needs no gradients, so it takes bigger batches.
const EVAL_BATCH_SIZE: i64 = 500;

/// One network's curves, one value per epoch; losses are per image, accuracies in percent.
#[derive(Clone, Debug, Default)]
pub struct Curves {
    pub train_loss: Vec<f64>,
    pub train_accuracy: Vec<f64>,
    pub test_loss: Vec<f64>,
    pub test_accuracy: Vec<f64>,
    /// Wall-clock seconds of each epoch's training pass.
    pub seconds: Vec<f64>,
}

impl Curves {
    /// The curves by name, as the results file and the figure list them.
    fn named(&self) -> [(&'static str, &[f64]); 4] {
        [
            ("train_loss", &self.train_loss),
            ("train_accuracy", &self.train_accuracy),
            ("test_loss", &self.test_loss),
            ("test_accuracy", &self.test_accuracy),
        ]
    }
}

pub fn run(ctx: &Context) -> Result<Results> {
    let folder = cifar::data_dir(ctx.options.data.as_deref())?;
    let data = cifar::load(folder, ctx.options.limit)?;
    let epochs = ctx.options.epochs.unwrap_or(EPOCHS);
    ctx.say(format!(
        "CIFAR-10 from {}: {} training and {} test images, {} classes ({} ... {})",
        folder.display(),
        data.train.len(),
        data.test.len(),
        CLASSES.len(),
        CLASSES[0],
        CLASSES[CLASSES.len() - 1]
    ));
    ctx.say(format!(
        "ResNet-20, {epochs} epochs of SGD (lr {LR}, cosine; momentum {MOMENTUM}, weight decay \
         {WEIGHT_DECAY}), batches of {BATCH_SIZE}, on {}",
        ctx.device_name()
    ));

    let mut trained = Vec::new();
    for activation in ACTIVATIONS {
        // Reseeding gives every network the same initial weights and batch order.
        crate::rng::manual_seed(ctx.seed);
        let curves = train(ctx, activation, &data, epochs);
        trained.push((activation, curves));
    }

    let dir = ctx.item_dir(ID)?;
    let path = dir.join("cifar10.png");
    ctx.draw(&figure(&trained), &path)?;

    let mut results = ctx.results(ID);
    for (activation, curves) in &trained {
        for (name, values) in curves.named() {
            results.series(&format!("cifar10/{}/{name}", activation.key()), values);
        }
    }
    results.insert("setup", setup(&data, epochs));
    summarize(ctx, &trained, &mut results);
    Ok(results)
}

/// Trains one network for `epochs`, scoring it on the test images after each.
fn train(ctx: &Context, activation: Activation, data: &Cifar10, epochs: usize) -> Curves {
    let model = ResNet::new(activation, CLASSES.len() as i64, ctx.device);
    let params = model.parameters();
    let optimizer = MomentumSgd::new(LR, MOMENTUM, WEIGHT_DECAY);
    let mut trainee = Trainee { model, params, optimizer, device: ctx.device };
    let train_loader = loader(&data.train, BATCH_SIZE);
    let test_loader = loader(&data.test, EVAL_BATCH_SIZE);
    let test_order = Tensor::arange(test_loader.samples(), (Kind::Int64, Device::Cpu));

    let label = format!("{ID} {}", activation.key());
    let task = ctx.progress.start(&label, (epochs * train_loader.len()) as u64);
    let mut curves = Curves::default();
    for (epoch, lr) in cosine_lrs(LR, epochs).into_iter().enumerate() {
        trainee.optimizer.lr = lr;
        let message = format!("epoch {}/{epochs}", epoch + 1);
        let started = Instant::now();
        let order = train_loader.epoch_order();
        let (loss, accuracy) = trainee.train_epoch(&train_loader, &order, task.as_ref(), &message);
        curves.seconds.push(started.elapsed().as_secs_f64());
        curves.train_loss.push(loss);
        curves.train_accuracy.push(accuracy);

        let (loss, accuracy) = trainee.evaluate(&test_loader, &test_order);
        curves.test_loss.push(loss);
        curves.test_accuracy.push(accuracy);
        ctx.say(epoch_line(activation, epoch + 1, epochs, &curves));
    }
    task.finish();
    curves
}

/// A split's byte images and labels in batches; each batch is normalised once it is on the
/// device.
fn loader(split: &Split, batch_size: i64) -> DataLoader {
    DataLoader::new(split.images.shallow_clone(), split.labels.shallow_clone(), batch_size)
}

/// One network in training, with what its steps need.
struct Trainee {
    model: ResNet,
    params: Vec<Tensor>,
    optimizer: MomentumSgd,
    device: Device,
}

impl Trainee {
    /// One pass over `loader` in `order`, in training mode; returns the mean loss per image and
    /// the accuracy in percent, as the network scored each batch before its step.
    fn train_epoch(
        &mut self,
        loader: &DataLoader,
        order: &Tensor,
        task: &dyn Task,
        message: &str,
    ) -> (f64, f64) {
        let mut tally = Tally::new(self.device);
        for (images, labels) in loader.batches(order, self.device) {
            optim::zero_grad(&mut self.params);
            let logits = self.model.forward(&cifar::normalise(&images), Mode::Train);
            let loss =
                logits.cross_entropy_loss(&labels, None::<Tensor>, Reduction::Mean, -100, 0.0);
            loss.backward();
            self.optimizer.step(&mut self.params);

            let batch = labels.size()[0] as f64;
            tally.add(&(loss.detach().to_kind(Kind::Double) * batch), &logits, &labels);
            task.advance(message);
        }
        tally.totals(loader.samples())
    }

    /// The mean loss per image and the accuracy in percent over `loader`, in evaluation mode
    /// and without gradients.
    fn evaluate(&self, loader: &DataLoader, order: &Tensor) -> (f64, f64) {
        tch::no_grad(|| {
            let mut tally = Tally::new(self.device);
            for (images, labels) in loader.batches(order, self.device) {
                let logits = self.model.forward(&cifar::normalise(&images), Mode::Eval);
                let loss =
                    logits.cross_entropy_loss(&labels, None::<Tensor>, Reduction::Sum, -100, 0.0);
                tally.add(&loss.to_kind(Kind::Double), &logits, &labels);
            }
            tally.totals(loader.samples())
        })
    }
}

/// Summed loss and correct answers, kept on the device so that a GPU never waits for a number
/// to be read back until the epoch ends.
struct Tally {
    loss: Tensor,
    correct: Tensor,
}

impl Tally {
    fn new(device: Device) -> Tally {
        Tally {
            loss: Tensor::zeros([], (Kind::Double, device)),
            correct: Tensor::zeros([], (Kind::Int64, device)),
        }
    }

    fn add(&mut self, summed_loss: &Tensor, logits: &Tensor, labels: &Tensor) {
        self.loss += summed_loss;
        self.correct += logits.detach().argmax(1, false).eq_tensor(labels).sum(Kind::Int64);
    }

    fn totals(&self, samples: i64) -> (f64, f64) {
        let samples = samples as f64;
        let loss = self.loss.double_value(&[]) / samples;
        let accuracy = 100.0 * self.correct.int64_value(&[]) as f64 / samples;
        (loss, accuracy)
    }
}

fn epoch_line(activation: Activation, epoch: usize, epochs: usize, curves: &Curves) -> String {
    let last = |values: &[f64]| values[values.len() - 1];
    format!(
        "{:<6} epoch {epoch:>3}/{epochs:<3} train loss {:.4} acc {:6.2}%  test loss {:.4} acc \
         {:6.2}%  {:7.1} s",
        activation.label(),
        last(&curves.train_loss),
        last(&curves.train_accuracy),
        last(&curves.test_loss),
        last(&curves.test_accuracy),
        last(&curves.seconds)
    )
}

/// How the run was set up, for the results file.
fn setup(data: &Cifar10, epochs: usize) -> serde_json::Value {
    json!({
        "network": "ResNet-20, option A shortcuts",
        "train_images": data.train.len(),
        "test_images": data.test.len(),
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "optimizer": "SGD",
        "lr": LR,
        "lr_schedule": "cosine",
        "momentum": MOMENTUM,
        "weight_decay": WEIGHT_DECAY,
        "normalise_mean": cifar::MEAN,
        "normalise_std": cifar::STD,
    })
}

/// Prints the final table and the gap between the activations, and records them.
fn summarize(ctx: &Context, trained: &[(Activation, Curves)], results: &mut Results) {
    let rule = "-".repeat(78);
    ctx.say("Final performance on CIFAR-10");
    ctx.say(rule.clone());
    ctx.say(format!(
        "{:<11} {:>10} {:>13} {:>10} {:>13} {:>8} {:>8}",
        "Activation",
        "Train Loss",
        "Train Acc (%)",
        "Test Loss",
        "Test Acc (%)",
        "Best (%)",
        "s/epoch"
    ));
    ctx.say(rule.clone());

    let mut rows = Vec::new();
    for (activation, curves) in trained {
        let last = |values: &[f64]| values[values.len() - 1];
        let best = curves.test_accuracy.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let per_epoch = curves.seconds.iter().sum::<f64>() / curves.seconds.len() as f64;
        ctx.say(format!(
            "{:<11} {:>10.4} {:>13.2} {:>10.4} {:>13.2} {:>8.2} {:>8.1}",
            activation.label(),
            last(&curves.train_loss),
            last(&curves.train_accuracy),
            last(&curves.test_loss),
            last(&curves.test_accuracy),
            best,
            per_epoch
        ));
        rows.push(json!({
            "activation": activation.key(),
            "final_train_loss": last(&curves.train_loss),
            "final_train_accuracy": last(&curves.train_accuracy),
            "final_test_loss": last(&curves.test_loss),
            "final_test_accuracy": last(&curves.test_accuracy),
            "best_test_accuracy": best,
            "seconds_per_epoch": per_epoch,
        }));
    }
    ctx.say(rule);

    let [(first, a), (second, b)] = trained else {
        unreachable!("the exercise trains exactly two networks")
    };
    let gap =
        b.test_accuracy[b.test_accuracy.len() - 1] - a.test_accuracy[a.test_accuracy.len() - 1];
    ctx.say(format!(
        "{} - {} final test accuracy: {gap:+.2} points",
        second.label(),
        first.label()
    ));
    results.insert("summary", json!(rows));
}

/// The four curves of both networks against the epoch, counted from 1.
fn figure(trained: &[(Activation, Curves)]) -> Figure {
    let titles = [
        ("Training Loss", "Loss"),
        ("Training Accuracy", "Accuracy (%)"),
        ("Test Loss", "Loss"),
        ("Test Accuracy", "Accuracy (%)"),
    ];

    let mut figure = Figure::new("ReLU vs GELU on CIFAR-10 (ResNet-20)", (2, 2), (1400, 1000));
    for (index, (title, y_label)) in titles.into_iter().enumerate() {
        let mut panel = Panel::new(title, "Epoch", y_label).with_legend();
        for (color, (activation, curves)) in trained.iter().enumerate() {
            let ys = curves.named()[index].1;
            let xs: Vec<f64> = (1..=ys.len()).map(|e| e as f64).collect();
            panel = panel.with_line(Line::new(activation.label(), plot::cycle(color), xs, ys));
        }
        figure = figure.with_panel(panel);
    }
    figure
}
