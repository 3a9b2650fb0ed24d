//! The notebook's data: its synthetic classification set and the shuffling
//! `DataLoader(dataset, batch_size=64, shuffle=True)` that feeds it.
//!
//! Each pass over a shuffled `DataLoader` starts with two draws from the
//! global generator: the iterator's base seed (used only by worker
//! processes, but drawn regardless), then the sampler's seed, which seeds a
//! private generator for one `randperm`. [`DataLoader::epoch_order`] makes
//! those same draws, so the batches arrive in the notebook's order and the
//! global stream moves on exactly as it does in PyTorch.

use tch::{Device, Kind, Tensor};

use crate::rng;

/// `create_dataset(n_samples)`: `randn(n, 20)` labelled 1 where the squares
/// of the first five features sum past 5 and the next five sum past 0.
pub fn create_dataset(n_samples: i64) -> (Tensor, Tensor) {
    let x = Tensor::randn([n_samples, 20], (Kind::Float, Device::Cpu));

    let energy = x.narrow(1, 0, 5).pow_tensor_scalar(2).sum_dim_intlist(1, false, None);
    let direction = x.narrow(1, 5, 5).sum_dim_intlist(1, false, None);
    let y = energy.gt(5).logical_and(&direction.gt(0)).to_kind(Kind::Int64);
    (x, y)
}

pub struct DataLoader {
    pub x: Tensor,
    pub y: Tensor,
    pub batch_size: i64,
}

impl DataLoader {
    pub fn new(x: Tensor, y: Tensor, batch_size: i64) -> DataLoader {
        DataLoader { x, y, batch_size }
    }

    /// Another loader over the same tensors (no copy), for another thread.
    pub fn share(&self) -> DataLoader {
        DataLoader::new(self.x.shallow_clone(), self.y.shallow_clone(), self.batch_size)
    }

    pub fn samples(&self) -> i64 {
        self.x.size()[0]
    }

    /// `len(dataloader)`: batches per epoch, the last one possibly short.
    pub fn len(&self) -> usize {
        let n = self.samples();
        ((n + self.batch_size - 1) / self.batch_size) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.samples() == 0
    }

    /// Begins a pass, as `iter(dataloader)` and its first batch do: draws
    /// the base seed and the sampler seed, and returns the sample order.
    pub fn epoch_order(&self) -> Tensor {
        let _base_seed = rng::draw_int64();
        let sampler_seed = rng::draw_int64();
        rng::randperm_seeded(self.samples(), sampler_seed)
    }

    /// The batches of one pass in `order`, on `device`, gathered in one go:
    /// the shuffled data is copied once and each batch is a view of it,
    /// holding exactly the rows (and, batches being 64 rows of 20 floats,
    /// the same 64-byte alignment) that a batch-by-batch gather gives.
    pub fn pass(&self, order: &Tensor, device: Device) -> impl Iterator<Item = (Tensor, Tensor)> {
        let n = self.samples();
        let x = self.x.index_select(0, order).to_device(device);
        let y = self.y.index_select(0, order).to_device(device);
        let batch_size = self.batch_size;
        (0..n).step_by(batch_size as usize).map(move |start| {
            let len = batch_size.min(n - start);
            (x.narrow(0, start, len), y.narrow(0, start, len))
        })
    }

    /// The batches of one pass in `order`, moved to `device` one at a time.
    pub fn batches<'a>(
        &'a self,
        order: &'a Tensor,
        device: Device,
    ) -> impl Iterator<Item = (Tensor, Tensor)> + 'a {
        let n = self.samples();
        (0..n).step_by(self.batch_size as usize).map(move |start| {
            let len = self.batch_size.min(n - start);
            let index = order.narrow(0, start, len);
            let x = self.x.index_select(0, &index).to_device(device);
            let y = self.y.index_select(0, &index).to_device(device);
            (x, y)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_sample_once_with_a_short_last_batch() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(0);
        let (x, y) = create_dataset(150);
        let loader = DataLoader::new(x, y, 64);
        assert_eq!(loader.len(), 3);

        let order = loader.epoch_order();
        let sizes: Vec<i64> =
            loader.batches(&order, Device::Cpu).map(|(x, _)| x.size()[0]).collect();
        assert_eq!(sizes, vec![64, 64, 22]);

        let rows: Vec<Tensor> = loader.batches(&order, Device::Cpu).map(|(x, _)| x).collect();
        let seen = Tensor::cat(&rows, 0);
        let sum_seen = f64::try_from(seen.sum(Kind::Double)).unwrap();
        let sum_all = f64::try_from(loader.x.sum(Kind::Double)).unwrap();
        assert!((sum_seen - sum_all).abs() < 1e-9);
    }

    #[test]
    fn a_gathered_pass_holds_the_same_batches() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(1);
        let (x, y) = create_dataset(150);
        let loader = DataLoader::new(x, y, 64);
        let order = loader.epoch_order();

        let one_by_one = loader.batches(&order, Device::Cpu);
        for ((xa, ya), (xb, yb)) in one_by_one.zip(loader.pass(&order, Device::Cpu)) {
            assert!(xa.equal(&xb) && ya.equal(&yb));
        }
        assert_eq!(loader.pass(&order, Device::Cpu).count(), 3);
    }

    #[test]
    fn each_pass_draws_a_new_order() {
        let _stream = crate::rng::exclusive();
        rng::manual_seed(0);
        let (x, y) = create_dataset(100);
        let loader = DataLoader::new(x, y, 64);
        assert!(!loader.epoch_order().equal(&loader.epoch_order()));
    }
}
