//! The random stream, drawn as PyTorch draws it.
//!
//! Everything random in the notebook comes from PyTorch's global CPU
//! generator, seeded once at the top and twice more inside the dead-ReLU
//! demo. tch's tensor constructors draw from that same generator, so
//! calling them in the notebook's order reproduces its numbers; this module
//! holds the few draws that are not plain tensor constructors.

use tch::{Kind, Tensor};

use crate::aten;

/// `torch.manual_seed(seed)`: seeds the global CPU (and CUDA) generators.
pub fn manual_seed(seed: i64) {
    tch::manual_seed(seed);
}

/// One draw of `torch.empty((), dtype=torch.int64).random_()` from the
/// global generator: how the data loader takes its per-epoch seeds.
pub fn draw_int64() -> i64 {
    let mut cell = Tensor::empty([], (Kind::Int64, tch::Device::Cpu));
    let _ = cell.random_();
    cell.int64_value(&[])
}

/// `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`.
pub fn randperm_seeded(n: i64, seed: i64) -> Tensor {
    // PyTorch hands the Python int to the generator as an unsigned 64-bit
    // seed; the draws above are never negative, so the cast is exact.
    aten::randperm(n, seed as u64)
}

/// Serialises the tests that seed the global generator and expect its
/// stream to repeat: tests run on several threads, and the generator is one
/// per process.
#[cfg(test)]
pub(crate) fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static STREAM: std::sync::Mutex<()> = std::sync::Mutex::new(());
    STREAM.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reseeding_repeats_the_stream() {
        let _stream = crate::rng::exclusive();
        manual_seed(7);
        let first = (draw_int64(), draw_int64());
        manual_seed(7);
        assert_eq!(first, (draw_int64(), draw_int64()));
        assert_ne!(first.0, first.1);
    }

    #[test]
    fn seeded_permutation_is_a_permutation_and_repeatable() {
        let order = randperm_seeded(100, 12345);
        let again = randperm_seeded(100, 12345);
        assert!(order.equal(&again));

        let sorted: Vec<i64> = Vec::try_from(order.sort(0, false).0).unwrap();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }
}
