//! The ATen calls that tch's generated API leaves out.
//!
//! tch drops scalar arguments that have defaults, yet PyTorch's optimizers
//! and the notebook pass them: `add_(grad, alpha=-lr)`, `addcmul_(.., value=)`,
//! `addcdiv_(.., value=)`, `leaky_relu(x, 0.1)`. Emulating them with extra
//! tensor ops changes the rounding (ATen's kernels fuse the scaling into one
//! step), so `csrc/aten_shim.cpp` calls ATen directly (the optimizers' whole
//! update steps among them) and this module wraps those calls. It also gives
//! `randperm` a private generator, as the data loader's sampler has, and
//! resets gradients to undefined, as `optimizer.zero_grad()` does.
//!
//! Like tch's own non-`f_` methods, these panic on an ATen error: every
//! caller passes tensors whose shapes the program itself chose.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

use tch::Tensor;
use torch_sys::C_tensor;

extern "C" {
    fn actlab_last_error() -> *const c_char;
    fn actlab_libtorch_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    fn actlab_add_scaled_(this: *mut C_tensor, other: *const C_tensor, alpha: f64) -> c_int;
    fn actlab_leaky_relu(x: *const C_tensor, slope: f64, out: *mut *mut C_tensor) -> c_int;
    fn actlab_randperm(n: i64, seed: u64, out: *mut *mut C_tensor) -> c_int;
    fn actlab_vector_norm(x: *const C_tensor, ord: f64, out: *mut f64) -> c_int;
    fn actlab_clear_grads(params: *const *mut C_tensor, count: i64) -> c_int;
    fn actlab_gather_params(
        params: *const *mut C_tensor,
        count: i64,
        flat: *mut *mut C_tensor,
    ) -> c_int;
    fn actlab_adam_step(
        params: *const *mut C_tensor,
        count: i64,
        flat_param: *mut C_tensor,
        flat_grad: *mut C_tensor,
        exp_avg: *mut C_tensor,
        exp_avg_sq: *mut C_tensor,
        denom: *mut C_tensor,
        one_minus_beta1: f64,
        beta2: f64,
        one_minus_beta2: f64,
        step_size: f64,
        bias_correction2_sqrt: f64,
        eps: f64,
    ) -> c_int;
    fn actlab_sgd_step(params: *const *mut C_tensor, count: i64, lr: f64) -> c_int;
    fn actlab_grad_norms(params: *const *mut C_tensor, count: i64, norms: *mut f64) -> c_int;
}

fn check(status: c_int, what: &str) {
    if status != 0 {
        // SAFETY: the shim keeps the message in a thread-local string that
        // lives until the next failing call on this thread.
        let message = unsafe { CStr::from_ptr(actlab_last_error()) };
        panic!("ATen {what} failed: {}", message.to_string_lossy());
    }
}

fn new_tensor(status: c_int, out: *mut C_tensor, what: &str) -> Tensor {
    check(status, what);
    // SAFETY: on success the shim returns a heap-allocated at::Tensor whose
    // ownership passes to the tch wrapper, which frees it on drop.
    unsafe { Tensor::from_ptr(out) }
}

/// The libtorch release actlab was built against, as "2.13.0".
pub fn libtorch_version() -> String {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: the shim only writes the three integers.
    unsafe { actlab_libtorch_version(&mut major, &mut minor, &mut patch) };
    format!("{major}.{minor}.{patch}")
}

/// `self.add_(other, alpha=alpha)`: one fused `self + alpha * other`.
pub fn add_scaled_(this: &mut Tensor, other: &Tensor, alpha: f64) {
    // SAFETY: both pointers come from live tch tensors.
    let status = unsafe { actlab_add_scaled_(this.as_mut_ptr(), other.as_ptr(), alpha) };
    check(status, "add_");
}

/// `F.leaky_relu(x, slope)`, recorded by autograd like any other op.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Tensor {
    let mut out = std::ptr::null_mut();
    // SAFETY: `x` is a live tensor and `out` receives a new one.
    let status = unsafe { actlab_leaky_relu(x.as_ptr(), slope, &mut out) };
    new_tensor(status, out, "leaky_relu")
}

