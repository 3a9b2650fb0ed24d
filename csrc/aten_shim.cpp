// ATen calls that tch's generated API cannot express: the scalar arguments it
// drops (add_'s alpha, addcmul_'s and addcdiv_'s value, leaky_relu's slope),
// a private CPU generator for randperm, and resetting a gradient to undefined.
// Each goes through the dispatcher exactly as PyTorch's Python binding does,
// so autograd and the CPU kernels see the same calls.
//
// Tensors cross the boundary as `at::Tensor*`, the representation tch uses.
// No C++ exception may unwind into Rust: each entry point catches and stores
// the message, returning non-zero; `actlab_last_error` hands it over.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/headeronly/version.h>

#include <cstring>
#include <string>

namespace {
thread_local std::string last_error;

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return 1;
}
}  // namespace

extern "C" {

const char* actlab_last_error() { return last_error.c_str(); }

// The release of the headers this file was compiled against, which build.rs
// checks to be the release of the libraries it links.
void actlab_libtorch_version(int* major, int* minor, int* patch) {
  *major = TORCH_VERSION_MAJOR;
  *minor = TORCH_VERSION_MINOR;
  *patch = TORCH_VERSION_PATCH;
}

int actlab_add_scaled_(at::Tensor* self, const at::Tensor* other, double alpha) {
  return guarded([&] { self->add_(*other, alpha); });
}

int actlab_leaky_relu(const at::Tensor* x, double slope, at::Tensor** out) {
  return guarded([&] { *out = new at::Tensor(at::leaky_relu(*x, slope)); });
}

int actlab_randperm(int64_t n, uint64_t seed, at::Tensor** out) {
  return guarded([&] {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    *out = new at::Tensor(at::randperm(n, generator, at::TensorOptions().dtype(at::kLong)));
  });
}

// `t.norm(ord).item()` as Python evaluates it: torch.norm forwards a numeric
// p to linalg.vector_norm with no dimension given.
int actlab_vector_norm(const at::Tensor* x, double ord, double* out) {
  return guarded([&] {
    *out = at::linalg_vector_norm(*x, ord, std::nullopt, false, std::nullopt).item<double>();
  });
}

int actlab_clear_grads(at::Tensor** params, int64_t count) {
  return guarded([&] {
    for (int64_t i = 0; i < count; ++i) params[i]->mutable_grad().reset();
  });
}

// The optimizer steps below run PyTorch's update ops, in torch.optim's order
// and with its scalars, for a whole list of parameters in one call. They
// dispatch below autograd, as torch.optim's no_grad step effectively does,
// which skips two dispatcher hops per op; the kernels, and so the results,
// are the ones PyTorch runs.

// Moves the parameters into one contiguous buffer that each then views, and
// returns the buffer. Values are copied exactly; autograd still sees each
// parameter as the same leaf. An elementwise update applied to the buffer
// then touches every parameter in one op.
int actlab_gather_params(at::Tensor** params, int64_t count, at::Tensor** flat) {
  return guarded([&] {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < count; ++i) parts.push_back(params[i]->detach().reshape({-1}));
    at::Tensor buffer = at::cat(parts);

    int64_t offset = 0;
    for (int64_t i = 0; i < count; ++i) {
      at::Tensor& param = *params[i];
      param.set_(buffer.storage(), offset, param.sizes(), param.strides());
      offset += param.numel();
    }
    *flat = new at::Tensor(buffer);
  });
}

// torch.optim.Adam's single-tensor step (amsgrad off, no weight decay) on
// parameters gathered by actlab_gather_params: their gradients are copied
// into `flat_grad`, then each of the update's ops runs once over the whole
// buffer. Every op is elementwise, so each element is computed by the same
// kernel arithmetic as in PyTorch's per-parameter loop. `denom` is scratch
// space, reused instead of allocating `exp_avg_sq.sqrt()` afresh.
int actlab_adam_step(at::Tensor** params, int64_t count, at::Tensor* flat_param,
                     at::Tensor* flat_grad, at::Tensor* exp_avg, at::Tensor* exp_avg_sq,
                     at::Tensor* denom, double one_minus_beta1, double beta2,
                     double one_minus_beta2, double step_size, double bias_correction2_sqrt,
                     double eps) {
  return guarded([&] {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    std::vector<at::Tensor> grads;
    for (int64_t i = 0; i < count; ++i) grads.push_back(params[i]->grad().reshape({-1}));
    at::cat_out(*flat_grad, grads);

    exp_avg->lerp_(*flat_grad, one_minus_beta1);
    exp_avg_sq->mul_(beta2).addcmul_(*flat_grad, *flat_grad, one_minus_beta2);
    at::sqrt_out(*denom, *exp_avg_sq);
    denom->div_(bias_correction2_sqrt).add_(eps);
    flat_param->addcdiv_(*exp_avg, *denom, -step_size);
  });
}

// torch.optim.SGD's step without momentum: `param.add_(grad, alpha=-lr)`.
int actlab_sgd_step(at::Tensor** params, int64_t count, double lr) {
  return guarded([&] {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    for (int64_t i = 0; i < count; ++i) {
      params[i]->add_(params[i]->grad(), -lr);
    }
  });
}

// `p.grad.norm(2).item()` for each parameter, written to `norms`. On a GPU
// the norms are gathered first and copied to the host once, instead of one
// synchronising copy per parameter.
int actlab_grad_norms(at::Tensor** params, int64_t count, double* norms) {
  return guarded([&] {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    if (count == 0) return;
    auto norm_of = [&](int64_t i) {
      return at::linalg_vector_norm(params[i]->grad(), 2, std::nullopt, false, std::nullopt);
    };
    if (params[0]->is_cpu()) {
      for (int64_t i = 0; i < count; ++i) norms[i] = norm_of(i).item<double>();
      return;
    }
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < count; ++i) parts.push_back(norm_of(i));
    at::Tensor host = at::stack(parts).to(at::kCPU, at::kDouble);
    std::memcpy(norms, host.const_data_ptr<double>(), count * sizeof(double));
  });
}

}  // extern "C"
