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

int actlab_addcmul_(at::Tensor* self, const at::Tensor* t1, const at::Tensor* t2, double value) {
  return guarded([&] { self->addcmul_(*t1, *t2, value); });
}

int actlab_addcdiv_(at::Tensor* self, const at::Tensor* t1, const at::Tensor* t2, double value) {
  return guarded([&] { self->addcdiv_(*t1, *t2, value); });
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

int actlab_clear_grad(at::Tensor* self) {
  return guarded([&] { self->mutable_grad().reset(); });
}

// The optimizer steps below run PyTorch's per-parameter update ops, in
// torch.optim's order and with its scalars, for a whole list of parameters
// in one call. They dispatch below autograd, as torch.optim's no_grad step
// effectively does, which skips two dispatcher hops per op; the kernels,
// and so the results, are the ones PyTorch runs.

// torch.optim.Adam's single-tensor step (amsgrad off, no weight decay).
// `denoms` are scratch tensors shaped like the parameters, reused each step
// instead of allocating `exp_avg_sq.sqrt()` afresh.
int actlab_adam_step(at::Tensor** params, at::Tensor** exp_avgs, at::Tensor** exp_avg_sqs,
                     at::Tensor** denoms, int64_t count, double one_minus_beta1, double beta2,
                     double one_minus_beta2, double step_size, double bias_correction2_sqrt,
                     double eps) {
  return guarded([&] {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    for (int64_t i = 0; i < count; ++i) {
      const at::Tensor& grad = params[i]->grad();
      exp_avgs[i]->lerp_(grad, one_minus_beta1);
      exp_avg_sqs[i]->mul_(beta2).addcmul_(grad, grad, one_minus_beta2);
      at::sqrt_out(*denoms[i], *exp_avg_sqs[i]);
      denoms[i]->div_(bias_correction2_sqrt).add_(eps);
      params[i]->addcdiv_(*exp_avgs[i], *denoms[i], -step_size);
    }
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
