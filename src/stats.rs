//! The notebook's arithmetic outside tensors, reproduced to the last bit.
//!
//! The notebook averages per-batch gradient norms with `np.mean`, which sums
//! a float64 array pairwise rather than left to right; a plain running sum
//! rounds differently. Its other bookkeeping (epoch loss, accuracy, the
//! gradient norm itself) is ordinary left-to-right float64 arithmetic, with
//! Python's `**` going through the C library's `pow` ([`py_pow`]).

/// Python's float `x ** y`: CPython calls the C library's `pow`, whose
/// result is within about half an ulp but not always correctly rounded, so
/// `pow(x, 0.5)` can differ from `sqrt(x)` and `pow(x, 2.0)` from `x * x`.
/// The exponent is hidden from the optimizer, which would otherwise make
/// exactly those substitutions for a constant 0.5 or 2.
pub fn py_pow(x: f64, y: f64) -> f64 {
    x.powf(std::hint::black_box(y))
}

/// `np.mean` of a float64 list: numpy's pairwise sum, divided by the length.
pub fn numpy_mean(values: &[f64]) -> f64 {
    pairwise_sum(values) / values.len() as f64
}

/// numpy's `pairwise_sum` for doubles: below 8 elements a plain loop; up to
/// 128, eight interleaved running sums combined as a tree, then the tail one
/// by one; above that, split in halves (the first a multiple of 8) and recurse.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();

    if n < 8 {
        // numpy starts this loop from -0.0 so that a sum of negative zeros
        // stays negative.
        return a.iter().fold(-0.0, |sum, &v| sum + v);
    }

    if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[full..] {
            sum += v;
        }
        return sum;
    }

    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_differs_from_running_sum_where_numpy_does() {
        // 1e16 swallows the 1.0s in a running sum; the pairwise tree adds the
        // small values among themselves first.
        let mut values = vec![1.0; 16];
        values[0] = 1e16;
        let running: f64 = values.iter().sum();
        assert!(pairwise_sum(&values) > running);
    }

    #[test]
    fn short_lists_use_a_plain_loop() {
        assert_eq!(numpy_mean(&[1.0, 2.0, 4.0]), 7.0 / 3.0);
        assert_eq!(pairwise_sum(&[]), -0.0);
    }
}
