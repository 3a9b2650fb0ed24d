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

// `t.norm(2).item()` as Python evaluates it: torch.norm forwards a numeric p
// to linalg.vector_norm over every dimension.
int actlab_vector_norm(const at::Tensor* x, double ord, double* out) {
  return guarded([&] {
    std::vector<int64_t> dims(x->dim());
    for (int64_t d = 0; d < x->dim(); ++d) dims[d] = d;
    *out = at::linalg_vector_norm(*x, ord, dims, false, std::nullopt).item<double>();
  });
}

int actlab_clear_grad(at::Tensor* self) {
  return guarded([&] { self->mutable_grad().reset(); });
}

}  // extern "C"
