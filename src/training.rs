//! Training with the notebook's tracking (`train_with_tracking` in 6.4).
//!
//! Each epoch records the mean batch loss, the training accuracy and the
//! mean over batches of the gradient's global L2 norm, all in the notebook's
//! float64 arithmetic: Python float sums of `loss.item()`, the norm as the
//! square root of summed squared per-parameter norms, and `np.mean`.

use std::collections::VecDeque;
use std::sync::Mutex;

use tch::{Device, Kind, Reduction, Tensor};

use crate::aten;
use crate::data::DataLoader;
use crate::network::Network;
use crate::optim::{self, Adam, Optimizer};
use crate::progress::Progress;
use crate::results::tensor_values;
use crate::stats::{numpy_mean, py_pow};

/// Per-epoch curves, as the notebook's `history` dict holds them.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub grad_norm: Vec<f64>,
}

impl History {
    /// The comparison table's last column: `np.mean` of the last five epochs.
    pub fn recent_grad_norm(&self) -> f64 {
        let from = self.grad_norm.len().saturating_sub(5);
        numpy_mean(&self.grad_norm[from..])
    }
}

/// `sqrt(sum(p.grad.norm(2).item() ** 2))` over the parameters, in float64.
/// Every parameter must have a gradient.
pub fn global_grad_norm(params: &mut [Tensor]) -> f64 {
    let mut total = 0.0;
    for norm in aten::grad_norms(params) {
        total += py_pow(norm, 2.0);
    }
    py_pow(total, 0.5)
}

/// Sees one model at fixed points of [`train_with_tracking`]. The model is
/// shown read-only: an observer that changed it would change the training.
pub trait Observer: Send {
    /// Once, before the first epoch, on the freshly initialised model.
    fn start(&mut self, _model: &Network) {}

    /// After `loss.backward()`, before the optimizer step: every parameter
    /// holds this batch's gradient and its value before the update.
    fn before_step(&mut self, _model: &Network) {}

    /// Right after the optimizer step.
    fn after_step(&mut self, _model: &Network) {}

    /// After each epoch, with the history so far.
    fn end_epoch(&mut self, _model: &Network, _history: &History) {}
}

/// Watches nothing.
impl Observer for () {}

/// Trains `model` with Adam and cross-entropy for one epoch per entry of
/// `orders` (each a sample order from [`DataLoader::epoch_order`]), showing
/// `observer` the model at its hooks and calling `on_epoch` after each
/// epoch with the history so far.
pub fn train_with_tracking(
    model: &Network,
    loader: &DataLoader,
    orders: &[Tensor],
    lr: f64,
    device: Device,
    observer: &mut dyn Observer,
    mut on_epoch: impl FnMut(&History),
) -> History {
    let mut params = model.parameters();
    let mut optimizer = Adam::new(&mut params, lr);
    let mut history = History::default();
    observer.start(model);

    for order in orders {
        let mut losses = Vec::with_capacity(loader.len());
        let mut outputs = Vec::with_capacity(loader.len());
        let mut targets = Vec::with_capacity(loader.len());
        let mut grad_norms = Vec::with_capacity(loader.len());

        for (x, y) in loader.pass(order, device) {
            optim::zero_grad(&mut params);
            let output = model.forward(&x);
            let loss = output.cross_entropy_loss(&y, None::<Tensor>, Reduction::Mean, -100, 0.0);
            loss.backward();

            grad_norms.push(global_grad_norm(&mut params));
            observer.before_step(model);
            optimizer.step(&mut params);
            observer.after_step(model);

            losses.push(loss);
            outputs.push(output);
            targets.push(y);
        }

        // The notebook reads `loss.item()` and counts correct predictions
        // batch by batch; reading them once per epoch gives the same numbers
        // (float32 losses widen exactly, argmax is row by row) with fewer ops
        // per step and, on a GPU, one synchronisation per epoch.
        let mut epoch_loss = 0.0;
        for loss in tensor_values(&Tensor::stack(&losses, 0)) {
            epoch_loss += loss;
        }
        let (_, predicted) = Tensor::cat(&outputs, 0).max_dim(1, false);
        let targets = Tensor::cat(&targets, 0);
        let correct = predicted.eq_tensor(&targets).sum(Kind::Int64).int64_value(&[]);
        let total = targets.size()[0];

        history.loss.push(epoch_loss / loader.len() as f64);
        history.accuracy.push(100.0 * correct as f64 / total as f64);
        history.grad_norm.push(numpy_mean(&grad_norms));
        observer.end_epoch(model, &history);
        on_epoch(&history);
    }
    history
}

/// One model to train: its network and data, with every epoch's sample
/// order already drawn, so that nothing it does touches the global stream.
pub struct Job {
    pub label: String,
    pub model: Network,
    pub loader: DataLoader,
    pub orders: Vec<Tensor>,
}

/// Trains every job with [`train_with_tracking`], up to `workers` at a time
/// on their own threads, and returns the histories in the jobs' order.
pub fn train_all(
    jobs: Vec<Job>,
    lr: f64,
    device: Device,
    progress: &dyn Progress,
    workers: usize,
) -> Vec<History> {
    let watched = jobs.into_iter().map(|job| (job, ())).collect();
    let trained = train_all_observed(watched, lr, device, progress, workers);
    trained.into_iter().map(|(history, ())| history).collect()
}

/// [`train_all`] with an observer per job, returned with its history.
///
/// The jobs are independent once their draws are made, so training them at
/// once changes no number. With several workers each keeps libtorch to one
/// thread per op: the networks are too small for an op to use two cores
/// well, and whole models in parallel do.
pub fn train_all_observed<O: Observer>(
    jobs: Vec<(Job, O)>,
    lr: f64,
    device: Device,
    progress: &dyn Progress,
    workers: usize,
) -> Vec<(History, O)> {
    let count = jobs.len();
    let workers = workers.clamp(1, count.max(1));
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<VecDeque<_>>());
    let done = Mutex::new((0..count).map(|_| None).collect::<Vec<Option<(History, O)>>>());

    let overall = progress.start("models", count as u64);
    let work = || {
        if workers > 1 {
            tch::set_num_threads(1);
        }
        while let Some((index, (job, mut observer))) = next_job(&queue) {
            let task = progress.start(&job.label, job.orders.len() as u64);
            let history = train_with_tracking(
                &job.model,
                &job.loader,
                &job.orders,
                lr,
                device,
                &mut observer,
                |h| task.advance(&format!("loss {:.4}", h.loss[h.loss.len() - 1])),
            );
            task.finish();
            overall.advance(&format!("{} done", job.label));
            done.lock().expect("no worker panicked holding the lock")[index] =
                Some((history, observer));
        }
    };

    if workers == 1 {
        work();
    } else {
        let threads = tch::get_num_threads();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
        tch::set_num_threads(threads);
    }
    overall.finish();

    let done = done.into_inner().expect("no worker panicked holding the lock");
    done.into_iter().map(|entry| entry.expect("every job was trained")).collect()
}

fn next_job<T>(queue: &Mutex<VecDeque<T>>) -> Option<T> {
    queue.lock().expect("no worker panicked holding the lock").pop_front()
}
