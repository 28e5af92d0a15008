// TrainStep's matrix multiplies: oneDNN's sgemm on the tensors' memory, or
// LibTorch's addmm/mm (see tinyae/gemm.h for why two).
#include "tinyae/gemm.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iterator>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.h>

#include "fused.h"
#include "tinyae/common.h"

namespace tinyae {
namespace {

struct EngineRow {
  GemmEngine engine;
  std::string_view name;
};
constexpr EngineRow kEngines[] = {{GemmEngine::kOneDnn, "onednn"}, {GemmEngine::kBlas, "blas"}};

std::atomic<int> g_threads{1};

std::string_view isa_name(dnnl_cpu_isa_t isa) {
  static constexpr std::pair<dnnl_cpu_isa_t, std::string_view> kNames[] = {
      {dnnl_cpu_isa_sse41, "sse41"},
      {dnnl_cpu_isa_avx, "avx"},
      {dnnl_cpu_isa_avx2, "avx2"},
      {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"},
      {dnnl_cpu_isa_avx512_core, "avx512_core"},
      {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"},
      {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
      {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"},
  };
  for (const auto& [value, name] : kNames)
    if (value == isa) return name;
  return "other";
}

// The sgemm operand form of a 2-D tensor (rows, cols) whose rows or columns
// are contiguous: 'N' and the row stride, or 'T' (the transpose of a
// row-major (cols, rows)) and the column stride. nullopt for anything else.
struct Operand {
  char trans;
  std::int64_t ld;
};
std::optional<Operand> operand_of(const torch::Tensor& t) {
  const std::int64_t rows = t.size(0), cols = t.size(1);
  if (t.stride(1) == 1 && t.stride(0) >= std::max<std::int64_t>(cols, 1)) return Operand{'N', t.stride(0)};
  if (t.stride(0) == 1 && t.stride(1) >= std::max<std::int64_t>(rows, 1)) return Operand{'T', t.stride(1)};
  return std::nullopt;
}

void check_product(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b,
                   const torch::Tensor& bias) {
  const bool shapes_ok = a.dim() == 2 && b.dim() == 2 && out.dim() == 2 && a.size(1) == b.size(0) &&
                         out.size(0) == a.size(0) && out.size(1) == b.size(1) &&
                         (!bias.defined() || (bias.dim() == 1 && bias.size(0) == out.size(1)));
  const bool types_ok = a.scalar_type() == torch::kFloat32 && b.scalar_type() == torch::kFloat32 &&
                        out.scalar_type() == torch::kFloat32 && out.stride(1) == 1;
  if (!shapes_ok || !types_ok) {
    const auto shape = [](const torch::Tensor& t) {
      return t.defined() ? fmt::format("{} {}", fmt::join(t.sizes(), "x"), c10::toString(t.scalar_type()))
                         : std::string("none");
    };
    throw Error(fmt::format(
        "matmul_into/linear_into: expected float32 (m, k) x (k, n) + bias (n) into row-major (m, n), got {} x {} + "
        "{} into {}",
        shape(a), shape(b), shape(bias), shape(out)));
  }
}

// In place: the activation of a layer's output, LibTorch's kernels.
void activate_in_place(Activation activation, torch::Tensor& z) {
  switch (activation) {
    case Activation::kLinear:
      return;
    case Activation::kRelu:
      z.relu_();
      return;
    case Activation::kSigmoid:
      z.sigmoid_();
      return;
    case Activation::kTanh:
      z.tanh_();
      return;
  }
}

void onednn_matmul(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& bias) {
  const std::int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  // A view with size-1 dimensions or odd strides is copied once; the step's
  // buffers never need it.
  const torch::Tensor a_used = operand_of(a) ? a : a.contiguous();
  const torch::Tensor b_used = operand_of(b) ? b : b.contiguous();
  const Operand oa = *operand_of(a_used);
  const Operand ob = *operand_of(b_used);
  float beta = 0;
  if (bias.defined()) {
    out.copy_(bias.expand({m, n}));  // as addmm does: C = bias, then C += A B
    beta = 1;
  }
  // oneDNN's OpenMP team takes the calling thread's OpenMP thread count;
  // LibTorch's pool (the same OpenMP) keeps its own for its elementwise ops.
  const int saved = omp_get_max_threads();
  omp_set_num_threads(g_threads.load());
  const dnnl_status_t status = dnnl_sgemm(oa.trans, ob.trans, m, n, k, 1.0f, a_used.data_ptr<float>(), oa.ld,
                                          b_used.data_ptr<float>(), ob.ld, beta, out.data_ptr<float>(), out.stride(0));
  omp_set_num_threads(saved);
  if (status != dnnl_success) {
    throw Error(fmt::format("oneDNN sgemm ({}x{}x{}) failed with status {}", m, n, k, static_cast<int>(status)));
  }
}

}  // namespace

void linear_into(GemmEngine engine, torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b,
                 const torch::Tensor& bias, Activation activation) {
  if (!bias.defined()) throw Error("linear_into: the layer needs its bias");
  if (engine == GemmEngine::kBlas) {
    matmul_into(engine, out, a, b, bias);  // at::linear's own product for a 2-D input with a bias
    activate_in_place(activation, out);
    return;
  }
  matmul_into(engine, out, a, b);
  const torch::Tensor contiguous_bias = bias.contiguous();  // (n)
  fused_bias_activation(out.data_ptr<float>(), out.size(0), out.size(1), out.stride(0),
                        contiguous_bias.data_ptr<float>(), activation);
}

std::string_view gemm_engine_name(GemmEngine engine) {
  for (const EngineRow& row : kEngines)
    if (row.engine == engine) return row.name;
  return "?";
}

std::optional<GemmEngine> parse_gemm_engine(std::string_view name) {
  for (const EngineRow& row : kEngines)
    if (row.name == name) return row.engine;
  return std::nullopt;
}

std::string gemm_engine_choices() {
  std::string choices;
  for (std::size_t i = 0; i < std::size(kEngines); ++i) {
    if (i > 0) choices += i + 1 == std::size(kEngines) ? " or " : ", ";
    choices += kEngines[i].name;
  }
  return choices;
}

void set_gemm_threads(int threads) { g_threads.store(std::max(1, threads)); }

std::vector<int> bind_gemm_threads() {
  if (std::getenv("OMP_PROC_BIND") != nullptr || std::getenv("GOMP_CPU_AFFINITY") != nullptr) return {};
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
  std::vector<int> cpus;  // the CPUs this process may run on, in order
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  const int threads = g_threads.load();
  if (threads < 2 || static_cast<int>(cpus.size()) != threads) return {};
  std::atomic<int> bound{0};
#pragma omp parallel num_threads(threads)
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<std::size_t>(omp_get_thread_num())], &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0) bound.fetch_add(1);
  }
  if (bound.load() != threads) {  // undo: leave every thread free again
#pragma omp parallel num_threads(threads)
    pthread_setaffinity_np(pthread_self(), sizeof allowed, &allowed);
    return {};
  }
  return cpus;
}
int gemm_threads() { return g_threads.load(); }

std::string describe_gemm(GemmEngine engine) {
  if (engine == GemmEngine::kBlas) return "LibTorch addmm/mm on the BLAS";
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{} sgemm, ISA {}, {} thread(s)", v->major, v->minor, v->patch,
                     isa_name(dnnl_get_effective_cpu_isa()), gemm_threads());
}

void matmul_into(GemmEngine engine, torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b,
                 const torch::Tensor& bias) {
  check_product(out, a, b, bias);
  if (engine == GemmEngine::kBlas) {
    if (bias.defined()) {
      at::addmm_out(out, bias, a, b);
    } else {
      at::mm_out(out, a, b);
    }
    return;
  }
  onednn_matmul(out, a, b, bias);
}

}  // namespace tinyae