/// `torch.randperm(n, generator=g)` where `g` is a fresh CPU generator
/// seeded with `seed`, as `torch.Generator().manual_seed(seed)` makes it.
pub fn randperm(n: i64, seed: u64) -> Tensor {
    let mut out = std::ptr::null_mut();
    // SAFETY: `out` receives a new tensor.
    let status = unsafe { actlab_randperm(n, seed, &mut out) };
    new_tensor(status, out, "randperm")
}

/// `x.norm(ord).item()`, through `linalg.vector_norm` as Python reaches it.
pub fn vector_norm(x: &Tensor, ord: f64) -> f64 {
    let mut out = 0.0;
    // SAFETY: `x` is a live tensor and `out` a local.
    let status = unsafe { actlab_vector_norm(x.as_ptr(), ord, &mut out) };
    check(status, "linalg_vector_norm");
    out
}

/// Makes every `tensor.grad` undefined again (PyTorch's
/// `zero_grad(set_to_none=True)`).
pub fn clear_grads(params: &mut [Tensor]) {
    let p = pointers(params);
    // SAFETY: an array of live tensors, which outlive the call.
    let status = unsafe { actlab_clear_grads(p.as_ptr(), p.len() as i64) };
    check(status, "gradient reset");
}

fn pointers(tensors: &mut [Tensor]) -> Vec<*mut C_tensor> {
    tensors.iter_mut().map(Tensor::as_mut_ptr).collect()
}

/// The scalars of one Adam step, computed in Python's float arithmetic.
pub struct AdamScalars {
    pub one_minus_beta1: f64,
    pub beta2: f64,
    pub one_minus_beta2: f64,
    pub step_size: f64,
    pub bias_correction2_sqrt: f64,
    pub eps: f64,
}

/// Moves `params` into one contiguous buffer that each then views (values
/// unchanged, still the same autograd leaves) and returns the buffer.
pub fn gather_params(params: &mut [Tensor]) -> Tensor {
    let p = pointers(params);
    let mut out = std::ptr::null_mut();
    // SAFETY: an array of live tensors, and `out` receives a new one.
    let status = unsafe { actlab_gather_params(p.as_ptr(), p.len() as i64, &mut out) };
    new_tensor(status, out, "parameter gathering")
}

/// The buffers of an Adam step over gathered parameters: the parameters'
/// buffer and same-sized ones for the gradients, both moments and the
/// denominator.
pub struct AdamBuffers {
    pub param: Tensor,
    pub grad: Tensor,
    pub exp_avg: Tensor,
    pub exp_avg_sq: Tensor,
    pub denom: Tensor,
}

/// One `torch.optim.Adam` step over every parameter (see the shim).
pub fn adam_step(params: &mut [Tensor], b: &mut AdamBuffers, s: &AdamScalars) {
    let p = pointers(params);

    // SAFETY: an array of live tensors and five live buffers, all of which
    // outlive the call.
    let status = unsafe {
        actlab_adam_step(
            p.as_ptr(),
            p.len() as i64,
            b.param.as_mut_ptr(),
            b.grad.as_mut_ptr(),
            b.exp_avg.as_mut_ptr(),
            b.exp_avg_sq.as_mut_ptr(),
            b.denom.as_mut_ptr(),
            s.one_minus_beta1,
            s.beta2,
            s.one_minus_beta2,
            s.step_size,
            s.bias_correction2_sqrt,
            s.eps,
        )
    };
    check(status, "Adam step");
}

/// One `torch.optim.SGD` step (no momentum): `param.add_(grad, alpha=-lr)`.
pub fn sgd_step(params: &mut [Tensor], lr: f64) {
    let p = pointers(params);
    // SAFETY: an array of live tensors, which outlive the call.
    let status = unsafe { actlab_sgd_step(p.as_ptr(), p.len() as i64, lr) };
    check(status, "SGD step");
}

/// `p.grad.norm(2).item()` for each parameter, in one call.
pub fn grad_norms(params: &mut [Tensor]) -> Vec<f64> {
    let p = pointers(params);
    let mut norms = vec![0.0; p.len()];
    // SAFETY: an array of live tensors and an output array of the same length.
    let status = unsafe { actlab_grad_norms(p.as_ptr(), p.len() as i64, norms.as_mut_ptr()) };
    check(status, "gradient norms");
    norms
}
